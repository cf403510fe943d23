"""plan-size: per-tier resource limits with an advisory warning near the limit and a mandatory block
above it, counting what a reviewer reads (no providers, no components, no stack references)."""

from __future__ import annotations

import json

import pytest

from tierguard.model import wire
from tierguard.model.records import InputError
from tierguard.policies.packs import load_pack
from tierguard.testing import UNKNOWN, findings, resource, run, stack

PACK = "plan-size"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def _app_stack(count: int, project: str = "shop-app", extra=(), **kwargs):
    kinds = [DEPLOYMENT] * 4 + [SERVICE] * 3 + [CONFIGMAP] * 2 + [HPA]
    res = [resource(kinds[i % len(kinds)], {}, f"r{i}", project=project) for i in range(count)]
    return stack([*res, *extra], project=project, **kwargs)


def _levels(found) -> list[tuple[str, str]]:
    return [(f.policy, f.enforcement_level) for f in found]


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (63, []),
        (64, [("stack-size-warning", "advisory")]),  # 80% of the app limit of 80
        (80, [("stack-size-warning", "advisory")]),
        (81, [("stack-size-limit", "mandatory")]),
    ],
)
def test_app_tier_thresholds(count, expected):
    assert _levels(findings(PACK, _app_stack(count))) == expected


def test_block_message_says_how_far_over_and_what_dominates():
    result = run(PACK, _app_stack(100))
    assert result.blocked
    (finding,) = [f for f in result.findings if f.kind == "violation"]
    assert finding.category == "plan-size"
    # the engine files a stack-level violation under the root stack resource (seen under the real CLI)
    assert finding.urn == "urn:pulumi:dev::shop-app::pulumi:pulumi:Stack::shop-app-dev"
    assert "holds 100 resources, 20 over its limit of 80 (125%)" in finding.message
    assert f"`{DEPLOYMENT}` x40, `{SERVICE}` x30, `{CONFIGMAP}` x20" in finding.message
    assert HPA not in finding.message  # top three only
    assert "app-tier stack (tier from the project name)" in finding.message


def test_warning_message():
    (finding,) = findings(PACK, _app_stack(70))
    assert "holds 70 resources, 88% of its limit of 80 (warning from 64)" in finding.message
    assert not run(PACK, _app_stack(70)).blocked


def test_providers_components_and_stack_references_are_not_counted():
    extra = [
        resource("pulumi:providers:kubernetes", {}, "k8s", project="shop-app"),
        resource("pulumi:providers:gcp", {}, "gcp", project="shop-app"),
        resource("pulumi:pulumi:StackReference", {"name": "acme/infra/prod"}, "infra", project="shop-app"),
        resource(
            "kubernetes:helm.sh/v4:Chart", {"chart": "podinfo"}, "podinfo", project="shop-app", custom=False
        ),
    ]
    assert _levels(findings(PACK, _app_stack(80, extra=extra))) == [("stack-size-warning", "advisory")]
    config = {"stack-size-limit": {"excludeTypes": []}}
    assert ("stack-size-limit", "mandatory") in _levels(findings(PACK, _app_stack(80, extra=extra), config))


@pytest.mark.parametrize(("tier", "limit"), [("identity", 60), ("infra", 120), ("app", 80)])
def test_per_tier_defaults(tier, limit):
    at_limit = _app_stack(limit, project="shop", tags={"tier": tier})
    assert "stack-size-limit" not in {f.policy for f in findings(PACK, at_limit)}
    over = _app_stack(limit + 1, project="shop", tags={"tier": tier})
    assert [f.policy for f in findings(PACK, over)] == ["stack-size-limit"]


def test_unresolved_tier_uses_the_strictest_limit():
    (finding,) = findings(PACK, _app_stack(61, project="shop"))
    assert finding.policy == "stack-size-limit"
    assert "unresolved tier (judged against the strictest limit)" in finding.message
    assert "limit of 60" in finding.message


def test_tier_from_cli_and_limits_from_config():
    assert _levels(findings(PACK, _app_stack(100, project="shop", tier="infra"))) == [
        ("stack-size-warning", "advisory")
    ]
    config = {
        "stack-size-limit": {"limits": {"app": 20}},
        "stack-size-warning": {"limits": {"app": 20}, "warnRatio": 0.5},
    }
    assert _levels(findings(PACK, _app_stack(10), config)) == [("stack-size-warning", "advisory")]
    assert _levels(findings(PACK, _app_stack(21), config)) == [("stack-size-limit", "mandatory")]


def test_unknown_and_secret_inputs_are_counted_but_never_shown():
    extra = [
        resource(
            "kubernetes:core/v1:Secret",
            {"stringData": wire.secret({"password": "s3cr3t-pw-value"}), "metadata": UNKNOWN},
            f"s{i}",
            project="shop-app",
        )
        for i in range(5)
    ]
    result = run(PACK, _app_stack(80, extra=extra))
    assert [f.kind for f in result.findings] == ["violation"]  # no preview note: counting reads no inputs
    (finding,) = result.findings
    assert finding.policy == "stack-size-limit" and "5 over" in finding.message
    assert "s3cr3t-pw-value" not in finding.message


@pytest.mark.parametrize(
    "config",
    [
        {"stack-size-limit": {"limits": {"app": "many"}}},
        {"stack-size-limit": {"limits": {"prod": 10}}},
        {"stack-size-warning": {"warnRatio": 2}},
        {"stack-size-warning": {"tier": "staging"}},
    ],
)
def test_wrong_config_is_bad_input(config):
    with pytest.raises(InputError):
        run(PACK, _app_stack(1), config)


def test_pack_metadata_and_catalogs():
    pack = load_pack(PACK)
    rules = {r.name: r for r in pack.rules()}
    assert rules["stack-size-warning"].enforcement == "advisory"
    assert rules["stack-size-limit"].enforcement == "mandatory"
    assert all(r.category == "plan-size" and "tier" in r.config for r in rules.values())
    assert json.loads(json.dumps(pack.catalogs))["stackSizeLimits"] == {
        "identity": 60,
        "infra": 120,
        "app": 80,
    }
