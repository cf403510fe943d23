"""The tier-boundaries pack: every resource lives in the stack of its tier, and above all no datastore
lives in an app stack.

Policies:

* ``tier-declared`` (stack, mandatory): fails closed, once per stack, when the tier is unresolved;
* ``no-datastore-in-app-tier`` (mandatory): datastores of every kind -- cloud types, StatefulSets that
  claim volumes, PersistentVolumeClaims, Helm releases of database charts, database operators' custom
  resources -- in an app-tier stack;
* ``resource-in-its-tier`` (mandatory): a resource whose placement (``tierguard.catalog.placement``)
  does not include the stack's tier. Datastores in an app stack are left to the more specific
  ``no-datastore-in-app-tier`` (one finding per problem; its allowlist stays the single knob);
* ``resource-in-tolerated-tier`` (advisory, may be made mandatory): a crossing the placement table
  tolerates because it gives the stack's CI identity no privilege it must not have -- namespaced
  application workloads (an ingress controller's Deployment and ConfigMap) in an infra stack;
* ``resource-tier-classified`` (advisory): a type the placement table does not know, naming the
  config key that classifies it. Enforcement is per policy, so "outside its tier" (mandatory) and
  "unknown type" (advisory) are two policies over one table.

Tier-aware resource policies stay quiet while the tier is unresolved: ``tier-declared`` reports that
once, instead of one finding per resource.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from tierguard.catalog import datastores as ds
from tierguard.catalog import placement as pl
from tierguard.model.records import TIERS
from tierguard.policies import props as p
from tierguard.policies import skip
from tierguard.policies.base import Rule, resource_policy, stack_policy
from tierguard.policies.tier import HOW_TO_DECLARE, TIER_CONFIG_SCHEMA, TierResolution, tier_for

CATEGORY = "tier-boundary"
SKIP_ALIAS = "allowedDatastoreTypes"  # the old name of allowedResources in no-datastore-in-app-tier

# -- datastore detection -----------------------------------------------------------------------------


def _chart_name(chart: str) -> str:
    """``oci://registry/bitnamicharts/postgresql`` / ``bitnami/postgresql`` / ``postgresql-15.1.0.tgz``
    -> ``postgresql``."""
    name = chart.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    if name.endswith(".tgz"):
        name = name[: -len(".tgz")]
        head, sep, tail = name.rpartition("-")
        if sep and tail[:1].isdigit():
            name = head
    return name


def _helm_database(props: Any, extra_charts: Iterable[str]) -> str | Any | None:
    """The catalog chart name when a Helm release/chart installs a database, UNKNOWN when the chart is
    unknown during preview, else None."""
    chart = p.get(props, "chart")
    if chart is p.UNKNOWN:
        return p.UNKNOWN
    if not isinstance(chart, str) or not chart:
        return None
    name = _chart_name(chart)
    known = {c.lower() for c in (*ds.HELM_DATABASE_CHARTS, *extra_charts)}
    if name in known:
        return name
    repo = p.get(props, "repositoryOpts.repo")
    haystack = f"{chart} {repo if isinstance(repo, str) else ''}".lower()
    for repo_part, charts in ds.HELM_DATABASE_REPOS.items():
        if repo_part in haystack and name in charts:
            return name
    return None


def _bundled_database(props: Any, extra: Mapping[str, Any]) -> str | Any | None:
    """What an application chart installs along (e.g. "MariaDB" for wordpress) unless its values turn
    it off; None when the chart bundles nothing or every bundled store is off; UNKNOWN when that
    hinges on a value unknown during preview."""
    chart = p.get(props, "chart")
    if not isinstance(chart, str) or not chart:
        return None
    name = _chart_name(chart)
    stores = _bundled_stores(extra).get(name)
    if not stores:
        return None
    installed, unknown = [], False
    for path, off, label in stores:
        value = p.get(props, ["values", *path])
        if value is p.UNKNOWN:
            unknown = True
        elif value is None or value != off or type(value) is not type(off):
            installed.append(f"{label} (unless `values.{'.'.join(path)}` is {json.dumps(off)})")
    if installed:
        return f"Helm chart {name} bundling {', '.join(installed)}"
    return p.UNKNOWN if unknown else None


def _bundled_stores(extra: Mapping[str, Any]) -> Mapping[str, Any]:
    """The catalog, plus the policy config's `extraBundledDatabaseCharts` ({chart: {path: off}})."""
    if not extra:
        return ds.HELM_BUNDLED_DATABASES
    merged: dict[str, Any] = dict(ds.HELM_BUNDLED_DATABASES)
    for chart, keys in extra.items():
        merged[str(chart).lower()] = tuple(
            (tuple(str(path).split(".")), off, "a bundled datastore") for path, off in keys.items()
        )
    return merged


