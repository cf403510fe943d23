"""Which resource types the plan guard weighs heavier: storage (data is lost when it goes) and IAM
(who can do what). The type tables are the shared catalog's (:mod:`tierguard.catalog.datastores`,
:mod:`tierguard.catalog.iam`), so the plan guard and the packs agree on what a datastore is; users
extend storage with ``storageTypes`` in the plan config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from tierguard.catalog.datastores import DATASTORE_PATTERNS, DATASTORE_TYPES
from tierguard.catalog.iam import IAM_TYPE_NAME
from tierguard.model.globs import first_match, type_matches_any

# Storage beyond the datastore catalog: a PersistentVolume holds data as much as its claim does.
EXTRA_STORAGE_TYPES = frozenset({"kubernetes:core/v1:PersistentVolume"})

# Modules whose every type grants or holds identity (aws:iam/role:Role, gcp:serviceaccount/key:Key, ...).
_IAM_MODULES = frozenset({"iam", "serviceaccount", "serviceAccount"})
# IAM_TYPE_NAME covers member/binding/policy; custom roles define what a grant means.
_CUSTOM_ROLE = "iamcustomrole"


@cache
def _catalog_storage(type_: str) -> bool:
    """In the datastore catalog (exact token or pattern); cached: a plan has few distinct types."""
    if type_ in EXTRA_STORAGE_TYPES:
        return True
    # matched as the tier-boundaries pack matches them (tierguard.model.globs: type tokens ignore case)
    return any(first_match(type_, table) is not None for table in (DATASTORE_TYPES, DATASTORE_PATTERNS))


def _split(type_: str) -> tuple[str, str, str]:
    pkg, _, rest = type_.partition(":")
    module, _, name = rest.rpartition(":")
    return pkg, module, name


def is_storage(type_: str, inputs: Mapping[str, Any] | None = None, extra: Iterable[str] = ()) -> bool:
    """Deleting or replacing this resource loses data.

    A StatefulSet counts only when it deletes its volume claims with it
    (``persistentVolumeClaimRetentionPolicy.whenDeleted: Delete``); by default they are retained.
    """
    if type_matches_any(type_, extra) or _catalog_storage(type_):
        return True
    if type_ == "kubernetes:apps/v1:StatefulSet" and isinstance(inputs, Mapping):
        spec = inputs.get("spec")
        policy = spec.get("persistentVolumeClaimRetentionPolicy") if isinstance(spec, Mapping) else None
        return isinstance(policy, Mapping) and policy.get("whenDeleted") == "Delete"
    return False


@cache
def is_iam(type_: str) -> bool:
    """The resource grants permissions or is an identity: reviewers must see these changes."""
    pkg, module, name = _split(type_)
    if pkg == "kubernetes":
        return module.startswith("rbac.authorization.k8s.io/") or (
            module == "core/v1" and name == "ServiceAccount"
        )
    return (
        module.split("/", 1)[0] in _IAM_MODULES
        or bool(IAM_TYPE_NAME.search(name))
        or name.lower().endswith(_CUSTOM_ROLE)
    )
