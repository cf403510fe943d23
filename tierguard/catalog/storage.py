"""Deletion-protection specs for storage types: plain data behind the storage-protection pack.

Each spec lists the properties that guard a type against deletion, their safe values and the
provider's **default** -- a rule judges the *effective* value, so an unset field that the provider
defaults to protected is fine (peers that flag a missing ``deletionProtection`` on a BigQuery table
get this wrong: it defaults to true). ``fix`` is the value a remediation may set; ``None`` means no
automatic fix (e.g. an immutable field, where the fix would replace the resource).

Property names and defaults were read from the pulumi-gcp 10.2 docstrings:

* ``sql/databaseInstance.deletionProtection`` "Defaults to `true`" (guards Pulumi only);
  ``settings.deletionProtectionEnabled`` (enforced by the GCP API) "Defaults to `false`";
* ``spanner/database``, ``bigtable/instance``, ``bigquery/table`` ``deletionProtection``: "Unless this
  field is set to false in state, a destroy ... will fail" -- i.e. protected when unset;
  ``spanner/database.enableDropProtection`` "Defaults to false";
* ``bigtable/table.deletionProtection``: "If not provided, deletion protection will be set to UNPROTECTED";
* ``redis/instance``, ``memcache/instance``, ``alloydb/cluster`` ``deletionProtection``: "set to true or
  unset ... would delete the instance will fail";
* ``redis/cluster.deletionProtectionEnabled`` "Default value is true";
* ``firestore/database.deleteProtectionState`` default ``DELETE_PROTECTION_STATE_UNSPECIFIED``
  ("currently equivalent to DELETE_PROTECTION_DISABLED");
* ``filestore/instance.deletionProtectionEnabled``: API default false;
  ``memorystore/instance.deletionProtectionEnabled``: no default documented -- unset counts as
  unprotected (we cannot show it is protected);
* ``storage/bucket.forceDestroy``, ``bigtable/instance.forceDestroy``, ``spanner/instance.forceDestroy``,
  ``bigquery/dataset.deleteContentsOnDestroy``: default false;
* ``compute/disk`` / ``regionDisk`` ``createSnapshotBeforeDestroy``: default false.

Every type below also has ``deletionPolicy`` (default ``DELETE``); ``"PREVENT"`` makes Pulumi refuse
to delete the resource and counts as protection in place of all its guards. Kubernetes: a
StatefulSet's claims are kept unless ``persistentVolumeClaimRetentionPolicy.whenDeleted`` is
``Delete`` (API default ``Retain``); a PersistentVolume created in a stack defaults to ``Retain``; a
StorageClass defaults to ``Delete`` (and ``reclaimPolicy`` is immutable, so no automatic fix).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Guard:
    """One protecting property."""

    path: str  # camelCase, dotted for nested objects
    safe: tuple[Any, ...]  # values that protect
    default: Any  # the provider's value when unset; None = undocumented, unset counts as unprotected
    fix: Any = None  # what a remediation sets; None = no automatic fix
    why: str = ""  # what happens when the guard is off

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "safe": list(self.safe), "default": self.default, "fix": self.fix,
                "why": self.why}


@dataclass(frozen=True)
class StorageSpec:
    kind: str
    guards: tuple[Guard, ...]
    # The type has `deletionPolicy`; "PREVENT" protects it whatever the guards say.
    deletion_policy: bool = False
    # The spec applies only when this path holds a non-empty value (StatefulSets with claims).
    applies_when: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "guards": [g.to_json() for g in self.guards]}
        if self.deletion_policy:
            out["deletionPolicyPrevent"] = True
        if self.applies_when:
            out["appliesWhen"] = self.applies_when
        return out


DELETION_POLICY_PATH = "deletionPolicy"
DELETION_POLICY_SAFE = ("PREVENT",)

_FORCE_DESTROY = "destroying it first deletes everything inside it"
_PULUMI_GUARD = "Pulumi would delete it on a careless change or replace"
_API_GUARD = "the GCP API would let anyone (console, gcloud, Pulumi) delete it"
_DELETES_TABLES = "destroying it first deletes all its tables"
_NO_SNAPSHOT = "destroying it leaves no snapshot behind"

GCP_STORAGE_SPECS: dict[str, StorageSpec] = {
    "gcp:sql/databaseInstance:DatabaseInstance": StorageSpec(
        "Cloud SQL instance",
        (
            Guard("deletionProtection", (True,), True, True, _PULUMI_GUARD),
            Guard("settings.deletionProtectionEnabled", (True,), False, True, _API_GUARD),
        ),
        deletion_policy=True,
    ),
    "gcp:spanner/database:Database": StorageSpec(
        "Spanner database",
        (
            Guard("deletionProtection", (True,), True, True, _PULUMI_GUARD),
            Guard("enableDropProtection", (True,), False, True, _API_GUARD),
        ),
        deletion_policy=True,
    ),
    "gcp:spanner/instance:Instance": StorageSpec(
        "Spanner instance",
        (Guard("forceDestroy", (False,), False, False, "destroying it first deletes all its backups"),),
        deletion_policy=True,
    ),
    "gcp:bigtable/instance:Instance": StorageSpec(
        "Bigtable instance",
        (
            Guard("deletionProtection", (True,), True, True, _PULUMI_GUARD),
            Guard("forceDestroy", (False,), False, False, "destroying it first deletes all its backups"),
        ),
        deletion_policy=True,
    ),
    "gcp:bigtable/table:Table": StorageSpec(
        "Bigtable table",
        (Guard("deletionProtection", ("PROTECTED",), "UNPROTECTED", "PROTECTED", _API_GUARD),),
        deletion_policy=True,
    ),
    "gcp:bigquery/table:Table": StorageSpec(
        "BigQuery table",
        (Guard("deletionProtection", (True,), True, True, _PULUMI_GUARD),),
        deletion_policy=True,
    ),
    "gcp:bigquery/dataset:Dataset": StorageSpec(
        "BigQuery dataset",
        (Guard("deleteContentsOnDestroy", (False,), False, False, _DELETES_TABLES),),
        deletion_policy=True,
    ),
    "gcp:storage/bucket:Bucket": StorageSpec(
        "Cloud Storage bucket",
        (Guard("forceDestroy", (False,), False, False, _FORCE_DESTROY),),
        deletion_policy=True,
    ),
    "gcp:firestore/database:Database": StorageSpec(
        "Firestore database",
        (
            Guard(
                "deleteProtectionState",
                ("DELETE_PROTECTION_ENABLED",),
                "DELETE_PROTECTION_STATE_UNSPECIFIED",
                "DELETE_PROTECTION_ENABLED",
                _API_GUARD,
            ),
        ),
        deletion_policy=True,
    ),
    "gcp:redis/instance:Instance": StorageSpec(
        "Memorystore for Redis instance",
        (Guard("deletionProtection", (True,), True, True, _PULUMI_GUARD),),
        deletion_policy=True,
    ),
    "gcp:memcache/instance:Instance": StorageSpec(
        "Memorystore for Memcached instance",
        (Guard("deletionProtection", (True,), True, True, _PULUMI_GUARD),),
        deletion_policy=True,
    ),
    "gcp:alloydb/cluster:Cluster": StorageSpec(
        "AlloyDB cluster",
        (Guard("deletionProtection", (True,), True, True, _PULUMI_GUARD),),
        deletion_policy=True,
    ),
    "gcp:redis/cluster:Cluster": StorageSpec(
        "Memorystore for Redis Cluster",
        (Guard("deletionProtectionEnabled", (True,), True, True, _API_GUARD),),
        deletion_policy=True,
    ),
    "gcp:memorystore/instance:Instance": StorageSpec(
        "Memorystore for Valkey instance",
        (Guard("deletionProtectionEnabled", (True,), None, True, _API_GUARD),),
        deletion_policy=True,
    ),
    "gcp:filestore/instance:Instance": StorageSpec(
        "Filestore instance",
        (Guard("deletionProtectionEnabled", (True,), False, True, _API_GUARD),),
        deletion_policy=True,
    ),
    "gcp:compute/disk:Disk": StorageSpec(
        "persistent disk",
        (Guard("createSnapshotBeforeDestroy", (True,), False, True, _NO_SNAPSHOT),),
        deletion_policy=True,
    ),
    "gcp:compute/regionDisk:RegionDisk": StorageSpec(
        "regional persistent disk",
        (Guard("createSnapshotBeforeDestroy", (True,), False, True, _NO_SNAPSHOT),),
        deletion_policy=True,
    ),
}

# -- AWS (pulumi-aws 7.51.1 docstrings) -----------------------------------------------------------
# * rds/instance, rds/cluster, rds/globalCluster, docdb/cluster, neptune/cluster `deletionProtection`:
#   "The default is `false`" / "Defaults to `false`" / "By default, deletion protection is disabled";
# * rds/instance, rds/cluster, docdb/cluster, neptune/cluster, redshift/cluster `skipFinalSnapshot`:
#   "Default is `false`" -- unset keeps the final snapshot, which is the safe value;
# * dynamodb/table `deletionProtectionEnabled`: "Defaults to `false`";
# * backup/vault `forceDestroy`: "Default value: `false`"; s3/bucket(V2) `forceDestroy`: the docstring
#   describes the flag without a default; the provider schema's default is false (objects are kept).
# EFS, ElastiCache and OpenSearch have no deletion guard property (ElastiCache's
# `finalSnapshotIdentifier` is a name, not a switch): they get the `protect` option rules only.
_AWS_API_GUARD = "the AWS API would let anyone (console, CLI, Pulumi) delete it"
_AWS_NO_FINAL_SNAPSHOT = "deleting it leaves no final snapshot behind"
_RDS_GUARDS = (
    Guard("deletionProtection", (True,), False, True, _AWS_API_GUARD),
    Guard("skipFinalSnapshot", (False,), False, False, _AWS_NO_FINAL_SNAPSHOT),
)

AWS_STORAGE_SPECS: dict[str, StorageSpec] = {
    "aws:rds/instance:Instance": StorageSpec("RDS instance", _RDS_GUARDS),
    "aws:rds/cluster:Cluster": StorageSpec("RDS / Aurora cluster", _RDS_GUARDS),
    "aws:rds/globalCluster:GlobalCluster": StorageSpec(
        "Aurora global cluster", (Guard("deletionProtection", (True,), False, True, _AWS_API_GUARD),)
    ),
    "aws:docdb/cluster:Cluster": StorageSpec("DocumentDB cluster", _RDS_GUARDS),
    "aws:neptune/cluster:Cluster": StorageSpec("Neptune cluster", _RDS_GUARDS),
    "aws:redshift/cluster:Cluster": StorageSpec(
        "Redshift cluster", (Guard("skipFinalSnapshot", (False,), False, False, _AWS_NO_FINAL_SNAPSHOT),)
    ),
    "aws:dynamodb/table:Table": StorageSpec(
        "DynamoDB table", (Guard("deletionProtectionEnabled", (True,), False, True, _AWS_API_GUARD),)
    ),
    "aws:s3/bucket:Bucket": StorageSpec(
        "S3 bucket", (Guard("forceDestroy", (False,), False, False, _FORCE_DESTROY),)
    ),
    "aws:s3/bucketV2:BucketV2": StorageSpec(
        "S3 bucket", (Guard("forceDestroy", (False,), False, False, _FORCE_DESTROY),)
    ),
    "aws:backup/vault:Vault": StorageSpec(
        "Backup vault",
        (Guard("forceDestroy", (False,), False, False, "destroying it first deletes every recovery point"),),
    ),
}

# -- Azure (pulumi-azure-native 3.29.0 and pulumi-azure 6.40.1 docstrings) ----------------------------
# Azure's deletion guard is a management lock (`CanNotDelete` or `ReadOnly`) on the resource or its
# resource group -- judged by the `azure-storage-delete-lock` stack policy over AZURE_LOCK_PROTECTED
# and AZURE_LOCK_TYPES. Key Vault also has purge protection, which no lock replaces:
# * keyvault:Vault `properties.enablePurgeProtection`: no default documented ("Enabling this
#   functionality is irreversible") -- unset counts as off; `properties.enableSoftDelete`: "it will be
#   set to true by default";
# * classic keyvault/keyVault `purgeProtectionEnabled`: no default documented -- unset counts as off.
_PURGE = "a deleted vault and its keys and secrets can be purged at once, beyond recovery"
AZURE_STORAGE_SPECS: dict[str, StorageSpec] = {
    "azure-native:keyvault:Vault": StorageSpec(
        "Key Vault",
        (
            Guard("properties.enablePurgeProtection", (True,), None, True, _PURGE),
            Guard("properties.enableSoftDelete", (True,), True, True, "deleting it deletes it for good"),
        ),
    ),
    "azure:keyvault/keyVault:KeyVault": StorageSpec(
        "Key Vault", (Guard("purgeProtectionEnabled", (True,), None, True, _PURGE),)
    ),
}

# Every storage-protection spec by cloud (one table per cloud, merged for the policies).
CLOUD_STORAGE_SPECS: dict[str, dict[str, StorageSpec]] = {
    "gcp": GCP_STORAGE_SPECS,
    "aws": AWS_STORAGE_SPECS,
    "azure": AZURE_STORAGE_SPECS,
}
STORAGE_SPECS: dict[str, StorageSpec] = {
    t: s for specs in CLOUD_STORAGE_SPECS.values() for t, s in specs.items()
}


@dataclass(frozen=True)
class LockType:
    """A management-lock type: where its level is, and which properties say what it locks."""

    level_property: str
    scope_properties: tuple[str, ...]  # the properties naming the locked scope
    covers: str  # resource | resource group | scope (a resource or group id) | subscription

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level_property, "scope": list(self.scope_properties), "covers": self.covers}


AZURE_LOCK_TYPES: dict[str, LockType] = {
    "azure-native:authorization:ManagementLockAtResourceLevel": LockType(
        "level", ("resourceName", "resourceGroupName"), "resource"
    ),
    "azure-native:authorization:ManagementLockAtResourceGroupLevel": LockType(
        "level", ("resourceGroupName",), "resource group"
    ),
    "azure-native:authorization:ManagementLockByScope": LockType("level", ("scope",), "scope"),
    "azure-native:authorization:ManagementLockAtSubscriptionLevel": LockType("level", (), "subscription"),
    "azure:management/lock:Lock": LockType("lockLevel", ("scope",), "scope"),
}
# Lock levels that stop a delete (ReadOnly stops every change, deletes included).
AZURE_LOCK_LEVELS: tuple[str, ...] = ("CanNotDelete", "ReadOnly")

# Azure storage that must sit under a delete lock: type -> (kind, the property holding its name).
AZURE_LOCK_PROTECTED: dict[str, tuple[str, str]] = {
    "azure-native:sql:Server": ("Azure SQL server", "serverName"),
    "azure-native:sql:Database": ("Azure SQL database", "databaseName"),
    "azure-native:cosmosdb:DatabaseAccount": ("Cosmos DB account", "accountName"),
    "azure-native:dbforpostgresql:Server": ("PostgreSQL flexible server", "serverName"),
    "azure-native:dbformysql:Server": ("MySQL flexible server", "serverName"),
    "azure-native:storage:StorageAccount": ("storage account", "accountName"),
    "azure-native:keyvault:Vault": ("Key Vault", "vaultName"),
    "azure:mssql/server:Server": ("Azure SQL server", "name"),
    "azure:mssql/database:Database": ("Azure SQL database", "name"),
    "azure:cosmosdb/account:Account": ("Cosmos DB account", "name"),
    "azure:postgresql/flexibleServer:FlexibleServer": ("PostgreSQL flexible server", "name"),
    "azure:mysql/flexibleServer:FlexibleServer": ("MySQL flexible server", "name"),
    "azure:storage/account:Account": ("storage account", "name"),
    "azure:keyvault/keyVault:KeyVault": ("Key Vault", "name"),
}

_RETAIN = ("Retain",)

KUBERNETES_STORAGE_SPECS: dict[str, StorageSpec] = {
    "kubernetes:apps/v1:StatefulSet": StorageSpec(
        "StatefulSet",
        (
            Guard(
                "spec.persistentVolumeClaimRetentionPolicy.whenDeleted",
                _RETAIN,
                "Retain",
                "Retain",
                "deleting the StatefulSet deletes its PersistentVolumeClaims and their data",
            ),
        ),
        applies_when="spec.volumeClaimTemplates",
    ),
    "kubernetes:core/v1:PersistentVolume": StorageSpec(
        "PersistentVolume",
        (
            Guard(
                "spec.persistentVolumeReclaimPolicy",
                _RETAIN,
                "Retain",
                "Retain",
                "releasing the claim deletes the volume and its data",
            ),
        ),
    ),
    "kubernetes:storage.k8s.io/v1:StorageClass": StorageSpec(
        "StorageClass",
        (
            Guard(
                "reclaimPolicy",
                _RETAIN,
                "Delete",
                None,  # immutable: changing it replaces the StorageClass
                "every volume it provisions is deleted with its claim",
            ),
        ),
    ),
}

# Types that should carry the `protect` resource option: every spec'd cloud storage type plus
# storage whose deletion loses data but has no guard property of its own.
PROTECT_OPTION_TYPES: tuple[str, ...] = (
    *GCP_STORAGE_SPECS,
    "gcp:sql/database:Database",
    "gcp:netapp/volume:Volume",
    "gcp:firebase/databaseInstance:DatabaseInstance",
    "gcp:healthcare/dataset:Dataset",
    "kubernetes:core/v1:PersistentVolume",
    "kubernetes:core/v1:PersistentVolumeClaim",
    # --- AWS: spec'd types, and storage with no guard property of its own ---
    *AWS_STORAGE_SPECS,
    "aws:efs/fileSystem:FileSystem",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/cluster:Cluster",
    "aws:elasticache/serverlessCache:ServerlessCache",
    "aws:memorydb/cluster:Cluster",
    "aws:opensearch/domain:Domain",
    "aws:ebs/volume:Volume",
    # --- Azure: everything a delete lock must cover ---
    *AZURE_LOCK_PROTECTED,
)

# Stack names (fnmatch, case-insensitive) where `protect` is mandatory by default.
PROTECT_REQUIRED_STACKS: tuple[str, ...] = (
    "prod",
    "production",
    "prod-*",
    "*-prod",
    "production-*",
    "*-production",
)


def catalog_json() -> dict[str, Any]:
    """The tables as ``tierguard policies`` shows them."""
    return {
        "storageProtectionSpecs": {t: s.to_json() for t, s in STORAGE_SPECS.items()},
        "deletionPolicyPrevent": {"path": DELETION_POLICY_PATH, "safe": list(DELETION_POLICY_SAFE)},
        "kubernetesStorageSpecs": {t: s.to_json() for t, s in KUBERNETES_STORAGE_SPECS.items()},
        "protectOptionTypes": list(PROTECT_OPTION_TYPES),
        "protectRequiredStacks": list(PROTECT_REQUIRED_STACKS),
        "azureLockTypes": {t: lock.to_json() for t, lock in AZURE_LOCK_TYPES.items()},
        "azureLockLevels": list(AZURE_LOCK_LEVELS),
        "azureLockProtected": {
            t: {"kind": kind, "name": name} for t, (kind, name) in AZURE_LOCK_PROTECTED.items()
        },
    }
