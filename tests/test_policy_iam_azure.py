"""Azure rules of the least-privilege-iam pack: role assignments (azure-native and classic) by GUID and
name at each scope, unknown scopes judged through property dependencies, custom roles, federated
credentials, AKS local accounts and public blob access -- compliant and violating, with unknowns and
secrets."""

from __future__ import annotations

from typing import Any

import pytest

from tierguard.model import wire
from tierguard.testing import UNKNOWN, findings, resource, run, stack

PACK = "least-privilege-iam"

ASSIGNMENT = "azure-native:authorization:RoleAssignment"
CLASSIC_ASSIGNMENT = "azure:authorization/assignment:Assignment"
ROLE_DEF = "azure-native:authorization:RoleDefinition"
CLASSIC_ROLE_DEF = "azure:authorization/roleDefinition:RoleDefinition"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
CLASSIC_FIC = "azure:armmsi/federatedIdentityCredential:FederatedIdentityCredential"
AKS = "azure-native:containerservice:ManagedCluster"
CLASSIC_AKS = "azure:containerservice/kubernetesCluster:KubernetesCluster"
ACCOUNT = "azure-native:storage:StorageAccount"
CLASSIC_ACCOUNT = "azure:storage/account:Account"
CONTAINER = "azure-native:storage:BlobContainer"
CLASSIC_CONTAINER = "azure:storage/container:Container"
RG = "azure-native:resources:ResourceGroup"

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
OWNER_ID = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR_ID = "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"
UAA_ID = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/18D7D88D-D35E-4FB5-A5C3-7773C20A72D9"
READER_ID = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"

ROLES = "azure-no-broad-role-assignments"
CUSTOM = "azure-no-wildcard-custom-roles"
FEDERATED = "azure-federated-credential-pinned-subject"
LOCAL = "azure-aks-no-local-accounts"
PUBLIC = "azure-storage-no-public-blob-access"


def fire(
    type_: str, inputs: dict[str, Any], policy: str | None, config: dict | None = None, **fields: Any
) -> list:
    return findings(
        PACK, stack([resource(type_, inputs, name="r", line=5, **fields)]), config=config, policy=policy
    )


def notes(type_: str, inputs: dict[str, Any], policy: str) -> list:
    result = run(PACK, stack([resource(type_, inputs, name="r")]))
    return [f for f in result.findings if f.kind == "note" and f.policy == policy]


def assignment(role_id: Any, scope: Any, principal: Any = PRINCIPAL) -> dict[str, Any]:
    return {"roleDefinitionId": role_id, "scope": scope, "principalId": principal, "principalType": "Group"}


# -- role assignments ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "inputs", "scope"),
    [
        (ASSIGNMENT, assignment(OWNER_ID, SUB), "subscription"),
        (ASSIGNMENT, assignment(CONTRIBUTOR_ID, f"{SUB}/resourceGroups/shop-rg"), "resource group"),
        (
            ASSIGNMENT,
            assignment(UAA_ID, "/providers/Microsoft.Management/managementGroups/corp"),
            "management group",
        ),
        (ASSIGNMENT, assignment(OWNER_ID, "/"), "tenant root"),
        (
            CLASSIC_ASSIGNMENT,
            {"roleDefinitionName": "Owner", "scope": SUB, "principalId": PRINCIPAL},
            "subscription",
        ),
        (
            CLASSIC_ASSIGNMENT,
            {
                "roleDefinitionName": "user access administrator",
                "scope": f"{SUB}/resourcegroups/x",
                "principalId": UNKNOWN,
            },
            "resource group",
        ),
    ],
    ids=[
        "owner-sub",
        "contributor-rg",
        "uaa-mg-uppercase-guid",
        "owner-root",
        "classic-owner",
        "classic-uaa",
    ],
)
def test_broad_roles_at_broad_scope_are_refused(type_: str, inputs: dict, scope: str) -> None:
    (finding,) = fire(type_, inputs, ROLES)
    assert finding.enforcement_level == "mandatory" and finding.category == "iam"
    assert f"at {scope} scope" in finding.message and finding.location and finding.location.line == 5