@lru_cache(maxsize=4096)
def _builtin_datastore_kind(type_token: str) -> str | None:
    hit = p.first_match(type_token, ds.DATASTORE_TYPES) or p.first_match(type_token, ds.DATASTORE_PATTERNS)
    return hit[1] if hit else None


def datastore_kind(type_token: str, props: Any, config: Mapping[str, Any]) -> str | Any | None:
    """A short label when the resource is a datastore, None when it is not, UNKNOWN when that hinges on
    a value unknown during preview. ``config`` is the policy config (its extra types)."""
    extra = config.get("extraDatastoreTypes") or {}
    hit = p.first_match(type_token, extra)
    if hit:
        return str(hit[1]) or "datastore"
    kind = _builtin_datastore_kind(type_token)
    if kind:
        return kind
    if type_token in ds.STATEFULSET_TYPES:
        claims = p.non_empty(p.get(props, ds.STATEFULSET_CLAIMS_PATH))
        if claims is p.UNKNOWN:
            return p.UNKNOWN
        return "StatefulSet with volume claim templates" if claims else None
    if type_token in ds.HELM_TYPES:
        chart = _helm_database(props, config.get("extraDatabaseCharts") or [])
        if chart is p.UNKNOWN:
            return p.UNKNOWN
        if chart:
            return f"Helm chart of a database ({chart})"
        return _bundled_database(props, config.get("extraBundledDatabaseCharts") or {})
    return None


# -- placement ---------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _builtin_placement(type_token: str) -> pl.Placement | None:
    hit = p.first_match(type_token, pl.PLACEMENT_TYPES) or p.first_match(type_token, pl.PLACEMENT_PATTERNS)
    if hit:
        return pl.as_placement(hit[1])
    if _builtin_datastore_kind(type_token):
        return pl.Placement((pl.INFRA,))
    return None


def _as_tiers(value: Any) -> tuple[str, ...] | str:
    if value == pl.ANY:
        return pl.ANY
    if isinstance(value, str):
        return (value,)
    tiers = tuple(str(v) for v in value)
    return pl.ANY if pl.ANY in tiers else tiers


def placement_of(type_token: str, config: Mapping[str, Any]) -> tuple[pl.Placement, str] | None:
    """(the placement row, where it came from: "config" or "catalog"), or None when unknown.
    A user's ``placement`` entry names the tiers the type belongs to and tolerates nothing else."""
    hit = p.first_match(type_token, config.get("placement") or {})
    if hit:
        return pl.Placement(_as_tiers(hit[1])), "config"
    builtin = _builtin_placement(type_token)
    if builtin:
        return builtin, "catalog"
    return None


def crossing(type_token: str, tier: str, config: Mapping[str, Any]) -> tuple[str, pl.Placement] | None:
    """("mandatory" | "tolerated", the row) when a resource of this type sits outside its tier, None
    when it is in place or unclassified. Which of the two is a column of the placement table."""
    placed = placement_of(type_token, config)
    if placed is None:
        return None
    row, origin = placed
    if row.belongs == pl.ANY or tier in row.belongs:
        return None
    if tier == "app" and origin == "catalog" and _builtin_datastore_kind(type_token):
        return None  # no-datastore-in-app-tier owns datastores in app stacks
    return ("tolerated" if tier in row.tolerated else "mandatory"), row


# -- the types each rule can judge (Rule.resource_types), from the same tables -----------------------

DATASTORE_TYPE_PATTERNS: tuple[str, ...] = (
    *ds.DATASTORE_TYPES,
    *(pattern for pattern, _ in ds.DATASTORE_PATTERNS),
)
_PLACEMENT_ROWS: tuple[tuple[str, pl.Placement], ...] = tuple(
    (pattern, pl.as_placement(value))
    for pattern, value in (*pl.PLACEMENT_TYPES.items(), *pl.PLACEMENT_PATTERNS)
)
# a crossing needs a row that does not say "any" (user rows come from the `placement` config key)
PLACED_TYPE_PATTERNS: tuple[str, ...] = (
    *(pattern for pattern, row in _PLACEMENT_ROWS if row.belongs != pl.ANY),
    *DATASTORE_TYPE_PATTERNS,
)
# only catalog rows tolerate a crossing
TOLERATED_TYPE_PATTERNS: tuple[str, ...] = tuple(pattern for pattern, row in _PLACEMENT_ROWS if row.tolerated)

# -- rules -------------------------------------------------------------------------------------------

_TIER_ENUM = list(TIERS)
_PLACEMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Type token or fnmatch pattern -> the tier(s) it belongs to, or \"any\". Consulted "
    "before the built-in placement table.",
    "additionalProperties": {
        "oneOf": [
            {"type": "string", "enum": [*_TIER_ENUM, pl.ANY]},
            {"type": "array", "items": {"type": "string", "enum": [*_TIER_ENUM, pl.ANY]}, "minItems": 1},
        ]
    },
    "default": {},
}

