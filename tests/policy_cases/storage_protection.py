"""storage-protection: deletion guards on effective values, `protect` by stack, Kubernetes retain
policies, Azure delete locks."""

from __future__ import annotations

from policy_cases import NOTE, UNKNOWN, A, M, case, r, secret

GUARDS = "storage-deletion-guards"
PROD = "storage-protect-option-prod"
PROTECT = "storage-protect-option"
RETAIN = "kubernetes-storage-retain"
LOCK = "azure-storage-delete-lock"

BUCKET = "gcp:storage/bucket:Bucket"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
BT_TABLE = "gcp:bigtable/table:Table"
RDS = "aws:rds/instance:Instance"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
PV = "kubernetes:core/v1:PersistentVolume"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
TOPIC = "gcp:pubsub/topic:Topic"
ACCOUNT = "azure-native:storage:StorageAccount"
COSMOS = "azure-native:cosmosdb:DatabaseAccount"
LOCK_BY_SCOPE = "azure-native:authorization:ManagementLockByScope"
RG_LOCK = "azure-native:authorization:ManagementLockAtResourceGroupLevel"

SAFE_SQL = {"deletionProtection": True, "settings": {"deletionProtectionEnabled": True}}


def _claims(policy: object = None) -> dict:
    spec: dict = {"volumeClaimTemplates": [{"metadata": {"name": "data"}}]}
    if policy is not None:
        spec["persistentVolumeClaimRetentionPolicy"] = policy
    return {"spec": spec}