def test_broad_role_on_one_resource_and_narrow_roles_pass() -> None:
    vault = f"{SUB}/resourceGroups/shop-rg/providers/Microsoft.KeyVault/vaults/shop-kv"
    assert fire(ASSIGNMENT, assignment(OWNER_ID, vault), None) == []
    assert fire(ASSIGNMENT, assignment(READER_ID, SUB), None) == []
    assert fire(CLASSIC_ASSIGNMENT, {"roleDefinitionName": "Reader", "scope": SUB}, None) == []
    assert fire(ASSIGNMENT, assignment(UNKNOWN, SUB), None) == []  # role from another resource


def test_unknown_scope_is_judged_by_the_resource_it_comes_from() -> None:
    rg = resource(RG, {"resourceGroupName": "shop-rg", "location": "westeurope"}, name="rg")
    grant = resource(
        ASSIGNMENT, assignment(OWNER_ID, UNKNOWN), name="owner", property_dependencies={"scope": [rg.urn]}
    )
    (finding,) = findings(PACK, stack([rg, grant]), policy=ROLES)
    assert "at resource group scope" in finding.message and finding.urn == grant.urn
    account = resource(ACCOUNT, {"allowBlobPublicAccess": False}, name="sa")
    narrow = resource(
        ASSIGNMENT,
        assignment(OWNER_ID, UNKNOWN),
        name="owner",
        property_dependencies={"scope": [account.urn]},
    )
    assert findings(PACK, stack([account, narrow]), policy=ROLES) == []
    orphan = resource(ASSIGNMENT, assignment(OWNER_ID, UNKNOWN), name="owner")
    assert findings(PACK, stack([orphan]), policy=ROLES) == []


def test_allowed_principals_and_secret_principal_ids() -> None:
    config = {ROLES: {"allowedPrincipals": [PRINCIPAL]}}
    assert fire(ASSIGNMENT, assignment(OWNER_ID, SUB), ROLES, config) == []
    secret = assignment(
        wire.secret(OWNER_ID), SUB, principal=wire.secret("99999999-0000-0000-0000-000000000000")
    )
    (finding,) = fire(ASSIGNMENT, secret, ROLES)
    assert "99999999" not in finding.message and "Owner assigned at subscription scope" in finding.message


# -- custom roles -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", [ROLE_DEF, CLASSIC_ROLE_DEF])
def test_custom_role_with_star_actions_is_refused(type_: str) -> None:
    inputs = {
        "roleName": "deployer",
        "assignableScopes": [SUB],
        "permissions": [{"actions": ["Microsoft.Storage/*/read"]}, {"actions": ["*"], "notActions": []}],
    }
    (finding,) = fire(type_, inputs, CUSTOM)
    assert "`permissions[1].actions` allows `*`" in finding.message
    authz = {"permissions": [{"actions": ["Microsoft.Authorization/*"]}]}
    assert len(fire(type_, authz, CUSTOM)) == 1


def test_narrow_custom_roles_and_data_actions_pass() -> None:
    narrow = {
        "permissions": [
            {"actions": ["Microsoft.Compute/virtualMachines/start/action", UNKNOWN], "dataActions": ["*"]}
        ]
    }
    assert fire(ROLE_DEF, narrow, CUSTOM) == []
    assert fire(ROLE_DEF, {"permissions": UNKNOWN}, CUSTOM) == []
    assert len(notes(ROLE_DEF, {"permissions": UNKNOWN}, CUSTOM)) == 1


# -- federated identity credentials ------------------------------------------------------------------------

GITHUB = "https://token.actions.githubusercontent.com"


