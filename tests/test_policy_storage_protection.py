"""storage-protection: deletion guards on effective values, `protect` by stack, Kubernetes retain
policies, remediation that fixes the stack."""

from __future__ import annotations

import json

import pytest

from tierguard.catalog.storage import GCP_STORAGE_SPECS, KUBERNETES_STORAGE_SPECS
from tierguard.model import wire
from tierguard.model.records import InputError
from tierguard.policies.packs import load_pack
from tierguard.testing import UNKNOWN, findings, resource, run, stack

PACK = "storage-protection"
GUARDS = "storage-deletion-guards"
RETAIN = "kubernetes-storage-retain"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
BUCKET = "gcp:storage/bucket:Bucket"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
PV = "kubernetes:core/v1:PersistentVolume"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def _guard_findings(*resources, config=None, policy=GUARDS):
    return findings(PACK, stack(resources), config, policy=policy)


def _nested(path: str, value) -> dict:
    out: dict = {}
    cursor = out
    keys = path.split(".")
    for key in keys[:-1]:
        cursor = cursor.setdefault(key, {})
    cursor[keys[-1]] = value
    return out


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _all_safe(spec) -> dict:
    props: dict = {}
    for guard in spec.guards:
        props = _merge(props, _nested(guard.path, guard.safe[0]))
    return props


# -- storage-deletion-guards: every spec, safe and unsafe ---------------------------------------------


@pytest.mark.parametrize("type_", list(GCP_STORAGE_SPECS))
def test_each_type_safe_values_pass_and_each_unsafe_guard_is_named(type_):
    spec = GCP_STORAGE_SPECS[type_]
    safe = _all_safe(spec)
    assert _guard_findings(resource(type_, safe, "s")) == []
    for guard in spec.guards:
        unsafe_value = {True: False, False: True}.get(guard.safe[0], "UNPROTECTED")
        if type_ == "gcp:firestore/database:Database":
            unsafe_value = "DELETE_PROTECTION_DISABLED"
        found = _guard_findings(resource(type_, _merge(safe, _nested(guard.path, unsafe_value)), "s"))
        assert len(found) == 1, guard.path
        assert f"`{guard.path}` must be {json.dumps(guard.safe[0])}" in found[0].message
        assert found[0].enforcement_level == "mandatory" and found[0].category == "deletion-protection"


@pytest.mark.parametrize("type_", list(GCP_STORAGE_SPECS))
def test_unset_guards_are_judged_on_the_provider_default(type_):
    spec = GCP_STORAGE_SPECS[type_]
    unprotected_by_default = [g.path for g in spec.guards if g.default not in g.safe]
    found = _guard_findings(resource(type_, {}, "s"))
    if unprotected_by_default:
        assert len(found) == 1
        for path in unprotected_by_default:
            assert f"`{path}`" in found[0].message
        assert "unset" in found[0].message
    else:
        assert found == []


def test_defaults_that_peers_get_wrong():
    # BigQuery table / Bigtable instance / Redis instance: unset deletionProtection is protected
    assert (
        _guard_findings(
            resource("gcp:bigquery/table:Table", {"datasetId": "d", "tableId": "t"}, "t"),
            resource("gcp:bigtable/instance:Instance", {"clusters": []}, "bt"),
            resource("gcp:redis/instance:Instance", {"memorySizeGb": 1}, "r"),
            resource(BUCKET, {"location": "EU"}, "b"),
        )
        == []
    )
    # Bigtable table: unset is UNPROTECTED; SQL instance: the API-level flag defaults to false
    found = _guard_findings(
        resource("gcp:bigtable/table:Table", {}, "t"), resource(SQL, {"settings": {}}, "db")
    )
    assert len(found) == 2
    assert 'unset means "UNPROTECTED"' in found[0].message
    assert "settings.deletionProtectionEnabled" in found[1].message
    assert "`deletionProtection`" not in found[1].message  # default true: not flagged


