"""least-privilege-iam, Azure: role assignments by GUID and name at each scope (unknown scopes judged
through property dependencies), custom roles, federated credentials, AKS local accounts, public blobs."""

from __future__ import annotations

from policy_cases import NOTE, UNKNOWN, M, case, r, secret

ROLES = "azure-no-broad-role-assignments"
CUSTOM = "azure-no-wildcard-custom-roles"
FEDERATED = "azure-federated-credential-pinned-subject"
LOCAL = "azure-aks-no-local-accounts"
PUBLIC = "azure-storage-no-public-blob-access"

ASSIGNMENT = "azure-native:authorization:RoleAssignment"
CLASSIC_ASSIGNMENT = "azure:authorization/assignment:Assignment"
ROLE_DEF = "azure-native:authorization:RoleDefinition"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
AKS = "azure-native:containerservice:ManagedCluster"
CLASSIC_AKS = "azure:containerservice/kubernetesCluster:KubernetesCluster"
ACCOUNT = "azure-native:storage:StorageAccount"
CLASSIC_ACCOUNT = "azure:storage/account:Account"
CONTAINER = "azure-native:storage:BlobContainer"
RG = "azure-native:resources:ResourceGroup"

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
DEFS = "/providers/Microsoft.Authorization/roleDefinitions/"
OWNER_ID = f"{SUB}{DEFS}8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR_ID = f"{DEFS}b24988ac-6180-42a0-ab88-20f7382dd24c"
READER_ID = f"{SUB}{DEFS}acdd72a7-3385-48ef-bd42-f606fba81ae7"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
GITHUB = "https://token.actions.githubusercontent.com"
AUDIENCE = {"audiences": ["api://AzureADTokenExchange"]}


def assignment(role_id: object, scope: object, principal: object = PRINCIPAL) -> dict:
    return {"roleDefinitionId": role_id, "scope": scope, "principalId": principal, "principalType": "Group"}


RG_URN = f"urn:pulumi:dev::proj::{RG}::rg"
ACCOUNT_URN = f"urn:pulumi:dev::proj::{ACCOUNT}::sa"

