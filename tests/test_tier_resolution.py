"""Tier resolution: policy config, then the stack tag, then the project suffix; unresolved fails closed
with one stack finding while the tier-aware resource policies stay quiet."""

from __future__ import annotations

import pytest

from tierguard.model import InputError
from tierguard.policies.tier import (
    project_of_urn,
    resolve_tier,
    stack_of_urn,
    tier_from_project,
)
from tierguard.testing import findings, resource, run, stack

SQL = "gcp:sql/databaseInstance:DatabaseInstance"


@pytest.mark.parametrize(
    ("config_tier", "tags", "project", "tier", "source"),
    [
        ("infra", {"tier": "app"}, "shop-identity", "infra", "policy config"),
        (None, {"tier": "app"}, "shop-identity", "app", "stack tag"),
        (None, {"tier": " App "}, None, "app", "stack tag"),
        (None, {}, "shop-identity", "identity", "project name"),
        (None, {}, "Platform-INFRA", "infra", "project name"),
        (None, {}, "app", "app", "project name"),
        (None, {"tier": "prod"}, "shop-infra", "infra", "project name"),
        (None, {}, "shop", None, "unresolved"),
        (None, {}, "shop-application", None, "unresolved"),
        (None, None, None, None, "unresolved"),
    ],
)
def test_resolution_order(config_tier, tags, project, tier, source):
    got = resolve_tier(config_tier, tags, project)
    assert (got.tier, got.source) == (tier, source)


def test_invalid_tag_is_explained():
    got = resolve_tier(None, {"tier": "prod"}, "shop")
    assert got.tier is None
    assert "'prod'" in got.detail and "no tier suffix" in got.detail


def test_urn_parts():
    urn = "urn:pulumi:prod::shop-app::my:component:Thing$gcp:storage/bucket:Bucket::b"
    assert project_of_urn(urn) == "shop-app"
    assert stack_of_urn(urn) == "prod"
    assert project_of_urn("not-a-urn") is None
    assert tier_from_project("billing-app") == "app"
    assert tier_from_project("mapper") is None


def _resources(project: str) -> list:
    return [resource(SQL, {}, f"db{i}", project=project) for i in range(5)]


def test_unresolved_tier_is_one_mandatory_finding_per_stack():
    result = run("tier-boundaries", stack(_resources("shop"), project="shop"))
    violations = [f for f in result.findings if f.kind == "violation"]
    assert [f.policy for f in violations] == ["tier-declared"]
    (finding,) = violations
    assert finding.enforcement_level == "mandatory"
    assert finding.urn == ""
    # the message explains all three ways to declare the tier
    for way in ("tier", "pulumi stack tag set tier", "-identity, -infra or -app"):
        assert way in finding.message
    # tier-aware resource policies stay quiet rather than repeating it per resource
    assert not [
        f for f in result.findings if f.policy in ("no-datastore-in-app-tier", "resource-in-its-tier")
    ]


@pytest.mark.parametrize(
    "how",
    [
        {"tags": {"tier": "app"}, "project": "shop"},
        {"project": "shop-app"},
        {"tier": "app", "project": "shop"},  # tierguard check --tier app
    ],
)
def test_each_way_declares_the_tier(how):
    project = how.pop("project")
    st = stack(_resources(project), project=project, **how)
    got = findings("tier-boundaries", st)
    assert "tier-declared" not in {f.policy for f in got}
    assert {f.policy for f in got} == {"no-datastore-in-app-tier"}
    assert len(got) == 5


def test_policy_config_tier_wins_over_tag_and_project():
    st = stack(_resources("shop-app"), project="shop-app", tags={"tier": "app"})
    config = {"no-datastore-in-app-tier": {"tier": "infra"}}
    assert findings("tier-boundaries", st, config, policy="no-datastore-in-app-tier") == []


def test_cli_tier_overrides_tag():
    st = stack(_resources("shop"), project="shop", tags={"tier": "infra"}, tier="app")
    assert len(findings("tier-boundaries", st, policy="no-datastore-in-app-tier")) == 5


def test_empty_stack_uses_the_runtime_project():
    # No resource carries a URN: the stack policy asks pulumi.get_project(), which the evaluator sets.
    assert findings("tier-boundaries", stack([], project="shop-infra")) == []
    assert [f.policy for f in findings("tier-boundaries", stack([], project="shop"))] == ["tier-declared"]


def test_tier_config_is_schema_checked():
    with pytest.raises(InputError, match="tier-declared: tier"):
        run("tier-boundaries", stack([], project="shop"), {"tier-declared": {"tier": "prod"}})
