"""plan-guard: the rules `tierguard plan` judges a preview by -- destroyed storage or protected
resources, the tier's limits on changes, deletes and replaces, the blast-radius score, and the
engine's own diagnostics. Each case is a list of steps (the reader's logical changes) and the exact
findings of the plan rules over them."""

from __future__ import annotations

from policy_cases import NOTE, UNKNOWN, A, M, PlanCase, plan_case, secret, step

PROTECTED = "plan-protected-destroy"
CHANGES = "plan-max-changes"
DELETES = "plan-max-deletes"
REPLACES = "plan-max-replaces"
BLAST = "plan-blast-radius"
ENGINE_ERROR = "pulumi-engine-error"
ENGINE_WARNING = "pulumi-engine-warning"

BUCKET = "gcp:storage/bucket:Bucket"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
TOPIC = "gcp:pubsub/topic:Topic"
SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
STACK = ""  # plan-wide findings carry no URN (pack stack policies name the root stack instead)

# values unknown during preview and secrets, as the engine shows them in a step's state
UNKNOWN_AND_SECRET = {"data": {"k": UNKNOWN}, "binaryData": secret({"b": "x"})}


def _configmaps(op: str, count: int, prefix: str = "cm") -> list:
    return [step(op, CONFIGMAP, f"{prefix}{i}", UNKNOWN_AND_SECRET) for i in range(count)]


def _limits(**limits: object) -> dict:
    """A plan config (.tierguard.yaml `plan:`) setting the infra tier's thresholds."""
    return {"tiers": {"infra": limits}}


NO_SCORE = {"warnScore": None, "blockScore": None}

CASES: list[PlanCase] = [
    # -- plan-protected-destroy: a delete or replace of storage, or of a protect/retainOnDelete resource
    plan_case(
        PROTECTED,
        "storage-replaced",
        [
            step(
                "replace",
                SQL,
                "db",
                {"databaseVersion": "POSTGRES_16", "rootPassword": secret("pw")},
                replace_reasons=["databaseVersion"],
            )
        ],
        [(PROTECTED, "db", M)],
    ),
    plan_case(
        PROTECTED,
        "protected-topic-deleted",
        [step("delete", TOPIC, "t", {"name": UNKNOWN}, protect=True)],
        [(PROTECTED, "t", M)],
    ),
    plan_case(
        PROTECTED,
        "retained-configmap-deleted",
        [step("delete", CONFIGMAP, "cm", UNKNOWN_AND_SECRET, retain_on_delete=True)],
        [(PROTECTED, "cm", M)],
    ),
    plan_case(
        PROTECTED,
        "storage-updated-in-place",
        [step("update", BUCKET, "b", {"labels": UNKNOWN, "name": secret("x")})],
    ),
    plan_case(
        PROTECTED,
        "plain-deployment-replaced",
        [step("replace", DEPLOYMENT, "web", {"spec": UNKNOWN}, replace_reasons=["metadata.name"])],
    ),
    plan_case(
        PROTECTED,
        "made-advisory",
        [step("delete", BUCKET, "b", {"name": secret("x")})],
        [(PROTECTED, "b", A)],
        plan_config={"defaults": {"protectedDestroy": "advisory"}},
    ),
    plan_case(
        PROTECTED,
        "extra-storage-type",
        [step("delete", TOPIC, "t", {"name": UNKNOWN})],
        [(PROTECTED, "t", M)],
        plan_config={"defaults": {"storageTypes": [TOPIC]}},
    ),
    # -- plan-max-changes (infra: 60 by default)
    plan_case(
        CHANGES,
        "over-the-limit",
        _configmaps("create", 4),
        [(CHANGES, STACK, M)],
        plan_config=_limits(maxChanges=3, **NO_SCORE),
    ),
    plan_case(
        CHANGES,
        "at-the-limit-sames-not-counted",
        [*_configmaps("create", 3), *_configmaps("same", 5, "kept")],
        plan_config=_limits(maxChanges=3, **NO_SCORE),
    ),
    plan_case(
        CHANGES,
        "app-default-30",
        _configmaps("update", 31),
        [(CHANGES, STACK, M), (BLAST, STACK, A)],
        tier="app",
    ),
    # -- plan-max-deletes
    plan_case(
        DELETES,
        "over-the-limit",
        _configmaps("delete", 3),
        [(DELETES, STACK, M)],
        plan_config=_limits(maxDeletes=2, **NO_SCORE),
    ),
    plan_case(
        DELETES,
        "creates-do-not-count",
        [*_configmaps("delete", 2), *_configmaps("create", 5, "new")],
        plan_config=_limits(maxDeletes=2, **NO_SCORE),
    ),
    # -- plan-max-replaces
    plan_case(
        REPLACES,
        "over-the-limit",
        [step("replace", DEPLOYMENT, f"d{i}", {"spec": UNKNOWN, "token": secret("t")}) for i in range(3)],
        [(REPLACES, STACK, M)],
        plan_config=_limits(maxReplaces=2, **NO_SCORE),
    ),
    plan_case(
        REPLACES,
        "at-the-limit",
        [step("replace", DEPLOYMENT, f"d{i}", {"spec": UNKNOWN, "token": secret("t")}) for i in range(2)],
        plan_config=_limits(maxReplaces=2, **NO_SCORE),
    ),
    # -- plan-blast-radius: sum of opWeights[op] x weight(type)
    plan_case(
        BLAST,
        "warning",
        _configmaps("create", 5),
        [(BLAST, STACK, A)],
        plan_config=_limits(warnScore=5, blockScore=10),
    ),
    plan_case(
        BLAST,
        "block",
        _configmaps("create", 10),
        [(BLAST, STACK, M)],
        plan_config=_limits(warnScore=5, blockScore=10),
    ),
    plan_case(BLAST, "below", _configmaps("create", 4), plan_config=_limits(warnScore=5, blockScore=10)),
    # -- engine diagnostics
    plan_case(
        ENGINE_ERROR,
        "refused-protected-delete",
        [step("delete", SQL, "db", {"rootPassword": secret("pw")}, protect=True)],
        [(PROTECTED, "db", M), (ENGINE_ERROR, "db", M)],
        diagnostics=[
            {"severity": "error", "urn": "db", "message": "unable to delete resource: it is protected"}
        ],
    ),
    plan_case(
        ENGINE_ERROR,
        "generic-failure-dropped-beside-a-specific-error",
        [step("create", CONFIGMAP, "cm", UNKNOWN_AND_SECRET)],
        [(ENGINE_ERROR, "cm", M)],
        diagnostics=[
            {"severity": "error", "urn": "cm", "message": "configmap: invalid name"},
            {"severity": "error", "message": "preview failed"},
        ],
    ),
    plan_case(
        ENGINE_ERROR,
        "info-diagnostics-are-not-findings",
        [step("create", CONFIGMAP, "cm", UNKNOWN_AND_SECRET)],
        diagnostics=[{"severity": "info", "message": "hello"}],
    ),
    plan_case(
        ENGINE_WARNING,
        "warning-is-a-note",
        [step("update", CONFIGMAP, "cm", UNKNOWN_AND_SECRET)],
        [(ENGINE_WARNING, "cm", NOTE)],
        diagnostics=[{"severity": "warning", "urn": "cm", "message": "deprecated field"}],
    ),
    plan_case(ENGINE_WARNING, "no-diagnostics", [step("update", CONFIGMAP, "cm", UNKNOWN_AND_SECRET)]),
]