@pytest.mark.parametrize("type_", [FIC, CLASSIC_FIC])
def test_federated_credential_subjects(type_: str) -> None:
    base = {"issuer": GITHUB, "audiences": ["api://AzureADTokenExchange"]}
    assert fire(type_, {**base, "subject": "repo:my-org/app:environment:prod"}, FEDERATED) == []
    assert len(fire(type_, {**base, "subject": "repository_owner:my-org"}, FEDERATED)) == 1
    assert len(fire(type_, {**base, "subject": ""}, FEDERATED)) == 1
    assert len(fire(type_, base, FEDERATED)) == 1
    config = {FEDERATED: {"allowedSubjects": ["repository_owner:my-org"]}}
    assert fire(type_, {**base, "subject": "repository_owner:my-org"}, FEDERATED, config) == []


def test_federated_credential_other_issuers_unknowns_and_secrets() -> None:
    aks = {"issuer": UNKNOWN, "subject": "system:serviceaccount:app:api"}
    assert fire(FIC, aks, FEDERATED) == []  # not a CI issuer (or not known to be one)
    assert fire(FIC, {"issuer": GITHUB, "subject": UNKNOWN}, FEDERATED) == []
    assert len(notes(FIC, {"issuer": GITHUB, "subject": UNKNOWN}, FEDERATED)) == 1
    gitlab = {"issuer": "https://gitlab.com/", "subject": wire.secret("project_path:payments-team/*")}
    (finding,) = fire(FIC, gitlab, FEDERATED)
    assert "payments-team" not in finding.message


# -- AKS local accounts and public blob access ------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "key"), [(AKS, "disableLocalAccounts"), (CLASSIC_AKS, "localAccountDisabled")]
)
def test_aks_local_accounts(type_: str, key: str) -> None:
    (unset,) = fire(type_, {"dnsPrefix": "shop"}, LOCAL)
    assert "unset means False" in unset.message
    assert len(fire(type_, {key: False}, LOCAL)) == 1
    assert fire(type_, {key: True}, LOCAL) == []
    assert fire(type_, {key: wire.secret(True)}, LOCAL) == []
    assert fire(type_, {key: UNKNOWN}, LOCAL) == []
    assert len(notes(type_, {key: UNKNOWN}, LOCAL)) == 1


@pytest.mark.parametrize(
    ("type_", "inputs", "violations"),
    [
        (ACCOUNT, {}, 0),  # allowBlobPublicAccess: "the default interpretation is false"
        (ACCOUNT, {"allowBlobPublicAccess": True}, 1),
        (ACCOUNT, {"allowBlobPublicAccess": False}, 0),
        (CLASSIC_ACCOUNT, {}, 1),  # allowNestedItemsToBePublic: "Defaults to `true`"
        (CLASSIC_ACCOUNT, {"allowNestedItemsToBePublic": False}, 0),
        (CONTAINER, {"publicAccess": "Container"}, 1),
        (CONTAINER, {"publicAccess": "Blob"}, 1),
        (CONTAINER, {"publicAccess": "None"}, 0),
        (CONTAINER, {}, 0),
        (CLASSIC_CONTAINER, {"containerAccessType": "blob"}, 1),
        (CLASSIC_CONTAINER, {}, 0),
        (ACCOUNT, {"allowBlobPublicAccess": UNKNOWN}, 0),
    ],
)
def test_public_blob_access(type_: str, inputs: dict, violations: int) -> None:
    assert len(fire(type_, inputs, PUBLIC)) == violations


def test_azure_rules_metadata() -> None:
    from tierguard.policies.packs import load_pack

    rules = {r.name: r for r in load_pack(PACK).rules()}
    for name in (ROLES, CUSTOM, FEDERATED, LOCAL, PUBLIC):
        assert rules[name].category == "iam" and rules[name].enforcement == "mandatory"
    assert "CKV_AZURE_141" in rules[LOCAL].references
    catalog = load_pack(PACK).catalogs["azureIam"]
    assert catalog["broadRoles"]["8e3af657-a8ff-443c-a75c-2fe8c4bcb635"] == "Owner"