TIER_DECLARED = Rule(
    name="tier-declared",
    title="Stack declares its tier",
    description="Every stack must say which tier (identity, infra, app) it belongs to, so the tier "
    "guardrails can judge it; an undeclared tier fails closed.",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="Run `pulumi stack tag set tier <identity|infra|app>`, or name the project with a "
    "-identity/-infra/-app suffix, or set `tier` in the policy pack config (`tierguard check --tier`).",
    config=dict(TIER_CONFIG_SCHEMA),
)

NO_DATASTORE_IN_APP_TIER = Rule(
    name="no-datastore-in-app-tier",
    title="No datastore in an app-tier stack",
    description="Datastores (Cloud SQL, Spanner, Bigtable, Memorystore, Firestore, AlloyDB, BigQuery, "
    "GCS, Filestore, other clouds' databases, StatefulSets with volume claims, PVCs, Helm database "
    "charts, application charts that bundle a database unless their values turn it off, database "
    "operator resources) belong in the infra tier, never in an app stack.",
    category=CATEGORY,
    severity="critical",
    enforcement="mandatory",
    remediation="Declare the datastore in the infra stack (with deletion protection and `protect`), "
    "export its connection details, and read them in the app stack through a StackReference or the "
    "Secret the infra stack writes into the app namespace. For a type an app may own on purpose, add "
    "it to `allowedResources`.",
    resource_types=(*DATASTORE_TYPE_PATTERNS, *ds.STATEFULSET_TYPES, *ds.HELM_TYPES),
    resource_types_config=("extraDatastoreTypes",),
    config={
        **TIER_CONFIG_SCHEMA,
        "extraDatastoreTypes": {
            "type": "object",
            "description": "More datastore types: type token or fnmatch pattern -> kind label.",
            "additionalProperties": {"type": "string"},
            "default": {},
        },
        # the datastores an app stack may hold after all (tierguard.policies.skip)
        **skip.config(
            SKIP_ALIAS,
            description="Datastores an app stack may hold after all: globs over the Pulumi name, URN or "
            "type token.",
        ),
        "extraDatabaseCharts": {
            "type": "array",
            "description": "More Helm chart names that install a database.",
            "items": {"type": "string"},
            "default": [],
        },
        "extraBundledDatabaseCharts": {
            "type": "object",
            "description": "More application charts that bundle a database: chart name -> {values path: "
            "the value that turns the bundled store off}, e.g. {\"myapp\": {\"postgresql.enabled\": false}}.",
            "additionalProperties": {"type": "object"},
            "default": {},
        },
    },
)

RESOURCE_IN_ITS_TIER = Rule(
    name="resource-in-its-tier",
    title="Resource lives in the stack of its tier",
    description="Each kind of resource belongs to a tier: identity (service accounts, project IAM, "
    "custom roles, workload identity), infra (network, GKE, datastores, KMS, DNS, cluster-scoped "
    "Kubernetes objects), app (namespaced Kubernetes workloads, serverless services).",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="Move the resource to a stack of the tier the message names and pass what the other "
    "stacks need through stack outputs. If your architecture places this type differently, classify "
    'it with the `placement` config key, e.g. {"placement": {"gcp:pubsub/*": ["infra", "app"]}}.',
    resource_types=PLACED_TYPE_PATTERNS,
    resource_types_config=("placement",),
    config={**TIER_CONFIG_SCHEMA, "placement": _PLACEMENT_SCHEMA},
)

RESOURCE_IN_TOLERATED_TIER = Rule(
    name="resource-in-tolerated-tier",
    title="Application workload in the infra tier (advisory)",
    description="Namespaced application workloads (Deployment, Service, ConfigMap, Ingress, HPA ...) "
    "belong in app stacks, but cluster add-ons such as ingress controllers ship as exactly these "
    "objects and are run by the platform team from the infra stack, whose CI identity already "
    "manages the cluster: the crossing gives it no privilege it must not have, so it is advisory "
    "by default (set this policy to mandatory to forbid it). Crossings that would make a tier's "
    "identity hold privileges it must not have stay with the mandatory resource-in-its-tier: "
    "datastores, cloud IAM or cluster-scoped objects in app, project/folder/org IAM in infra, "
    "anything cluster- or data-related in identity.",
    category=CATEGORY,
    severity="low",
    enforcement="advisory",
    remediation="Keep cluster add-ons in the infra stack if your platform team runs them; move "
    "applications to their app stack. To forbid the crossing, set "
    '{"resource-in-tolerated-tier": "mandatory"}; to accept a type here silently, classify it with '
    'the `placement` config key, e.g. {"placement": {"kubernetes:apps/v1:Deployment": ["infra", "app"]}}.',
    resource_types=TOLERATED_TYPE_PATTERNS,
    config={**TIER_CONFIG_SCHEMA, "placement": _PLACEMENT_SCHEMA},
)