CASES = [
    # -- azure-no-broad-role-assignments
    case(ROLES, "owner-on-subscription", [r(ASSIGNMENT, "a", assignment(OWNER_ID, SUB))], [(ROLES, "a", M)]),
    case(
        ROLES,
        "contributor-on-resource-group",
        [r(ASSIGNMENT, "a", assignment(CONTRIBUTOR_ID, f"{SUB}/resourceGroups/shop-rg"))],
        [(ROLES, "a", M)],
    ),
    case(
        ROLES,
        "classic-uaa-by-name-unknown-principal",
        [
            r(
                CLASSIC_ASSIGNMENT,
                "a",
                {
                    "roleDefinitionName": "user access administrator",
                    "scope": f"{SUB}/resourcegroups/x",
                    "principalId": UNKNOWN,
                },
            )
        ],
        [(ROLES, "a", M)],
    ),
    case(
        ROLES,
        "secret-role-and-principal",
        [r(ASSIGNMENT, "a", assignment(secret(OWNER_ID), SUB, secret(PRINCIPAL)))],
        [(ROLES, "a", M)],
    ),
    case(
        ROLES,
        "owner-on-one-vault-and-reader",
        [
            r(
                ASSIGNMENT,
                "a",
                assignment(OWNER_ID, f"{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"),
            ),
            r(ASSIGNMENT, "b", assignment(READER_ID, SUB)),
            r(ASSIGNMENT, "c", assignment(UNKNOWN, SUB)),
        ],
    ),
    case(
        ROLES,
        "unknown-scope-from-a-resource-group",
        [
            r(RG, "rg", {"resourceGroupName": "shop-rg", "location": "westeurope"}),
            r(ASSIGNMENT, "owner", assignment(OWNER_ID, UNKNOWN), property_dependencies={"scope": [RG_URN]}),
        ],
        [(ROLES, "owner", M)],
    ),
    case(
        ROLES,
        "unknown-scope-from-a-storage-account",
        [
            r(ACCOUNT, "sa", {"allowBlobPublicAccess": False}),
            r(
                ASSIGNMENT,
                "owner",
                assignment(OWNER_ID, UNKNOWN),
                property_dependencies={"scope": [ACCOUNT_URN]},
            ),
        ],
    ),
    case(
        ROLES,
        "allowed-principal",
        [r(ASSIGNMENT, "a", assignment(OWNER_ID, SUB))],
        config={ROLES: {"allowedPrincipals": [PRINCIPAL]}},
    ),
    # -- azure-no-wildcard-custom-roles
    case(
        CUSTOM,
        "star-in-a-later-permission",
        [
            r(
                ROLE_DEF,
                "d",
                {
                    "roleName": "deployer",
                    "assignableScopes": [SUB],
                    "permissions": [
                        {"actions": ["Microsoft.Storage/*/read"]},
                        {"actions": ["*"], "notActions": []},
                    ],
                },
            )
        ],
        [(CUSTOM, "d", M)],
    ),
    case(
        CUSTOM,
        "authorization-star-secret",
        [r(ROLE_DEF, "d", {"permissions": secret([{"actions": ["Microsoft.Authorization/*"]}])})],
        [(CUSTOM, "d", M)],
    ),
    case(
        CUSTOM,
        "narrow-actions-star-data-actions",
        [
            r(
                ROLE_DEF,
                "d",
                {
                    "permissions": [
                        {
                            "actions": ["Microsoft.Compute/virtualMachines/start/action", UNKNOWN],
                            "dataActions": ["*"],
                        }
                    ]
                },
            )
        ],
    ),
    case(
        CUSTOM,
        "unknown-permissions-note",
        [r(ROLE_DEF, "d", {"permissions": UNKNOWN})],
        [(CUSTOM, "d", NOTE)],
    ),
    # -- azure-federated-credential-pinned-subject
    case(
        FEDERATED,
        "owner-wide-subject",
        [r(FIC, "f", {"issuer": GITHUB, **AUDIENCE, "subject": "repository_owner:my-org"})],
        [(FEDERATED, "f", M)],
    ),
    case(
        FEDERATED,
        "pinned-environment",
        [r(FIC, "f", {"issuer": GITHUB, **AUDIENCE, "subject": "repo:my-org/app:environment:prod"})],
    ),
    case(
        FEDERATED,
        "unknown-subject-note",
        [r(FIC, "f", {"issuer": GITHUB, "subject": UNKNOWN})],
        [(FEDERATED, "f", NOTE)],
    ),
    case(
        FEDERATED,
        "unknown-issuer-not-ci",
        [r(FIC, "f", {"issuer": UNKNOWN, "subject": "system:serviceaccount:a:b"})],
    ),
    case(
        FEDERATED,
        "gitlab-secret-group-wide",
        [r(FIC, "f", {"issuer": "https://gitlab.com/", "subject": secret("project_path:payments-team/*")})],
        [(FEDERATED, "f", M)],
    ),
    case(
        FEDERATED,
        "allowed-subject",
        [r(FIC, "f", {"issuer": GITHUB, "subject": "repository_owner:my-org"})],
        config={FEDERATED: {"allowedSubjects": ["repository_owner:my-org"]}},
    ),
    # -- azure-aks-no-local-accounts
    case(LOCAL, "unset-means-enabled", [r(AKS, "k", {"dnsPrefix": "shop"})], [(LOCAL, "k", M)]),
    case(LOCAL, "classic-enabled", [r(CLASSIC_AKS, "k", {"localAccountDisabled": False})], [(LOCAL, "k", M)]),
    case(LOCAL, "disabled-secret", [r(AKS, "k", {"disableLocalAccounts": secret(True)})]),
    case(LOCAL, "unknown-note", [r(AKS, "k", {"disableLocalAccounts": UNKNOWN})], [(LOCAL, "k", NOTE)]),
    # -- azure-storage-no-public-blob-access
    case(
        PUBLIC,
        "account-allows-public",
        [r(ACCOUNT, "sa", {"allowBlobPublicAccess": True})],
        [(PUBLIC, "sa", M)],
    ),
    case(
        PUBLIC,
        "classic-default-public",
        [r(CLASSIC_ACCOUNT, "sa", {"name": secret("x")})],
        [(PUBLIC, "sa", M)],
    ),
    case(PUBLIC, "container-blob-access", [r(CONTAINER, "c", {"publicAccess": "Blob"})], [(PUBLIC, "c", M)]),
    case(
        PUBLIC,
        "private-unset-and-unknown",
        [
            r(ACCOUNT, "sa", {}),
            r(CONTAINER, "c", {"publicAccess": "None"}),
            r(ACCOUNT, "u", {"allowBlobPublicAccess": UNKNOWN}),
            r(CLASSIC_ACCOUNT, "s", {"allowNestedItemsToBePublic": secret(False)}),
        ],
        [(PUBLIC, "u", NOTE)],
    ),
]