def test_deletion_policy_prevent_counts_as_protection():
    assert (
        _guard_findings(
            resource(BUCKET, {"forceDestroy": True, "deletionPolicy": "PREVENT"}, "b"),
            resource(SQL, {"deletionProtection": False, "deletionPolicy": "PREVENT"}, "db"),
        )
        == []
    )
    found = _guard_findings(resource(BUCKET, {"forceDestroy": True, "deletionPolicy": "ABANDON"}, "b"))
    assert len(found) == 1 and 'deletionPolicy: "PREVENT"' in found[0].message


def test_a_boolean_guard_needs_a_boolean():
    found = _guard_findings(
        resource(SQL, {"deletionProtection": 1, "settings": {"deletionProtectionEnabled": True}}, "db")
    )
    assert len(found) == 1 and "`deletionProtection` must be true" in found[0].message


# -- unknowns --------------------------------------------------------------------------------------


def test_unknown_guard_gives_the_preview_note():
    result = run(PACK, stack([resource(BUCKET, {"forceDestroy": UNKNOWN}, "b")]))
    notes = [f for f in result.findings if f.policy == GUARDS]
    assert [(f.kind, f.enforcement_level) for f in notes] == [("note", "advisory")]
    assert ".forceDestroy can't be known during preview" in notes[0].message


def test_known_unsafe_guard_is_reported_even_beside_an_unknown_one():
    found = _guard_findings(
        resource(SQL, {"deletionProtection": UNKNOWN, "settings": {"deletionProtectionEnabled": False}}, "db")
    )
    assert len(found) == 1
    assert "settings.deletionProtectionEnabled" in found[0].message
    assert "Not known until the update: `deletionProtection`" in found[0].message


def test_unknown_deletion_policy_only_matters_when_a_guard_fails():
    result = run(PACK, stack([resource(BUCKET, {"deletionPolicy": UNKNOWN}, "b")]))
    assert [f for f in result.findings if f.policy == GUARDS] == []  # forceDestroy defaults to false
    result = run(PACK, stack([resource(BUCKET, {"deletionPolicy": UNKNOWN, "forceDestroy": False}, "b")]))
    assert [f for f in result.findings if f.policy == GUARDS] == []
    result = run(PACK, stack([resource(BUCKET, {"deletionPolicy": UNKNOWN, "forceDestroy": True}, "b")]))
    (note,) = [f for f in result.findings if f.policy == GUARDS]
    assert note.kind == "note" and ".deletionPolicy" in note.message


def test_unknown_unrelated_inputs_do_not_hide_a_violation():
    found = _guard_findings(
        resource(BUCKET, {"forceDestroy": True, "location": UNKNOWN, "labels": UNKNOWN}, "b")
    )
    assert len(found) == 1


# -- secrets -----------------------------------------------------------------------------------------


def test_secret_values_are_read_but_never_shown():
    found = _guard_findings(
        resource(
            BUCKET, {"name": wire.secret("acme-payroll-exports"), "forceDestroy": wire.secret(True)}, "b"
        )
    )
    assert len(found) == 1
    assert "acme-payroll-exports" not in found[0].message
    assert (
        _guard_findings(resource(BUCKET, {"name": wire.secret("acme-payroll"), "forceDestroy": False}, "b"))
        == []
    )


# -- remediation -------------------------------------------------------------------------------------


def test_remediate_level_fixes_the_stack():
    st = stack(
        [
            resource(BUCKET, {"forceDestroy": True, "name": wire.secret("acme-payroll-exports")}, "b"),
            resource(SQL, {"settings": {"tier": "db-custom-2-7680"}, "deletionProtection": False}, "db"),
            resource("gcp:bigtable/table:Table", {"name": "events"}, "t"),
            resource(BUCKET, {"forceDestroy": UNKNOWN}, "later"),
        ]
    )
    result = run(PACK, st, {GUARDS: "remediate"})
    assert [f for f in result.findings if f.policy == GUARDS and f.kind == "violation"] == []
    fixed = {r.urn.rsplit("::", 1)[-1]: r.properties for r in result.remediations if r.policy == GUARDS}
    assert fixed["b"]["forceDestroy"] is False
    assert wire.is_secret(fixed["b"]["name"])  # secretness survives the rewrite
    assert fixed["db"]["deletionProtection"] is True
    assert fixed["db"]["settings"] == {"tier": "db-custom-2-7680", "deletionProtectionEnabled": True}
    assert fixed["t"]["deletionProtection"] == "PROTECTED"
    assert "later" not in fixed  # an unknown value is never guessed
    assert any(f.kind == "note" and f.urn.endswith("::later") for f in result.findings)


