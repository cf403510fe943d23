"""The registry of tierguard's policy packs: each pack's description and every module its policies
live in, in order. Each module holds ``POLICIES`` (its policy objects) and may hold ``CATALOGS`` (the
tables behind them, shown by ``tierguard policies``). Modules are imported when a pack is first
asked for, so start-up stays fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache

from tierguard.model.records import InputError
from tierguard.policies.base import Pack


@dataclass(frozen=True)
class Registered:
    """A pack as the registry lists it."""

    description: str
    modules: tuple[str, ...]


REGISTRY: dict[str, Registered] = {
    "tier-boundaries": Registered(
        "Resources live in the stack of their tier (identity, infra, app); no datastore in an app stack.",
        ("tierguard.policies.tier_boundaries",),
    ),
    "storage-protection": Registered(
        "Storage cannot be destroyed by a careless change: deletion guards, `protect`, retain policies.",
        ("tierguard.policies.storage_protection", "tierguard.policies.storage_azure"),
    ),
    "plan-size": Registered(
        "Stacks stay small enough to review: a per-tier resource limit with an early warning.",
        ("tierguard.policies.plan_size",),
    ),
    "least-privilege-iam": Registered(
        "Least privilege for GCP IAM (every IAM type, ACLs, datasets, buckets, keys, workload "
        "identity), AWS IAM (policy documents, managed policies, trust policies, EKS access), Azure "
        "(role assignments, custom roles, federated credentials, AKS, storage) and Kubernetes RBAC.",
        (
            "tierguard.policies.iam_gcp_grants",
            "tierguard.policies.iam_gcp_settings",
            "tierguard.policies.rbac",
            "tierguard.policies.iam_aws",
            "tierguard.policies.iam_azure",
        ),
    ),
}

# pack name -> the modules holding its policies (what `tierguard pack build` vendors from)
PACK_MODULES: dict[str, tuple[str, ...]] = {name: entry.modules for name, entry in REGISTRY.items()}


def load_pack(name: str) -> Pack:
    """The pack called ``name``; an unknown name is bad usage (exit 2)."""
    return _builtin_pack(name)


@cache
def _builtin_pack(name: str) -> Pack:
    entry = REGISTRY.get(name)
    if entry is None:
        raise InputError(None, f"unknown policy pack {name!r}; known packs: {', '.join(REGISTRY)}")
    modules = [importlib.import_module(m) for m in entry.modules]
    return Pack(
        name=name,
        description=entry.description,
        policies=tuple(p for m in modules for p in m.POLICIES),
        catalogs={k: v for m in modules for k, v in getattr(m, "CATALOGS", {}).items()},
    )


def all_packs() -> list[Pack]:
    return [load_pack(name) for name in PACK_MODULES]