CASES = [
    # -- storage-deletion-guards (protect=True keeps the protect-option rules out of these cases)
    case(
        GUARDS,
        "bucket-force-destroy",
        [r(BUCKET, "b", {"forceDestroy": True}, protect=True)],
        [(GUARDS, "b", M)],
    ),
    case(GUARDS, "bucket-safe", [r(BUCKET, "b", {"forceDestroy": False, "location": "EU"}, protect=True)]),
    case(
        GUARDS,
        "sql-unset-api-flag",
        [r(SQL, "db", {"settings": {"tier": UNKNOWN}}, protect=True)],
        [(GUARDS, "db", M)],
    ),
    case(
        GUARDS,
        "sql-safe-secret-password",
        [r(SQL, "db", {**SAFE_SQL, "rootPassword": secret("pw")}, protect=True)],
    ),
    case(
        GUARDS,
        "unknown-guard-is-judged-at-up",
        [r(BUCKET, "b", {"forceDestroy": UNKNOWN}, protect=True)],
        [(GUARDS, "b", NOTE)],
    ),
    case(
        GUARDS,
        "secret-guard-value-is-judged",
        [
            r(BUCKET, "b", {"forceDestroy": secret(True)}, protect=True),
            r(BUCKET, "ok", {"forceDestroy": secret(False)}, protect=True),
        ],
        [(GUARDS, "b", M)],
    ),
    case(
        GUARDS, "bigtable-table-default-unprotected", [r(BT_TABLE, "t", {}, protect=True)], [(GUARDS, "t", M)]
    ),
    case(
        GUARDS,
        "rds-without-deletion-protection",
        [r(RDS, "db", {"deletionProtection": False, "password": secret("pw")}, protect=True)],
        [(GUARDS, "db", M)],
    ),
    case(
        GUARDS,
        "exempt-types",
        [r(BUCKET, "b", {"forceDestroy": True}, protect=True)],
        config={GUARDS: {"exemptTypes": [BUCKET]}},
    ),
    # -- storage-protect-option-prod / storage-protect-option: `protect` on storage, by stack
    case(
        PROD,
        "unprotected-bucket-in-prod",
        [r(BUCKET, "b", {"name": secret("ledger"), "location": UNKNOWN})],
        [(PROD, "b", M)],
        stack="prod",
    ),
    case(
        PROD,
        "protected-sql-in-prod",
        [r(SQL, "db", {**SAFE_SQL, "region": UNKNOWN, "rootPassword": secret("pw")}, protect=True)],
        stack="prod",
    ),
    case(
        PROD, "topic-is-not-storage", [r(TOPIC, "t", {"name": secret("x"), "labels": UNKNOWN})], stack="prod"
    ),
    case(
        PROD,
        "eu-prod-counts-as-prod",
        [r(RDS, "db", {"deletionProtection": True})],
        [(PROD, "db", M)],
        stack="eu-prod",
    ),
    case(
        PROTECT,
        "unprotected-bucket-in-dev",
        [r(BUCKET, "b", {"name": secret("ledger"), "location": UNKNOWN})],
        [(PROTECT, "b", A)],
    ),
    case(
        PROTECT,
        "protected-bucket-in-dev",
        [r(BUCKET, "b", {"name": secret("ledger"), "location": UNKNOWN}, protect=True)],
    ),
    case(
        PROTECT,
        "staging-made-protect-required",
        [r(BUCKET, "b")],
        [(PROD, "b", M)],
        stack="staging",
        config={
            PROD: {"protectRequiredStacks": ["staging"]},
            PROTECT: {"protectRequiredStacks": ["staging"]},
        },
    ),
    case(PROTECT, "exempt-types", [r(BUCKET, "b")], config={PROTECT: {"exemptTypes": [BUCKET]}}),
    # -- kubernetes-storage-retain
    case(
        RETAIN,
        "statefulset-claims-deleted",
        [r(STATEFULSET, "ss", _claims({"whenDeleted": "Delete"}))],
        [(RETAIN, "ss", M)],
    ),
    case(RETAIN, "statefulset-claims-retained-by-default", [r(STATEFULSET, "ss", _claims())]),
    case(
        RETAIN,
        "statefulset-unknown-policy",
        [r(STATEFULSET, "ss", _claims({"whenDeleted": UNKNOWN}))],
        [(RETAIN, "ss", NOTE)],
    ),
    case(
        RETAIN,
        "pv-recycle-and-secret-retain",
        [
            r(PV, "pv", {"spec": {"persistentVolumeReclaimPolicy": "Recycle"}}, protect=True),
            r(PV, "kept", {"spec": {"persistentVolumeReclaimPolicy": secret("Retain")}}, protect=True),
        ],
        [(RETAIN, "pv", M)],
    ),
    case(
        RETAIN,
        "storage-class-default-delete",
        [r(STORAGE_CLASS, "sc", {"provisioner": "pd.csi.storage.gke.io"})],
        [(RETAIN, "sc", M)],
    ),
    case(RETAIN, "storage-class-retain", [r(STORAGE_CLASS, "sc", {"reclaimPolicy": "Retain"})]),
    # -- azure-storage-delete-lock (a stack policy); protect=True keeps the protect-option rules out
    case(
        LOCK,
        "unlocked-account",
        [r(ACCOUNT, "data", {"accountName": "shopdata", "resourceGroupName": "shop-rg"}, protect=True)],
        [(LOCK, "data", M)],
    ),
    case(
        LOCK,
        "group-lock-by-name",
        [
            r(ACCOUNT, "data", {"accountName": "shopdata", "resourceGroupName": "shop-rg"}, protect=True),
            r(RG_LOCK, "lock", {"level": "CanNotDelete", "resourceGroupName": "shop-rg"}),
        ],
    ),
    case(
        LOCK,
        "unknown-lock-level-is-judged-when-known",
        [
            r(ACCOUNT, "data", {"accountName": "shopdata", "resourceGroupName": "shop-rg"}, protect=True),
            r(
                LOCK_BY_SCOPE,
                "lock",
                {"level": UNKNOWN, "scope": UNKNOWN},
                property_dependencies={"scope": ["urn:pulumi:dev::proj::" + ACCOUNT + "::data"]},
            ),
        ],
    ),
    case(
        LOCK,
        "secret-account-name",
        [r(COSMOS, "db", {"accountName": secret("hidden"), "resourceGroupName": "rg"}, protect=True)],
        [(LOCK, "db", M)],
    ),
]