def test_without_remediate_level_nothing_is_rewritten():
    result = run(PACK, stack([resource(BUCKET, {"forceDestroy": True}, "b")]))
    assert result.remediations == []
    assert result.blocked


# -- protect option ----------------------------------------------------------------------------------


def _protect_findings(stack_name: str, *resources, config=None):
    st = stack(resources, name=stack_name)
    return [f for f in findings(PACK, st, config) if f.policy.startswith("storage-protect-option")]


def test_protect_is_mandatory_in_prod_and_advisory_elsewhere():
    prod = _protect_findings("prod", resource(BUCKET, {}, "b", stack="prod"))
    assert [(f.policy, f.enforcement_level) for f in prod] == [("storage-protect-option-prod", "mandatory")]
    assert "'prod'" in prod[0].message
    dev = _protect_findings("dev", resource(BUCKET, {}, "b", stack="dev"))
    assert [(f.policy, f.enforcement_level) for f in dev] == [("storage-protect-option", "advisory")]
    eu_prod = _protect_findings("eu-prod", resource(SQL, {}, "db", stack="eu-prod"))
    assert [f.policy for f in eu_prod] == ["storage-protect-option-prod"]


def test_protected_storage_and_non_storage_pass():
    assert _protect_findings("prod", resource(BUCKET, {}, "b", stack="prod", protect=True)) == []
    assert _protect_findings("prod", resource("gcp:pubsub/topic:Topic", {}, "t", stack="prod")) == []


def test_protect_config_stacks_extra_and_exempt_types():
    config = {
        "storage-protect-option-prod": {
            "protectRequiredStacks": ["staging"],
            "extraTypes": ["aws:s3/*"],
            "exemptTypes": ["gcp:compute/*"],
        },
        "storage-protect-option": {"protectRequiredStacks": ["staging"]},
    }
    found = _protect_findings(
        "staging",
        resource(BUCKET, {}, "b", stack="staging"),
        resource("aws:s3/bucketV2:BucketV2", {}, "s3", stack="staging"),
        resource("gcp:compute/disk:Disk", {}, "disk", stack="staging"),
        config=config,
    )
    assert sorted((f.policy, f.urn.rsplit("::", 1)[-1]) for f in found) == [
        ("storage-protect-option-prod", "b"),
        ("storage-protect-option-prod", "s3"),
    ]
    # "prod" is no longer a protect-required stack with this config
    found = _protect_findings("prod", resource(BUCKET, {}, "b", stack="prod"), config=config)
    assert [f.policy for f in found] == ["storage-protect-option"]


def test_protect_decides_with_unknown_and_secret_inputs():
    found = _protect_findings(
        "prod", resource(BUCKET, {"name": wire.secret("acme-ledger"), "location": UNKNOWN}, "b", stack="prod")
    )
    assert [f.policy for f in found] == ["storage-protect-option-prod"]
    assert "acme-ledger" not in found[0].message


# -- Kubernetes retain policies ----------------------------------------------------------------------


def _claims(policy: dict | None = None) -> dict:
    spec: dict = {"volumeClaimTemplates": [{"metadata": {"name": "data"}}]}
    if policy is not None:
        spec["persistentVolumeClaimRetentionPolicy"] = policy
    return {"spec": spec}


