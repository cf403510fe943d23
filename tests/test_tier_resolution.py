"""Tier resolution: policy config, then the stack tag, then the project suffix; unresolved fails closed
with one stack finding while the tier-aware resource policies stay quiet."""

from __future__ import annotations

import pytest

from tierguard.model.records import InputError
from tierguard.model.urn import project_of_urn, stack_of_urn
from tierguard.policies.tier import resolve_tier, tier_from_project
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
    assert finding.urn == "urn:pulumi:dev::shop::pulumi:pulumi:Stack::shop-dev"  # the engine's root stack URN
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


def test_empty_stack_without_urns_fails_closed_as_under_the_cli():
    # No resource carries a URN, so the stack policy asks pulumi.get_project(). Today's CLI runs a
    # pack with no PULUMI_PROJECT (RunPlugin), so that is the SDK's default "project": no tier suffix.
    # (A real preview always has the root stack resource, whose URN names the project.)
    for project in ("shop-infra", "shop"):
        got = findings("tier-boundaries", stack([], project=project))
        assert [f.policy for f in got] == ["tier-declared"]
    assert findings("tier-boundaries", stack([], project="shop"), {"tier-declared": {"tier": "infra"}}) == []


def test_tier_config_is_schema_checked():
    with pytest.raises(InputError, match="tier-declared: tier"):
        run("tier-boundaries", stack([], project="shop"), {"tier-declared": {"tier": "prod"}})


# -- one resolution for the packs, the plan guard and the reports --------------------------------------


@pytest.mark.parametrize(
    ("tags", "tier", "source"),
    [
        ({"tier": "infra"}, "infra", "stack tag"),  # the tag wins over the project's -app suffix
        ({"tier": "Identity"}, "identity", "stack tag"),
        ({}, "app", "project name"),
    ],
)
def test_check_and_plan_judge_a_stack_as_the_same_tier(tmp_path, monkeypatch, capsys, tags, tier, source):
    """The same preview through `check` and `plan`: the packs, the plan guard and both reports agree."""
    import json
    from types import SimpleNamespace

    from pulumi_json import LARGE

    from tierguard.cli import main
    from tierguard.plan.config import PlanConfig
    from tierguard.policies.tier import tier_for
    from tierguard.readers.detect import read_plan

    doc = json.loads(LARGE.read_text())
    doc["config"]["pulumi:tags"] = json.dumps(tags)
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps(doc))
    monkeypatch.chdir(tmp_path)  # no developer's .tierguard.yaml

    reported = {}
    for command in ("check", "plan"):
        main([command, "--pack", "least-privilege-iam", "--format", "json", str(preview)])
        (entry,) = json.loads(capsys.readouterr().out)["stacks"]
        reported[command] = (entry["tier"], entry["tierSource"])
        if command == "plan":
            reported["plan guard"] = (entry["plan"]["tier"], entry["plan"]["tierSource"])

    stack, _ = read_plan(str(preview))
    settings = PlanConfig().settings(stack)
    first = next(r for r in stack.resources if not r.is_stack)
    args = SimpleNamespace(get_config=dict, stack_tags=stack.tags, urn=first.urn)  # what a policy is given
    policy_view = tier_for(args)
    reported["policies"] = (policy_view.tier, policy_view.source)
    reported["plan settings"] = (settings.tier, settings.tier_source)
    assert set(reported.values()) == {(tier, source)}, reported
