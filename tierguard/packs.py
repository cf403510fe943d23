"""The registry of tierguard's policy packs, imported lazily so start-up stays fast."""

from __future__ import annotations

import importlib
from functools import cache

from tierguard.model import InputError
from tierguard.policies.base import Pack

# pack name -> "module:attribute" holding its Pack
PACK_MODULES: dict[str, str] = {
    "tier-boundaries": "tierguard.policies.tier_boundaries:PACK",
    "storage-protection": "tierguard.policies.storage_protection:PACK",
    "plan-size": "tierguard.policies.plan_size:PACK",
    "least-privilege-iam": "tierguard.policies.iam:PACK",
}


def load_pack(name: str) -> Pack:
    """The pack called ``name``; an unknown name is bad usage (exit 2)."""
    return _builtin_pack(name)


@cache
def _builtin_pack(name: str) -> Pack:
    target = PACK_MODULES.get(name)
    if target is None:
        raise InputError(None, f"unknown policy pack {name!r}; known packs: {', '.join(PACK_MODULES)}")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def all_packs() -> list[Pack]:
    return [load_pack(name) for name in PACK_MODULES]

