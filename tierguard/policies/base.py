"""Policy metadata beside the policy: one :class:`Rule` per policy, and builders that turn a rule
plus a small validate function into a genuine ``pulumi_policy`` policy object.

The same objects are served by the publishable packs under ``policypacks/`` (through
``pulumi_policy.PolicyPack``) and evaluated in-process by :mod:`tierguard.evaluate`, so there is
one definition of every rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from tierguard.model import CATEGORIES

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Rule:
    """What a user asks about a guardrail before adopting it."""

    name: str
    title: str
    description: str
    category: str
    severity: str
    enforcement: str
    remediation: str
    # CIS controls and peer rule ids, e.g. ("CIS GCP 1.6", "CKV_GCP_41", "Trivy AVD-GCP-0011")
    references: tuple[str, ...] = ()
    # JSON Schema "properties" of the policy's config (each with a "default" where one applies)
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.name}: category {self.category!r} is not one of {CATEGORIES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.name}: severity {self.severity!r} is not one of {SEVERITIES}")
        if "enforcementLevel" in self.config:
            raise ValueError(f"{self.name}: enforcementLevel may not be a config property")

    def defaults(self) -> dict[str, Any]:
        """The config a policy sees when the user sets nothing (the CLI fills schema defaults)."""
        return {k: v["default"] for k, v in self.config.items() if "default" in v}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "severity": self.severity,
            "enforcementLevel": self.enforcement,
            "remediation": self.remediation,
            "references": list(self.references),
            "configSchema": {"type": "object", "properties": dict(self.config)},
        }


_RULES: dict[int, Rule] = {}


def _framework(rule: Rule) -> PolicyComplianceFramework | None:
    for ref in rule.references:
        if ref.startswith("CIS "):
            name, _, reference = ref.rpartition(" ")
            return PolicyComplianceFramework(name=name, reference=reference)
    return None


def _common(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "description": rule.description,
        "enforcement_level": EnforcementLevel(rule.enforcement),
        "config_schema": PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config.items()})
        if rule.config
        else None,
        "display_name": rule.title,
        "severity": Severity(rule.severity),
        "framework": _framework(rule),
        "tags": [rule.category],
        "remediation_steps": rule.remediation,
    }


def resource_policy(
    rule: Rule,
    validate: Callable[..., Any],
    remediate: Callable[..., Any] | None = None,
) -> ResourceValidationPolicy:
    """A ``ResourceValidationPolicy`` for ``rule``; ``remediate`` makes it fixable at ``pulumi up``."""
    policy = ResourceValidationPolicy(validate=validate, remediate=remediate, **_common(rule))
    _RULES[id(policy)] = rule
    return policy


def stack_policy(rule: Rule, validate: Callable[..., Any]) -> StackValidationPolicy:
    policy = StackValidationPolicy(validate=validate, **_common(rule))
    _RULES[id(policy)] = rule
    return policy


def rule_of(policy: Policy) -> Rule:
    """The metadata a policy was built from (a policy built elsewhere gets a minimal one)."""
    rule = _RULES.get(id(policy))
    if rule is not None:
        return rule
    tags = policy.tags or []
    category = next((t for t in tags if t in CATEGORIES), CATEGORIES[0])
    return Rule(
        name=policy.name,
        title=policy.display_name or policy.name,
        description=policy.description,
        category=category,
        severity=policy.severity.value if policy.severity else "medium",
        enforcement=policy.enforcement_level.value if policy.enforcement_level else "advisory",
        remediation=policy.remediation_steps or "",
    )


@dataclass(frozen=True)
class Pack:
    """A list of policies with a name: what ``policypacks/<name>/__main__.py`` serves."""

    name: str
    description: str
    policies: tuple[Policy, ...]
    # Catalog tables behind the pack, shown by `tierguard policies` (name -> JSON-ready data).
    catalogs: Mapping[str, Any] = field(default_factory=dict)

    def rules(self) -> list[Rule]:
        return [rule_of(p) for p in self.policies]
