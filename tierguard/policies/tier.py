"""Which tier a stack belongs to -- one resolution shared by every tier-aware policy.

Order (first that says wins):

1. the policy's own ``tier`` config (``--policy-pack-config``; ``tierguard check --tier`` injects it
   into every policy whose schema has ``tier``);
2. the stack tag ``tier`` (``pulumi stack tag set tier app``);
3. the project name's suffix ``-identity``, ``-infra`` or ``-app`` (or a project named exactly so).

The project is read from the resource URN (``urn:pulumi:<stack>::<project>::...``), which needs no
runtime, and falls back to ``pulumi.get_project()`` for a stack policy over a stack without any
resource (never the case under the engine: the root stack is always there). Today's CLI sets no
``PULUMI_PROJECT`` for a pack, so that fallback is the SDK's default "project" there, and in-process.

An unresolved tier fails closed through ONE stack finding (``tier-declared`` in the tier-boundaries
pack) instead of a finding per resource: resource policies that need the tier stay quiet when it is
unknown, and ``plan-size`` falls back to its strictest limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tierguard.model.records import TIERS, Stack
from tierguard.model.urn import project_of_urn, stack_of_urn

TIER_TAG = "tier"

# The JSON-schema property every tier-aware policy declares (the evaluator injects --tier into it).
TIER_CONFIG_SCHEMA: dict[str, dict[str, Any]] = {
    "tier": {
        "type": "string",
        "enum": list(TIERS),
        "description": "The tier of the stack (identity, infra or app). Overrides the stack tag "
        "`tier` and the project name suffix.",
    }
}

HOW_TO_DECLARE = (
    "Declare the tier in one of three ways: "
    '(1) policy config `tier` (e.g. --policy-pack-config {"<policy>": {"tier": "app"}}, '
    "or `tierguard check --tier app`); "
    "(2) the stack tag: `pulumi stack tag set tier app`; "
    "(3) a project name ending in -identity, -infra or -app."
)


@dataclass(frozen=True)
class TierResolution:
    """The tier (None when unresolved) and where it came from, for messages."""

    tier: str | None
    source: str  # "policy config", "stack tag", "project name" or "unresolved"
    detail: str = ""

    def describe(self) -> str:
        return f"tier {self.tier} (from {self.source})" if self.tier else "tier unresolved"


def tier_from_project(project: str | None) -> str | None:
    if not project:
        return None
    name = project.strip().lower()
    for tier in TIERS:
        if name == tier or name.endswith(f"-{tier}"):
            return tier
    return None


def resolve_tier(
    config_tier: Any, stack_tags: Mapping[str, str] | None, project: str | None
) -> TierResolution:
    """The tier by the documented order; the detail says why an invalid tag was ignored."""
    if isinstance(config_tier, str) and config_tier in TIERS:
        return TierResolution(config_tier, "policy config")
    tag = (stack_tags or {}).get(TIER_TAG)
    if isinstance(tag, (str, type(None))) and isinstance(project, (str, type(None))):
        # every resource of a stack asks the same question: answer it once
        return _resolve_tag_or_project(tag, project)
    return _resolve_uncached(tag, project)


@lru_cache(maxsize=256)
def _resolve_tag_or_project(tag: str | None, project: str | None) -> TierResolution:
    return _resolve_uncached(tag, project)


def _resolve_uncached(tag: Any, project: str | None) -> TierResolution:
    notes: list[str] = []
    if tag is not None:
        value = str(tag).strip().lower()
        if value in TIERS:
            return TierResolution(value, "stack tag")
        notes.append(f"the stack tag `tier` is {str(tag)!r}, not one of {', '.join(TIERS)}")
    from_project = tier_from_project(project)
    if from_project:
        return TierResolution(from_project, "project name")
    if project:
        notes.append(f"the project name {project!r} has no tier suffix")
    return TierResolution(None, "unresolved", "; ".join(notes))


def stack_tier(stack: Stack) -> TierResolution:
    """The tier of a whole stack read by tierguard (``--tier`` sets ``stack.tier``), by the same order
    the policies use: what the plan guard and the reports show."""
    return resolve_tier(stack.tier, stack.tags, stack.project)


def _runtime_project() -> str | None:
    try:
        import pulumi

        return pulumi.get_project() or None
    except Exception:  # not configured (e.g. called outside the analyzer)
        return None


def _runtime_stack() -> str | None:
    try:
        import pulumi

        return pulumi.get_stack() or None
    except Exception:
        return None


def project_for(urns: Iterable[str]) -> str | None:
    """The project from the first URN that names one, else from the Pulumi runtime."""
    for urn in urns:
        project = project_of_urn(urn)
        if project:
            return project
    return _runtime_project()


def stack_name_for(urns: Iterable[str]) -> str | None:
    for urn in urns:
        stack = stack_of_urn(urn)
        if stack:
            return stack
    return _runtime_stack()


def _urns(args: Any) -> list[str]:
    urn = getattr(args, "urn", None)
    if urn:
        return [urn]
    resources = getattr(args, "resources", None) or []
    return [r.urn for r in resources[:1]]


def tier_for(args: Any) -> TierResolution:
    """The tier for a ``ResourceValidationArgs`` or ``StackValidationArgs``."""
    config = args.get_config() or {}
    return resolve_tier(config.get("tier"), getattr(args, "stack_tags", None), project_for(_urns(args)))


def stack_name(args: Any) -> str | None:
    """The stack name for either kind of validation args."""
    return stack_name_for(_urns(args))