def test_statefulset_claims_retained():
    assert _guard_findings(resource(STATEFULSET, _claims(), "ss"), policy=RETAIN) == []
    assert (
        _guard_findings(
            resource(STATEFULSET, _claims({"whenDeleted": "Retain", "whenScaled": "Delete"}), "ss"),
            policy=RETAIN,
        )
        == []
    )
    found = _guard_findings(resource(STATEFULSET, _claims({"whenDeleted": "Delete"}), "ss"), policy=RETAIN)
    assert len(found) == 1 and 'whenDeleted` must be "Retain"' in found[0].message
    # no claims of its own: the retention policy guards nothing
    no_claims = {"spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}}}
    assert _guard_findings(resource(STATEFULSET, no_claims, "ss"), policy=RETAIN) == []


def test_persistent_volume_and_storage_class_reclaim():
    assert (
        _guard_findings(resource(PV, {"spec": {"capacity": {"storage": "10Gi"}}}, "pv"), policy=RETAIN) == []
    )
    assert (
        len(
            _guard_findings(
                resource(PV, {"spec": {"persistentVolumeReclaimPolicy": "Recycle"}}, "pv"), policy=RETAIN
            )
        )
        == 1
    )
    found = _guard_findings(
        resource(STORAGE_CLASS, {"provisioner": "pd.csi.storage.gke.io"}, "sc"), policy=RETAIN
    )
    assert len(found) == 1 and 'unset means "Delete"' in found[0].message
    assert _guard_findings(resource(STORAGE_CLASS, {"reclaimPolicy": "Retain"}, "sc"), policy=RETAIN) == []


def test_kubernetes_unknowns_and_secrets():
    result = run(
        PACK,
        stack(
            [
                resource(
                    STATEFULSET,
                    {
                        "spec": {
                            "volumeClaimTemplates": UNKNOWN,
                            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"},
                        }
                    },
                    "ss",
                ),
                resource(STORAGE_CLASS, {"reclaimPolicy": UNKNOWN}, "sc"),
            ]
        ),
    )
    retain = [f for f in result.findings if f.policy == RETAIN]
    assert [f.kind for f in retain] == ["note", "note"]
    found = _guard_findings(
        resource(
            PV,
            {
                "spec": {
                    "persistentVolumeReclaimPolicy": "Delete",
                    "csi": {"volumeHandle": wire.secret("projects/acme/disks/ledger")},
                }
            },
            "pv",
        ),
        policy=RETAIN,
    )
    assert len(found) == 1 and "ledger" not in found[0].message


def test_kubernetes_remediation_skips_immutable_storage_class():
    st = stack(
        [
            resource(STATEFULSET, _claims({"whenDeleted": "Delete"}), "ss"),
            resource(STORAGE_CLASS, {"provisioner": "pd.csi.storage.gke.io"}, "sc"),
        ]
    )
    result = run(PACK, st, {RETAIN: "remediate"})
    fixed = {r.urn.rsplit("::", 1)[-1]: r.properties for r in result.remediations}
    assert fixed["ss"]["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"
    assert "sc" not in fixed
    remaining = [f for f in result.findings if f.policy == RETAIN]
    assert [(f.urn.rsplit("::", 1)[-1], f.enforcement_level) for f in remaining] == [("sc", "mandatory")]


# -- config and metadata -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {GUARDS: {"exemptTypes": "gcp:storage/bucket:Bucket"}},
        {"storage-protect-option-prod": {"protectRequiredStacks": "prod"}},
        {RETAIN: {"unknownKey": 1, "exemptTypes": [3]}},
    ],
)
def test_wrong_config_is_bad_input(config):
    with pytest.raises(InputError):
        run(PACK, stack([]), config)


def test_exempt_types():
    config = {GUARDS: {"exemptTypes": ["gcp:storage/*"]}}
    assert _guard_findings(resource(BUCKET, {"forceDestroy": True}, "b"), config=config) == []


def test_pack_metadata_and_catalogs():
    pack = load_pack(PACK)
    names = [r.name for r in pack.rules()]
    assert names == [
        GUARDS, "storage-protect-option-prod", "storage-protect-option", RETAIN, "azure-storage-delete-lock"
    ]
    levels = {r.name: r.enforcement for r in pack.rules()}
    assert levels["storage-protect-option"] == "advisory" and levels[GUARDS] == "mandatory"
    assert all(r.category == "deletion-protection" and r.remediation for r in pack.rules())
    assert "CKV_GCP_121" in pack.rules()[0].references
    catalogs = json.loads(json.dumps(pack.catalogs))
    assert (
        catalogs["storageProtectionSpecs"][SQL]["guards"][1]["path"] == "settings.deletionProtectionEnabled"
    )
    assert set(catalogs["kubernetesStorageSpecs"]) == set(KUBERNETES_STORAGE_SPECS)
