"""Azure's way to protect storage: a ``CanNotDelete`` (or ``ReadOnly``) management lock on the resource,
its resource group or its subscription -- a stack policy of the storage-protection pack, because a lock
is another resource (tables in :mod:`tierguard.catalog.storage`).

A lock covers a storage resource when, in the same stack:

* a resource-level lock or a lock by scope depends on the resource (``resourceName=account.name``,
  ``scope=account.id``), or names it (known resource group and name, or a scope id ending in it);
* a resource-group-level lock or a lock by scope depends on the same resource group as the storage
  resource's ``resourceGroupName``, or names the same group;
* a subscription-level lock exists.

A lock whose level is unknown during preview counts (it is judged on ``pulumi up``); locks outside the
stack are invisible, so a team that locks resource groups elsewhere exempts the types with
``allowedResources`` (old name ``exemptTypes``) or disables the policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from tierguard.catalog import storage as st
from tierguard.policies import props as p
from tierguard.policies import skip
from tierguard.policies.base import Rule, stack_policy

CATEGORY = "deletion-protection"
UNKNOWN = p.UNKNOWN

SKIP_ALIAS = "exemptTypes"  # the old name of allowedResources here (tierguard.policies.skip)


def _dep_urns(res: Any, keys: Iterable[str]) -> set[str]:
    deps = getattr(res, "property_dependencies", None) or {}
    return {d.urn for key in keys for d in deps.get(key) or []}


def _locks(resources: Iterable[Any]) -> list[tuple[Any, st.LockType]]:
    out = []
    for res in resources:
        lock = st.AZURE_LOCK_TYPES.get(res.resource_type)
        if lock is None:
            continue
        level = p.get(res.props, lock.level_property)
        if level is UNKNOWN or level in st.AZURE_LOCK_LEVELS:
            out.append((res, lock))
    return out


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower()


def _covers(lock_res: Any, lock: st.LockType, res: Any, name_key: str) -> bool:
    if lock.covers == "subscription":
        return True
    props = lock_res.props
    rg_deps = _dep_urns(res, ["resourceGroupName"])
    lock_deps = _dep_urns(lock_res, lock.scope_properties)
    if res.urn in lock_deps:
        return True
    rg, name = p.get(res.props, "resourceGroupName"), p.get(res.props, name_key)
    if lock.covers == "resource":
        return _same(p.get(props, "resourceName"), name) and _same(p.get(props, "resourceGroupName"), rg)
    if lock.covers == "resource group":
        return bool(rg_deps & lock_deps) or _same(p.get(props, "resourceGroupName"), rg)
    scope = p.get(props, "scope")  # "scope": a resource or resource group id
    if rg_deps & lock_deps:  # scope=rg.id: the lock depends on the storage's resource group
        return True
    if isinstance(scope, str) and isinstance(rg, str):
        group = re.search(r"/resourcegroups/([^/]+)(/.*)?$", scope, re.IGNORECASE)
        if group and group.group(1).lower() == rg.lower():
            rest = group.group(2) or ""
            return not rest or (isinstance(name, str) and rest.lower().endswith(f"/{name.lower()}"))
    return False


RULE = Rule(
    name="azure-storage-delete-lock",
    title="Azure storage sits under a delete lock",
    description="Azure SQL servers and databases, Cosmos DB accounts, PostgreSQL/MySQL flexible servers, "
    "storage accounts and Key Vaults are covered by a CanNotDelete (or ReadOnly) management lock on the "
    "resource, its resource group or the subscription -- Azure's deletion guard.",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation='Add `azure_native.authorization.ManagementLockByScope(level="CanNotDelete", '
    "scope=<resource>.id)` (or a resource-group lock) in the same stack; remove it deliberately when the "
    "resource must go. Locks managed elsewhere: exempt them with `allowedResources`.",
    references=(),
    config=skip.config(SKIP_ALIAS),
)


def _validate(args: Any, report_violation: Callable[..., None]) -> None:
    config = args.get_config() or {}
    exempt = skip.patterns(config, SKIP_ALIAS)
    locks = None
    for res in args.resources:
        protected = st.AZURE_LOCK_PROTECTED.get(res.resource_type)
        if protected is None or skip.skipped(res, exempt):
            continue
        if locks is None:
            locks = _locks(args.resources)
        kind, name_key = protected
        if not any(_covers(lock_res, lock, res, name_key) for lock_res, lock in locks):
            report_violation(
                f"{kind} is not covered by a CanNotDelete or ReadOnly management lock in this stack "
                "(on itself, its resource group or the subscription): anyone with delete rights -- or a "
                "careless Pulumi change -- can delete it.",
                res.urn,
            )


POLICIES: tuple[Any, ...] = (stack_policy(RULE, _validate),)
