"""One name for "do not judge these resources" in every pack (``allowedResources``); the old names
stay working aliases: ``exemptTypes``, ``excludeTypes``, ``allowedDatastoreTypes``."""

from __future__ import annotations

import pytest

from tierguard.model.records import InputError
from tierguard.policies import skip
from tierguard.policies.packs import all_packs
from tierguard.testing import findings, resource, stack

BUCKET = "gcp:storage/bucket:Bucket"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def _names(found) -> set[str]:
    return {f.urn.rsplit("::", 1)[-1] for f in found}


def test_every_policy_with_a_skip_list_calls_it_allowed_resources() -> None:
    """The old names appear only as aliases next to ``allowedResources``, without a default."""
    aliases = {"exemptTypes", "excludeTypes", "allowedDatastoreTypes"}
    seen = set()
    for pack in all_packs():
        for rule in pack.rules():
            old = aliases & set(rule.config)
            if old:
                assert skip.KEY in rule.config, rule.name
                assert all("default" not in rule.config[k] for k in old), rule.name
                seen |= old
    assert seen == aliases


@pytest.mark.parametrize("key", ["allowedResources", "allowedDatastoreTypes"])
def test_no_datastore_in_app_tier_skips_by_either_name(key: str) -> None:
    st = stack([resource(SQL, {}, "orders"), resource(BUCKET, {}, "assets")], tier="app")
    config = {"no-datastore-in-app-tier": {key: ["gcp:storage/*"]}}
    assert _names(findings("tier-boundaries", st, config, policy="no-datastore-in-app-tier")) == {"orders"}


def test_the_new_name_also_takes_a_resource_name() -> None:
    st = stack([resource(SQL, {}, "orders"), resource(SQL, {}, "legacy")], tier="app")
    config = {"no-datastore-in-app-tier": {"allowedResources": ["legacy"]}}
    assert _names(findings("tier-boundaries", st, config, policy="no-datastore-in-app-tier")) == {"orders"}


@pytest.mark.parametrize("key", ["allowedResources", "exemptTypes"])
def test_storage_deletion_guards_skip_by_either_name(key: str) -> None:
    st = stack([resource(BUCKET, {"forceDestroy": True}, "assets")], tier="infra")
    assert _names(findings("storage-protection", st, policy="storage-deletion-guards")) == {"assets"}
    config = {"storage-deletion-guards": {key: [BUCKET]}}
    assert findings("storage-protection", st, config, policy="storage-deletion-guards") == []


def _app(count: int, extra=()):
    res = [resource(DEPLOYMENT, {}, f"r{i}", project="shop-app") for i in range(count)]
    return stack([*res, *extra], project="shop-app")


PROVIDERS = [resource("pulumi:providers:gcp", {}, f"gcp{i}", project="shop-app") for i in range(3)]


def _limit_hit(config) -> bool:
    found = findings("plan-size", _app(80, PROVIDERS), config, policy="stack-size-limit")
    return bool(found)


def test_plan_size_not_counted_by_default_and_by_either_name() -> None:
    assert not _limit_hit(None)  # providers are in the default list
    # 80 deployments and 3 providers against the app limit of 80
    # the old name given replaces the default (as before): providers count again
    assert _limit_hit({"stack-size-limit": {"excludeTypes": []}})
    assert _limit_hit({"stack-size-limit": {"allowedResources": []}})
    # both given: their entries add up
    both = {"allowedResources": ["gcp1"], "excludeTypes": ["gcp0", "gcp2"]}
    assert not _limit_hit({"stack-size-limit": both})
    assert _limit_hit({"stack-size-limit": {**both, "excludeTypes": ["gcp0"]}})


def test_an_old_name_keeps_its_schema() -> None:
    st = stack([resource(BUCKET, {}, "assets")], tier="infra")
    with pytest.raises(InputError):
        findings("storage-protection", st, {"storage-deletion-guards": {"exemptTypes": BUCKET}})


def test_patterns_merge_rule() -> None:
    default = ["a", "b"]
    assert skip.patterns({}, "old", default) == ["a", "b"]
    assert skip.patterns({"allowedResources": ["a", "b"]}, "old", default) == ["a", "b"]
    assert skip.patterns({"allowedResources": ["a", "b"], "old": ["c"]}, "old", default) == ["c"]
    assert skip.patterns({"allowedResources": ["x"], "old": ["c"]}, "old", default) == ["x", "c"]
    assert skip.patterns({"allowedResources": ["x"], "old": ["c"]}, None, default) == ["x"]
