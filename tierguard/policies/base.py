"""Policy metadata beside the policy: one :class:`Rule` per policy, and builders that turn a rule
plus a small validate function into a genuine ``pulumi_policy`` policy object.

The same objects are served by the publishable packs under ``policypacks/`` (through
``pulumi_policy.PolicyPack``) and evaluated in-process by :mod:`tierguard.evaluate.evaluator`, so there is
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

from tierguard.model.globs import type_matcher
from tierguard.model.records import CATEGORIES, SEVERITIES, Rule
from tierguard.policies import stackcontext
from tierguard.policies.exemptions import CONFIG_PROPERTIES, exempted_text, expired_text

__all__ = [
    "SEVERITIES",
    "Pack",
    "Rule",
    "foreign_rule",
    "honours_exemptions",
    "register_rule",
    "resource_policy",
    "rule_of",
    "stack_policy",
    "type_filter",
    "with_exemptions",
]

# Attributes a policy object carries (set where it is built, read by :func:`rule_of`): its
# metadata, and whether its findings go through :func:`honouring_exemptions`.
RULE_ATTRIBUTE = "tierguard_rule"
HONOURS_ATTRIBUTE = "tierguard_honours_exemptions"


def type_filter(rule: Rule, config: Mapping[str, Any]) -> Callable[[str], bool] | None:
    """A predicate over type tokens: whether the policy of ``rule``, with ``config`` (its properties
    as the policy sees them), can judge a resource of that type (``Rule.resource_types`` plus what
    the ``resource_types_config`` keys add); None when it judges every type. Answers are remembered
    per token, as a stack repeats few types many times."""
    if rule.resource_types is None:
        return None
    patterns = list(rule.resource_types)
    for key in rule.resource_types_config:
        value = config.get(key)
        if isinstance(value, Mapping):
            patterns.extend(str(k) for k in value)
        elif isinstance(value, (list, tuple)):
            patterns.extend(v for v in value if isinstance(v, str))
        elif value is not None:
            return None  # a shape the policy would reject anyway: judge every type, skip nothing
    matches = type_matcher(tuple(patterns))
    answers: dict[str, bool] = {}

    def judged(type_token: str) -> bool:
        answer = answers.get(type_token)
        if answer is None:
            answer = answers[type_token] = matches(type_token)
        return answer

    return judged


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
        # every policy takes `exemptions` (and `maxExemptionDays`), so the CLI accepts and checks them
        "config_schema": PolicyConfigSchema(
            properties={**{k: dict(v) for k, v in rule.config.items()}, **CONFIG_PROPERTIES}
        ),
        "display_name": rule.title,
        "severity": Severity(rule.severity),
        "framework": _framework(rule),
        "tags": [rule.category],
        "remediation_steps": rule.remediation,
    }


def honouring_exemptions(name: str, validate: Callable[..., Any]) -> Callable[..., Any]:
    """``validate`` with its ``report_violation`` wrapped: a finding covered by an exemption in force
    goes to the callback's ``exempted`` hook (an advisory under the CLI, a separate list in tierguard's
    reports); one whose exemption has expired is reported as usual, naming the exemption and date.

    This is the one place exemptions are applied, so the served pack and the in-process evaluator
    decide alike. A callback without the hook (a stock pulumi-policy server) gets the finding
    reported as a violation: an exemption nobody can show is not honoured.
    """

    def validate_with_exemptions(args: Any, report_violation: Callable[..., Any]) -> Any:
        book = stackcontext.exemptions()
        if book.empty or not book.for_policy(name):  # evaluated per resource: keep it cheap
            return validate(args, report_violation)
        own = getattr(args, "urn", "") or ""

        def report(message: str | None = None, urn: str | None = None) -> None:
            ex = book.decide(name, urn or own)
            if ex is None:
                report_violation(message, urn)
                return
            stackcontext.record(ex, name)
            hook = getattr(report_violation, "exempted", None)
            if ex.expired() or hook is None:
                report_violation(expired_text(ex, message or "") if ex.expired() else message, urn)
                return
            hook(exempted_text(ex, message or ""), urn, ex, message)

        return validate(args, report)

    return validate_with_exemptions


def honours_exemptions(policy: Any) -> bool:
    """Whether ``policy`` was built here (its findings go through :func:`honouring_exemptions`);
    a user's own pack's policies do not, so its exemptions are never claimed for them."""
    return getattr(policy, HONOURS_ATTRIBUTE, False) is True


def with_exemptions(policy: Policy) -> Policy:
    """``policy`` (built elsewhere: a user's pack through ``tierguard.PolicyPack``) made to honour
    exemptions exactly as the built-in policies do: its validate goes through
    :func:`honouring_exemptions`, its remediate skips an exempted resource, and its config schema
    gains ``exemptions``/``maxExemptionDays`` so the CLI accepts and checks them. Changed in place
    (its metadata stays its own); a policy that already honours them is returned as it is."""
    if honours_exemptions(policy):
        return policy
    policy.validate = honouring_exemptions(policy.name, policy.validate)  # type: ignore[method-assign]
    if isinstance(policy, ResourceValidationPolicy) and policy.has_remediation():
        policy.remediate = _remediate_unless_exempted(policy.name, policy.remediate)  # type: ignore[method-assign]
    schema = policy.config_schema
    policy.config_schema = PolicyConfigSchema(
        properties={**(dict(schema.properties or {}) if schema else {}), **CONFIG_PROPERTIES},
        required=schema.required if schema else None,
    )
    setattr(policy, HONOURS_ATTRIBUTE, True)
    return policy


def declares_exemptions(properties: Mapping[str, Any]) -> bool:
    """Whether a policy's config schema (as ``GetAnalyzerInfo`` reports it) is one of a policy that
    honours exemptions: its ``exemptions`` property is tierguard's, item schema and all."""
    return properties.get("exemptions") == CONFIG_PROPERTIES["exemptions"]


def _attach(policy: Policy, rule: Rule) -> None:
    """Give a policy built here its rule, and mark it as honouring exemptions."""
    setattr(policy, RULE_ATTRIBUTE, rule)
    setattr(policy, HONOURS_ATTRIBUTE, True)


def _remediate_unless_exempted(name: str, remediate: Callable[..., Any]) -> Callable[..., Any]:
    """An exempted resource is left as written: its remediation does not run."""

    def remediate_with_exemptions(args: Any) -> Any:
        ex = stackcontext.exemptions().decide(name, getattr(args, "urn", "") or "")
        if ex is not None and not ex.expired():
            return None
        return remediate(args)

    return remediate_with_exemptions


def resource_policy(
    rule: Rule,
    validate: Callable[..., Any],
    remediate: Callable[..., Any] | None = None,
) -> ResourceValidationPolicy:
    """A ``ResourceValidationPolicy`` for ``rule``; ``remediate`` makes it fixable at ``pulumi up``."""
    policy = ResourceValidationPolicy(
        validate=honouring_exemptions(rule.name, validate),
        remediate=_remediate_unless_exempted(rule.name, remediate) if remediate else None,
        **_common(rule),
    )
    _attach(policy, rule)
    return policy


def stack_policy(rule: Rule, validate: Callable[..., Any]) -> StackValidationPolicy:
    if rule.resource_types is not None:
        raise ValueError(f"{rule.name}: a stack policy sees every resource; resource_types is for the others")
    policy = StackValidationPolicy(validate=honouring_exemptions(rule.name, validate), **_common(rule))
    _attach(policy, rule)
    return policy


def foreign_rule(policy: Policy, pack_name: str, pack_level: str = "advisory") -> Rule:
    """The metadata of a policy tierguard did not build (a user's own pack): read from the policy
    object itself. Its category is the one of tierguard's four it is tagged with, else the pack's
    name; its enforcement is its own level, else the pack's (as GetAnalyzerInfo reports it)."""
    tags = policy.tags or []
    schema = policy.config_schema
    framework = policy.framework
    references = (f"{framework.name} {framework.reference}".strip(),) if framework and framework.name else ()
    # what with_exemptions added is tierguard's, not the policy's own config (as for built-in rules)
    added = CONFIG_PROPERTIES if honours_exemptions(policy) else {}
    return Rule(
        name=policy.name,
        title=policy.display_name or policy.name,
        description=policy.description,
        category=next((t for t in tags if t in CATEGORIES), pack_name),
        severity=policy.severity.value if policy.severity else "medium",
        enforcement=policy.enforcement_level.value if policy.enforcement_level else pack_level,
        remediation=policy.remediation_steps or "",
        references=references,
        config={k: dict(v) for k, v in (schema.properties or {}).items() if k not in added} if schema else {},
        builtin=False,
    )


def register_rule(policy: Policy, rule: Rule) -> None:
    """Remember ``rule`` as the metadata of ``policy`` (what :func:`rule_of` returns for it), unless
    the policy already has its own (one of tierguard's, served from its pack directory)."""
    if getattr(policy, RULE_ATTRIBUTE, None) is None:
        setattr(policy, RULE_ATTRIBUTE, rule)


def rule_of(policy: Policy) -> Rule:
    """The metadata a policy was built from (a policy built elsewhere gets a minimal one)."""
    rule = getattr(policy, RULE_ATTRIBUTE, None)
    if isinstance(rule, Rule):
        return rule
    return foreign_rule(policy, CATEGORIES[0])


@dataclass(frozen=True)
class Pack:
    """A list of policies with a name: what ``policypacks/<name>/__main__.py`` serves."""

    name: str
    description: str
    policies: tuple[Policy, ...]
    # Catalog tables behind the pack, shown by `tierguard policies` (name -> JSON-ready data).
    catalogs: Mapping[str, Any] = field(default_factory=dict)
    # PolicyPack(enforcement_level=...): the level of every policy that sets none of its own.
    enforcement_level: str = "advisory"
    # PolicyPack(initial_config=...), normalised to the config-file form (name -> level or object).
    initial_config: Mapping[str, Any] = field(default_factory=dict)
    # The directory a user's pack was loaded from (None for tierguard's built-in packs).
    source: str | None = None
    # How its policies run: "in-process", or "analyzer" for a pack served from its own virtualenv.
    runner: Any = None
    # Rules tierguard judges itself instead of serving them as pulumi_policy policies (the plan
    # guard's): described with the pack's, never evaluated by the evaluator.
    own_rules: tuple[Rule, ...] = ()

    def rules(self) -> list[Rule]:
        return [*(rule_of(p) for p in self.policies), *self.own_rules]
