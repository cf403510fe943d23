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
        "storageProtectionSpecs": {t: s.to_json() for t, s in GCP_STORAGE_SPECS.items()},
        "deletionPolicyPrevent": {"path": DELETION_POLICY_PATH, "safe": list(DELETION_POLICY_SAFE)},
        "kubernetesStorageSpecs": {t: s.to_json() for t, s in KUBERNETES_STORAGE_SPECS.items()},
        "protectOptionTypes": list(PROTECT_OPTION_TYPES),
        "protectRequiredStacks": list(PROTECT_REQUIRED_STACKS),
    }
