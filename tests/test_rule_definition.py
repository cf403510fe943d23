"""One way to define a rule: ``Rule`` is keyword-only and rides on its policy object."""

from __future__ import annotations

import copy

import pytest

from tierguard.policies.base import Rule, honours_exemptions, resource_policy, rule_of
from tierguard.policies.packs import all_packs


def _rule(**changes: object) -> Rule:
    fields = {
        "name": "demo",
        "title": "Demo",
        "description": "Demo.",
        "category": "iam",
        "severity": "low",
        "enforcement": "advisory",
        "remediation": "Fix it.",
    }
    return Rule(**{**fields, **changes})  # type: ignore[arg-type]


def test_rule_takes_keywords_only() -> None:
    with pytest.raises(TypeError):
        Rule("demo", "Demo", "Demo.", "iam", "low", "advisory", "Fix it.")  # type: ignore[misc]


def test_every_builtin_policy_carries_its_rule() -> None:
    for pack in all_packs():
        for policy in pack.policies:
            rule = policy.tierguard_rule
            assert rule.name == policy.name and rule_of(policy) is rule
            assert rule.description == policy.description
            assert honours_exemptions(policy)


def test_a_copied_policy_keeps_its_rule() -> None:
    """The rule is on the object, not in a table keyed by ``id``: a copy still has it."""
    rule = _rule(references=("CIS GCP 1.6",))
    policy = resource_policy(rule, lambda args, report: None)
    twin = copy.copy(policy)
    assert rule_of(twin) is rule and honours_exemptions(twin)
