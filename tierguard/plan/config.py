"""Plan-guard thresholds and weights: built-in per-tier defaults, overridden by one config file.

The file is ``.tierguard.yaml`` or ``tierguard.yaml``, found in the working directory or the
nearest parent that has one (or given with ``--config``). Only its ``plan`` key belongs to the plan
guard; other top-level keys are left to other tierguard commands. Format::

    plan:
      defaults:                 # applied to every tier (including "default")
        maxChanges: 30          # changed resources (create+update+replace+delete+import); null = no limit
        maxDeletes: 3           # deletes; null = no limit
        maxReplaces: 3          # replaces (counted once, sub-steps or not); null = no limit
        warnScore: 30           # blast-radius score at or above which an advisory finding is raised
        blockScore: 60          # blast-radius score at or above which the plan is blocked
        opWeights: {create: 1, update: 1, import: 1, delete: 3, replace: 3}
        classWeights: {storage: 5, iam: 3}   # multiplies the op weight for these types
        typeWeights: {"gcp:compute/instance:Instance": 2}   # per type token, wins over classWeights
        storageTypes: ["gcp:looker/instance:Instance"]       # extra types treated as storage
        protectedDestroy: mandatory          # delete/replace of storage or protect/retainOnDelete
                                             # resources: mandatory | advisory | disabled
      tiers:                    # per tier, over defaults
        app: {maxChanges: 20}
        infra: {maxChanges: 80, blockScore: 150}
        identity: {maxDeletes: 0}
      stacks:                   # per stack ("project/stack" or "stack"), over the tier
        shop-app/prod: {tier: app, maxDeletes: 0}

Score = sum over changed resources of ``opWeights[op] x weight(type)``, where weight(type) is
``typeWeights[type]``, else ``classWeights.storage`` for storage, ``classWeights.iam`` for IAM,
else 1 -- OPA's Terraform blast-radius example, with classes so one line covers 474 IAM types.

Tier of a plan: ``--tier``; else the ``stacks`` entry's ``tier``; else the packs' own order
(:mod:`tierguard.policies.tier`: the stack tag ``tier``, then the project name's suffix ``-identity``,
``-infra`` or ``-app``, case-insensitive); else ``default``, whose thresholds sit between app and infra.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierguard.model.files import load_yaml
from tierguard.model.records import TIERS, InputError, Stack
from tierguard.policies import tier as tiers

CONFIG_NAMES = (".tierguard.yaml", "tierguard.yaml")
DEFAULT_TIER = "default"

# Every tier's weights and settings before its thresholds (shown by `tierguard policies`).
BASE: dict[str, Any] = {
    "opWeights": {"create": 1, "update": 1, "import": 1, "delete": 3, "replace": 3},
    "classWeights": {"storage": 5, "iam": 3},
    "typeWeights": {},
    "storageTypes": [],
    "protectedDestroy": "mandatory",
}

# The architecture's "30-line plan": an app change should be small; infra moves more at once.
BUILTIN: dict[str, dict[str, Any]] = {
    "app": {"maxChanges": 30, "maxDeletes": 3, "maxReplaces": 3, "warnScore": 30, "blockScore": 60},
    "identity": {"maxChanges": 40, "maxDeletes": 5, "maxReplaces": 3, "warnScore": 60, "blockScore": 120},
    "infra": {"maxChanges": 60, "maxDeletes": 5, "maxReplaces": 5, "warnScore": 60, "blockScore": 120},
    DEFAULT_TIER: {"maxChanges": 30, "maxDeletes": 5, "maxReplaces": 5, "warnScore": 40, "blockScore": 80},
}

_LIMIT = {"type": ["integer", "null"], "minimum": 0}
_SCORE = {"type": ["number", "null"], "minimum": 0}
_WEIGHT = {"type": "number", "minimum": 0}
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "maxChanges": _LIMIT,
        "maxDeletes": _LIMIT,
        "maxReplaces": _LIMIT,
        "warnScore": _SCORE,
        "blockScore": _SCORE,
        "opWeights": {
            "type": "object",
            "additionalProperties": False,
            "properties": {op: _WEIGHT for op in ("create", "update", "import", "delete", "replace")},
        },
        "classWeights": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"storage": _WEIGHT, "iam": _WEIGHT},
        },
        "typeWeights": {"type": "object", "additionalProperties": _WEIGHT},
        "storageTypes": {"type": "array", "items": {"type": "string", "pattern": "^[^:]+:.*:[^:]+$"}},
        "protectedDestroy": {"enum": ["mandatory", "advisory", "disabled"]},
    },
}
_STACK_SCHEMA = copy.deepcopy(SETTINGS_SCHEMA)
_STACK_SCHEMA["properties"]["tier"] = {"enum": list(TIERS)}

# JSON Schema of the config file (only the "plan" key is the plan guard's).
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "tierguard configuration",
    "type": "object",
    "properties": {
        "plan": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "defaults": SETTINGS_SCHEMA,
                "tiers": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {tier: SETTINGS_SCHEMA for tier in (*TIERS, DEFAULT_TIER)},
                },
                "stacks": {"type": "object", "additionalProperties": _STACK_SCHEMA},
            },
        }
    },
}


@dataclass
class PlanSettings:
    """The thresholds and weights one plan is judged by."""

    tier: str
    tier_source: str
    max_changes: int | None
    max_deletes: int | None
    max_replaces: int | None
    warn_score: float | None
    block_score: float | None
    op_weights: dict[str, float]
    class_weights: dict[str, float]
    type_weights: dict[str, float] = field(default_factory=dict)
    storage_types: frozenset[str] = frozenset()
    protected_destroy: str = "mandatory"
    config_file: str | None = None

    def thresholds(self) -> dict[str, Any]:
        return {
            "maxChanges": self.max_changes,
            "maxDeletes": self.max_deletes,
            "maxReplaces": self.max_replaces,
            "warnScore": self.warn_score,
            "blockScore": self.block_score,
        }


@dataclass
class PlanConfig:
    """The ``plan`` section of a config file (empty when there is none)."""

    data: dict[str, Any] = field(default_factory=dict)
    source: str | None = None

    @classmethod
    def load(cls, path: str | Path | None) -> PlanConfig:
        """Read and validate ``path``; None discovers the file from the working directory upward."""
        p = Path(path) if path is not None else discover()
        if p is None:
            return cls()
        doc = load_yaml(p, "plan config")
        doc = {} if doc is None else doc
        validate(doc, str(p))
        return cls(data=dict(doc.get("plan") or {}), source=str(p))

    def settings(self, stack: Stack, tier: str | None = None) -> PlanSettings:
        """Thresholds for ``stack``: built-in tier defaults <- defaults <- tiers[tier] <- stacks[stack]."""
        stack_entry = dict(self.stack_entry(stack) or {})
        tier, source = resolve_tier(stack, tier, stack_entry.pop("tier", None))
        merged: dict[str, Any] = copy.deepcopy(BASE)
        layers = [
            BUILTIN[tier],
            self.data.get("defaults") or {},
            (self.data.get("tiers") or {}).get(tier) or {},
            stack_entry,
        ]
        for layer in layers:
            for key, value in layer.items():
                if isinstance(value, dict) and isinstance(merged.get(key), dict):
                    merged[key] = {**merged[key], **value}
                else:
                    merged[key] = value
        return PlanSettings(
            tier=tier,
            tier_source=source,
            max_changes=merged.get("maxChanges"),
            max_deletes=merged.get("maxDeletes"),
            max_replaces=merged.get("maxReplaces"),
            warn_score=merged.get("warnScore"),
            block_score=merged.get("blockScore"),
            op_weights=dict(merged["opWeights"]),
            class_weights=dict(merged["classWeights"]),
            type_weights=dict(merged["typeWeights"]),
            storage_types=frozenset(merged["storageTypes"]),
            protected_destroy=merged["protectedDestroy"],
            config_file=self.source,
        )

    def stack_entry(self, stack: Stack) -> dict[str, Any] | None:
        stacks = self.data.get("stacks") or {}
        return stacks.get(f"{stack.project}/{stack.stack}") or stacks.get(stack.stack)


def validate(doc: Any, source: str) -> None:
    """Schema-check a config document; the first error becomes a one-line InputError."""
    import jsonschema  # only when there is a plan config to check

    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise InputError(source, f"plan config {where}: {err.message}")


def discover(start: Path | None = None) -> Path | None:
    """The nearest ``.tierguard.yaml`` / ``tierguard.yaml`` from ``start`` (the cwd) upward."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    return None


def resolve_tier(stack: Stack, forced: str | None, configured: str | None = None) -> tuple[str, str]:
    """(tier, where it came from): the packs' own order (:func:`tierguard.policies.tier.resolve_tier`),
    so one plan is never judged as two tiers. An explicit choice comes first (``--tier``, then the
    plan config's ``stacks`` entry, then the tier the caller set on the stack); with none, the
    ``default`` thresholds apply."""
    if forced:
        return forced, "--tier"
    if configured:
        return configured, "plan config stacks entry"
    resolution = tiers.stack_tier(stack)
    if resolution.tier is None:
        return DEFAULT_TIER, "no tier found: default thresholds"
    return resolution.tier, resolution.source
