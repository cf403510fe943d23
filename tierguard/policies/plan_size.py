"""The plan-size pack: stacks stay small enough that a human can read their plans.

CrossGuard sees the new state, not the operations of a preview, so this pack limits what it can see:
the number of resources a stack manages. (Per-preview limits on changes, deletes and replaces come
from ``pulumi preview --json`` through ``tierguard plan``.)

Two stack policies share one count, because enforcement is per policy: ``stack-size-warning``
(advisory, from ``warnRatio`` of the limit up to the limit) and ``stack-size-limit`` (mandatory, above
the limit). Counted: every resource the engine reports except providers, the root stack, stack
references and well-known component resources (``allowedResources``, old name ``excludeTypes``); a
policy cannot see the custom/component flag, so a team's own component types belong there when they
should not count.

Default limits per tier, from the reference architecture (each stack's plan readable in one sitting):

* identity 60 -- a CI service account per tier with a handful of role grants each, team group grants,
  a few custom roles, one workload identity pool and provider: about 40 resources;
* infra 120 -- network (~8), GKE cluster and node pool, Cloud SQL with database and user, a bucket,
  the Kubernetes provider, then a Namespace, RoleBinding and Secret per application: 60-90 for a
  dozen applications;
* app 80 -- about 7 Kubernetes objects per service (Deployment, Service, HPA, PDB, ConfigMap,
  ServiceAccount, Ingress): ten services.

When the tier is unresolved the strictest limit applies (``tier-declared`` in the tier-boundaries
pack reports the missing tier itself).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs

from tierguard.model.records import TIERS
from tierguard.policies import skip
from tierguard.policies.base import Rule, stack_policy
from tierguard.policies.tier import TIER_CONFIG_SCHEMA, TierResolution, tier_for

CATEGORY = "plan-size"

DEFAULT_LIMITS: dict[str, int] = {"identity": 60, "infra": 120, "app": 80}
DEFAULT_WARN_RATIO = 0.8
SKIP_ALIAS = "excludeTypes"  # the old name of allowedResources here (tierguard.policies.skip)
DEFAULT_EXCLUDED_TYPES: tuple[str, ...] = (
    "pulumi:providers:*",
    "pulumi:pulumi:Stack",
    "pulumi:pulumi:StackReference",
    "kubernetes:helm.sh/v3:Chart",
    "kubernetes:helm.sh/v4:Chart",
    "kubernetes:yaml:ConfigFile",
    "kubernetes:yaml:ConfigGroup",
    "kubernetes:yaml/v2:ConfigFile",
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:kustomize:Directory",
    "kubernetes:kustomize/v2:Directory",
)
TOP_TYPES = 3


@dataclass(frozen=True)
class Size:
    count: int
    limit: int
    warn_at: int
    resolution: TierResolution
    by_type: Counter[str]

    @property
    def over(self) -> int:
        return self.count - self.limit

    def dominant(self) -> str:
        top = self.by_type.most_common(TOP_TYPES)
        return ", ".join(f"`{t}` x{n}" for t, n in top) if top else "none"

    def tier_text(self) -> str:
        if self.resolution.tier:
            return f"{self.resolution.tier}-tier stack (tier from the {self.resolution.source})"
        return "stack of unresolved tier (judged against the strictest limit)"


def measure(args: StackValidationArgs) -> Size:
    """Count the stack's resources and pick the limit for its tier."""
    config: Mapping[str, Any] = args.get_config() or {}
    limits = {**DEFAULT_LIMITS, **(config.get("limits") or {})}
    ratio = config.get("warnRatio", DEFAULT_WARN_RATIO)
    excluded = skip.patterns(config, SKIP_ALIAS, DEFAULT_EXCLUDED_TYPES)
    named, typed = skip.matchers(excluded)
    # few types, many resources: a type is matched once
    every = Counter(r.resource_type for r in args.resources if not (named(r.name) or named(r.urn)))
    by_type: Counter[str] = Counter({t: n for t, n in every.items() if not typed(t)})
    resolution = tier_for(args)
    limit = int(limits[resolution.tier]) if resolution.tier else min(int(limits[t]) for t in TIERS)
    # round first: 80 * 0.8 is 64.00000000000001 in floating point, and the warning starts at 64
    warn_at = max(1, math.ceil(round(limit * float(ratio), 6)))
    return Size(sum(by_type.values()), limit, warn_at, resolution, by_type)


def validate_warning(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    size = measure(args)
    if size.warn_at <= size.count <= size.limit:
        percent = round(100 * size.count / size.limit)
        report_violation(
            f"This {size.tier_text()} holds {size.count} resources, {percent}% of its limit of {size.limit} "
            f"(warning from {size.warn_at}). Most common types: {size.dominant()}. Plan the split before "
            "the limit blocks a change."
        )


def validate_limit(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    size = measure(args)
    if size.count > size.limit:
        percent = round(100 * size.count / size.limit)
        report_violation(
            f"This {size.tier_text()} holds {size.count} resources, {size.over} over its limit of "
            f"{size.limit} ({percent}%). Most common types: {size.dominant()}. Split the stack (e.g. one "
            "stack per application or per environment) or raise `limits` deliberately."
        )


_CONFIG: dict[str, Any] = {
    **TIER_CONFIG_SCHEMA,
    "limits": {
        "type": "object",
        "description": "Maximum resources per stack, per tier.",
        "properties": {t: {"type": "integer", "minimum": 1} for t in TIERS},
        "additionalProperties": False,
        "default": dict(DEFAULT_LIMITS),
    },
    "warnRatio": {
        "type": "number",
        "description": "Warn (advisory) from this fraction of the limit.",
        "exclusiveMinimum": 0,
        "maximum": 1,
        "default": DEFAULT_WARN_RATIO,
    },
    # not counted: `allowedResources`, or its old name `excludeTypes` (tierguard.policies.skip)
    **skip.config(
        SKIP_ALIAS,
        DEFAULT_EXCLUDED_TYPES,
        "Resources not counted (providers, components...): globs over the Pulumi name, URN or type token.",
    ),
}

STACK_SIZE_WARNING = Rule(
    name="stack-size-warning",
    title="Stack is nearing its size limit",
    description="A stack close to its tier's resource limit gets plans that are hard to review; "
    "split it before the limit blocks a change.",
    category=CATEGORY,
    severity="low",
    enforcement="advisory",
    remediation="Plan a split of the stack (per application, per environment), or raise `limits` "
    "for the tier if the size is deliberate.",
    config=dict(_CONFIG),
)

STACK_SIZE_LIMIT = Rule(
    name="stack-size-limit",
    title="Stack stays within its size limit",
    description="A stack above its tier's resource limit produces plans no one reads; the change "
    "is blocked until the stack is split.",
    category=CATEGORY,
    severity="medium",
    enforcement="mandatory",
    remediation="Split the stack so each part stays under the limit and hands values on through "
    "stack outputs, or raise `limits` for the tier deliberately (and the warning's with it).",
    config=dict(_CONFIG),
)

POLICIES: tuple[Any, ...] = (
    stack_policy(STACK_SIZE_WARNING, validate_warning),
    stack_policy(STACK_SIZE_LIMIT, validate_limit),
)
CATALOGS: dict[str, Any] = {
    "stackSizeLimits": dict(DEFAULT_LIMITS),
    "warnRatio": DEFAULT_WARN_RATIO,
    "excludedTypes": list(DEFAULT_EXCLUDED_TYPES),
}