RESOURCE_TIER_CLASSIFIED = Rule(
    name="resource-tier-classified",
    title="Resource type has a known tier",
    description="The placement table does not say which tier this resource type belongs to, so "
    "resource-in-its-tier cannot judge it.",
    category=CATEGORY,
    severity="low",
    enforcement="advisory",
    remediation='Classify the type (or a pattern) in the `placement` config of both resource-in-its-tier '
    'and resource-tier-classified, e.g. {"placement": {"acme:index:Service": "any"}}.',
    config={"placement": _PLACEMENT_SCHEMA},
)


def _source(resolution: TierResolution) -> str:
    return f"the {resolution.tier} tier (from the {resolution.source})"


def validate_tier_declared(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resolution = tier_for(args)
    if resolution.tier is None:
        why = f" ({resolution.detail})" if resolution.detail else ""
        report_violation(f"This stack's tier is not declared{why}, so tier guardrails cannot judge it. "
                         f"{HOW_TO_DECLARE}")


def validate_no_datastore(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    resolution = tier_for(args)
    if resolution.tier != "app":
        return  # other tiers may hold datastores; an unresolved tier is tier-declared's finding
    config = args.get_config() or {}
    if skip.skipped(args, skip.patterns(config, SKIP_ALIAS)):
        return
    kind = datastore_kind(args.resource_type, args.props, config)
    if kind is p.UNKNOWN:
        # Whether it is a datastore hinges on a value computed during the update: let the analyzer
        # report its "can't run during preview" note; `pulumi up` re-runs the policy with values known.
        p.raise_if_unknown(args.props, [ds.STATEFULSET_CLAIMS_PATH, "chart", *_values_paths(args)])
        return
    if kind:
        report_violation(
            f"{kind} (`{args.resource_type}`) in a stack of {_source(resolution)}. Datastores belong in "
            "the infra stack; hand the app its connection details through stack outputs or a Secret. "
            "If an app may own this type, add it to `allowedResources`."
        )


def _crossing_message(args: ResourceValidationArgs, row: pl.Placement, resolution: TierResolution) -> str:
    wanted = " or ".join(row.belongs)
    article = "an" if wanted[0] in "aeiou" else "a"
    return (
        f"`{args.resource_type}` belongs in the {wanted} tier, but this is a stack of {_source(resolution)}. "
        f"Move it to {article} {wanted} stack, or classify the type with the `placement` config key if "
        "your architecture places it here."
    )


def _values_paths(args: ResourceValidationArgs) -> list[list[str]]:
    """The values keys the bundled-database catalog reads for this chart, for the "can't run during
    preview" note."""
    chart = p.get(args.props, "chart")
    if not isinstance(chart, str):
        return []
    extra = (args.get_config() or {}).get("extraBundledDatabaseCharts") or {}
    stores = _bundled_stores(extra).get(_chart_name(chart)) or ()
    return [["values", *path] for path, _, _ in stores]


def validate_in_its_tier(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    resolution = tier_for(args)
    if resolution.tier is None:
        return  # tier-declared reports the stack once
    found = crossing(args.resource_type, resolution.tier, args.get_config() or {})
    if found is not None and found[0] == "mandatory":
        report_violation(_crossing_message(args, found[1], resolution))


def validate_tolerated(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    resolution = tier_for(args)
    if resolution.tier is None:
        return
    found = crossing(args.resource_type, resolution.tier, args.get_config() or {})
    if found is not None and found[0] == "tolerated":
        report_violation(
            f"{_crossing_message(args, found[1], resolution)} Tolerated here: a cluster add-on run by "
            f"the platform team gives the {resolution.tier} stack's identity no privilege it lacks."
        )


def validate_classified(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config() or {}
    if placement_of(args.resource_type, config) is None:
        t = args.resource_type
        report_violation(
            f"No tier is known for `{t}`. Classify it in the `placement` config of resource-in-its-tier "
            f'and resource-tier-classified, e.g. {{"placement": {{"{t}": "infra"}}}} (or "any", or a '
            "list of tiers)."
        )


POLICIES: tuple[Any, ...] = (
    stack_policy(TIER_DECLARED, validate_tier_declared),
    resource_policy(NO_DATASTORE_IN_APP_TIER, validate_no_datastore),
    resource_policy(RESOURCE_IN_ITS_TIER, validate_in_its_tier),
    resource_policy(RESOURCE_IN_TOLERATED_TIER, validate_tolerated),
    resource_policy(RESOURCE_TIER_CLASSIFIED, validate_classified),
)
CATALOGS: dict[str, Any] = {**ds.catalog_json(), **pl.catalog_json()}
