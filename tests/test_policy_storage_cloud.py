"""storage-protection for AWS and Azure: every AWS/Azure spec judged on effective values (provider
defaults from the SDK docstrings), remediation, unknowns and secrets, and the Azure delete-lock rule
(lock on the resource, its resource group, by scope or the subscription; classic and azure-native)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tierguard.catalog.storage import AWS_STORAGE_SPECS, AZURE_LOCK_PROTECTED, AZURE_STORAGE_SPECS
from tierguard.model import wire
from tierguard.testing import UNKNOWN, findings, resource, run, stack

PACK = "storage-protection"
GUARDS = "storage-deletion-guards"
LOCK = "azure-storage-delete-lock"
PROD = "storage-protect-option-prod"
CLOUD_SPECS = {**AWS_STORAGE_SPECS, **AZURE_STORAGE_SPECS}

RDS = "aws:rds/instance:Instance"
AURORA = "aws:rds/cluster:Cluster"
DYNAMO = "aws:dynamodb/table:Table"
S3 = "aws:s3/bucket:Bucket"
VAULT = "azure-native:keyvault:Vault"
RG = "azure-native:resources:ResourceGroup"
ACCOUNT = "azure-native:storage:StorageAccount"
SQL = "azure-native:sql:Server"
COSMOS = "azure-native:cosmosdb:DatabaseAccount"
PG = "azure-native:dbforpostgresql:Server"


def _nested(path: str, value: Any) -> dict:
    out: dict = {}
    cursor = out
    keys = path.split(".")
    for key in keys[:-1]:
        cursor = cursor.setdefault(key, {})
    cursor[keys[-1]] = value
    return out


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _safe(type_: str) -> dict:
    props: dict = {}
    for guard in CLOUD_SPECS[type_].guards:
        props = _merge(props, _nested(guard.path, guard.safe[0]))
    return props


def guards(*resources: Any, config: dict | None = None) -> list:
    return findings(PACK, stack(resources), config, policy=GUARDS)


@pytest.mark.parametrize("type_", list(CLOUD_SPECS))
def test_each_cloud_spec_safe_passes_and_each_unsafe_guard_is_named(type_: str) -> None:
    safe = _safe(type_)
    assert guards(resource(type_, safe, "s")) == []
    for guard in CLOUD_SPECS[type_].guards:
        unsafe = not guard.safe[0]
        (found,) = guards(resource(type_, _merge(safe, _nested(guard.path, unsafe)), "s"))
        assert f"`{guard.path}` must be {json.dumps(guard.safe[0])}" in found.message
        assert found.enforcement_level == "mandatory" and found.category == "deletion-protection"


@pytest.mark.parametrize("type_", list(CLOUD_SPECS))
def test_unset_cloud_guards_follow_the_documented_defaults(type_: str) -> None:
    spec = CLOUD_SPECS[type_]
    unprotected = [g.path for g in spec.guards if g.default is None or g.default not in g.safe]
    found = guards(resource(type_, {}, "s"))
    assert len(found) == (1 if unprotected else 0)
    for path in unprotected:
        assert f"`{path}`" in found[0].message


def test_aws_defaults() -> None:
    # RDS: deletionProtection defaults to false (flagged); skipFinalSnapshot defaults to false (safe).
    (found,) = guards(resource(RDS, {"engine": "postgres"}, "db"))
    assert "`deletionProtection` must be true (unset means false)" in found.message
    assert "skipFinalSnapshot" not in found.message.split("\n", 1)[1]
    assert guards(resource(S3, {"bucket": "media"}, "b")) == []  # forceDestroy unset = false
    (skip,) = guards(resource(AURORA, {"deletionProtection": True, "skipFinalSnapshot": True}, "a"))
    assert "no final snapshot" in skip.message
    assert len(guards(resource(DYNAMO, {"hashKey": "id"}, "t"))) == 1


def test_unknown_and_secret_guard_values() -> None:
    result = run(PACK, stack([resource(DYNAMO, {"deletionProtectionEnabled": UNKNOWN}, "t")]))
    notes = [f for f in result.findings if f.policy == GUARDS]
    assert [f.kind for f in notes] == ["note"] and notes[0].enforcement_level == "advisory"
    assert guards(resource(DYNAMO, {"deletionProtectionEnabled": wire.secret(True)}, "t")) == []
    (found,) = guards(resource(S3, {"forceDestroy": wire.secret(True)}, "b"))
    assert "`forceDestroy` must be false" in found.message
    # One unknown guard does not hide a known unsafe one.
    (both,) = guards(resource(RDS, {"deletionProtection": False, "skipFinalSnapshot": UNKNOWN}, "db"))
    assert (
        "`deletionProtection`" in both.message
        and "Not known until the update: `skipFinalSnapshot`" in both.message
    )


def test_remediation_sets_the_safe_values() -> None:
    config = {GUARDS: "remediate"}
    result = run(
        PACK, stack([resource(RDS, {"deletionProtection": False, "skipFinalSnapshot": True}, "db")]), config
    )
    (fix,) = [r for r in result.remediations if r.policy == GUARDS]
    assert fix.properties["deletionProtection"] is True and fix.properties["skipFinalSnapshot"] is False


def test_key_vault_purge_protection() -> None:
    (found,) = guards(resource(VAULT, {"properties": {"tenantId": "t", "sku": {"name": "standard"}}}, "kv"))
    assert "properties.enablePurgeProtection" in found.message and "enableSoftDelete" not in found.message
    ok = {"properties": {"enablePurgeProtection": True}}
    assert guards(resource(VAULT, ok, "kv")) == []
    classic = "azure:keyvault/keyVault:KeyVault"
    assert len(guards(resource(classic, {"skuName": "standard"}, "kv"))) == 1
    assert guards(resource(classic, {"purgeProtectionEnabled": True}, "kv")) == []


# -- azure-storage-delete-lock --------------------------------------------------------------------------


def locks(*resources: Any, config: dict | None = None) -> list:
    return findings(PACK, stack(resources), config, policy=LOCK)


def _account(rg_urn: str | None = None, **inputs: Any) -> Any:
    deps = {"resourceGroupName": [rg_urn]} if rg_urn else {}
    props = {"accountName": "shopdata", "resourceGroupName": UNKNOWN if rg_urn else "shop-rg", **inputs}
    return resource(ACCOUNT, props, "data", property_dependencies=deps)


def test_unlocked_azure_storage_is_refused() -> None:
    (found,) = locks(_account())
    assert found.enforcement_level == "mandatory" and "storage account" in found.message


@pytest.mark.parametrize("type_", list(AZURE_LOCK_PROTECTED))
def test_every_protected_type_needs_a_lock(type_: str) -> None:
    assert len(locks(resource(type_, {"resourceGroupName": "rg"}, "x"))) == 1


def test_lock_by_scope_on_the_resource() -> None:
    account = _account()
    lock = resource(
        "azure-native:authorization:ManagementLockByScope",
        {"level": "CanNotDelete", "scope": UNKNOWN},
        "lock",
        property_dependencies={"scope": [account.urn]},
    )
    assert locks(account, lock) == []
    read_only = resource(
        "azure:management/lock:Lock",
        {"lockLevel": "ReadOnly", "scope": UNKNOWN},
        "l2",
        property_dependencies={"scope": [account.urn]},
    )
    assert locks(account, read_only) == []


def test_lock_on_the_resource_group_by_dependency_and_by_name() -> None:
    rg = resource(RG, {"resourceGroupName": "shop-rg"}, "rg")
    account = _account(rg.urn)
    rg_lock = resource(
        "azure-native:authorization:ManagementLockAtResourceGroupLevel",
        {"level": "CanNotDelete", "resourceGroupName": UNKNOWN},
        "lock",
        property_dependencies={"resourceGroupName": [rg.urn]},
    )
    assert locks(rg, account, rg_lock) == []
    by_name = resource(
        "azure-native:authorization:ManagementLockAtResourceGroupLevel",
        {"level": "CanNotDelete", "resourceGroupName": "shop-rg"},
        "lock",
    )
    assert locks(_account(), by_name) == []
    scope_id = resource(
        "azure:management/lock:Lock",
        {"lockLevel": "CanNotDelete", "scope": "/subscriptions/s/resourceGroups/SHOP-RG"},
        "l",
    )
    assert locks(_account(), scope_id) == []
    other_group = resource(
        "azure:management/lock:Lock",
        {"lockLevel": "CanNotDelete", "scope": "/subscriptions/s/resourceGroups/other"},
        "l",
    )
    assert len(locks(_account(), other_group)) == 1


def test_resource_level_lock_and_subscription_lock() -> None:
    by_resource = resource(
        "azure-native:authorization:ManagementLockAtResourceLevel",
        {
            "level": "CanNotDelete",
            "resourceGroupName": "shop-rg",
            "resourceName": "shopdata",
            "resourceProviderNamespace": "Microsoft.Storage",
            "resourceType": "storageAccounts",
            "parentResourcePath": "",
        },
        "lock",
    )
    assert locks(_account(), by_resource) == []
    other = resource(
        "azure-native:authorization:ManagementLockAtResourceLevel",
        {"level": "CanNotDelete", "resourceGroupName": "shop-rg", "resourceName": "other"},
        "lock",
    )
    assert len(locks(_account(), other)) == 1
    subscription = resource(
        "azure-native:authorization:ManagementLockAtSubscriptionLevel", {"level": "CanNotDelete"}, "lock"
    )
    assert locks(_account(), resource(SQL, {"resourceGroupName": "x"}, "sql"), subscription) == []


def test_lock_levels_unknown_and_none() -> None:
    account = _account()
    unknown = resource(
        "azure-native:authorization:ManagementLockByScope",
        {"level": UNKNOWN, "scope": UNKNOWN},
        "lock",
        property_dependencies={"scope": [account.urn]},
    )
    assert locks(account, unknown) == []  # judged when known
    wrong = resource(
        "azure-native:authorization:ManagementLockByScope",
        {"level": "NotSpecified"},
        "lock",
        property_dependencies={"scope": [account.urn]},
    )
    assert len(locks(account, wrong)) == 1


def test_secret_names_never_leak_and_exempt_types() -> None:
    account = resource(
        COSMOS, {"accountName": wire.secret("hidden-cosmos-name"), "resourceGroupName": "rg"}, "db"
    )
    (found,) = locks(account)
    assert "hidden-cosmos-name" not in found.message
    assert locks(account, config={LOCK: {"exemptTypes": ["azure-native:cosmosdb:*"]}}) == []


def test_protect_option_rules_apply_to_aws_and_azure_storage() -> None:
    prod = [
        resource(t, {}, f"r{i}", stack="prod")
        for i, t in enumerate((RDS, S3, "aws:efs/fileSystem:FileSystem", PG))
    ]
    found = findings(PACK, stack(prod, name="prod"), policy=PROD)
    assert len(found) == 4
    protected = [resource(RDS, {}, "db", stack="prod", protect=True)]
    assert findings(PACK, stack(protected, name="prod"), policy=PROD) == []
