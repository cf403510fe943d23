"""Facts behind the Azure rules of the least-privilege-iam pack: broad built-in roles (by name and by
their well-known role-definition GUIDs), scope shapes, custom-role actions, federated credentials,
and the cluster/storage settings that open access.

Plain data. Type tokens and top-level input names were read from pulumi-azure-native 3.29.0 and
pulumi-azure (classic) 6.40.1; ``tests/fixtures/sdk-tokens/`` holds the generated lists a test checks
them against. Role GUIDs are the built-in role ids, the same in every tenant.
"""

from __future__ import annotations

# -- role assignments ----------------------------------------------------------------------------

# Built-in roles too broad to grant at subscription, management-group or resource-group scope:
# GUID -> name. Owner and User Access Administrator (and RBAC Administrator) can grant themselves or
# anyone any role; Contributor can change every resource.
BROAD_ROLES: dict[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}

# type -> (scope property, role-definition-id property, role-definition-name property or None)
ROLE_ASSIGNMENTS: dict[str, tuple[str, str, str | None]] = {
    "azure-native:authorization:RoleAssignment": ("scope", "roleDefinitionId", None),
    "azure:authorization/assignment:Assignment": ("scope", "roleDefinitionId", "roleDefinitionName"),
}

# Scope kinds, by the shape of an ARM scope id (matched case-insensitively, first match wins).
SCOPE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^/$", "tenant root"),
    (r"^/providers/microsoft\.management/managementgroups/[^/]+/?$", "management group"),
    (r"^/subscriptions/[^/]+/?$", "subscription"),
    (r"^/subscriptions/[^/]+/resourcegroups/[^/]+/?$", "resource group"),
)
BROAD_SCOPES: tuple[str, ...] = ("tenant root", "management group", "subscription", "resource group")

# A scope unknown during preview is judged by the resource it comes from (its property dependency):
# a resource group's id is a resource-group scope, and so on.
SCOPE_BY_DEPENDENCY: dict[str, str] = {
    "azure-native:resources:ResourceGroup": "resource group",
    "azure:core/resourceGroup:ResourceGroup": "resource group",
    "azure-native:management:ManagementGroup": "management group",
    "azure:management/group:Group": "management group",
    "azure-native:subscription:Alias": "subscription",
    "azure:core/subscription:Subscription": "subscription",
}

# -- custom roles --------------------------------------------------------------------------------

ROLE_DEFINITIONS: tuple[str, ...] = (
    "azure-native:authorization:RoleDefinition",
    "azure:authorization/roleDefinition:RoleDefinition",
)
# Actions that make a custom role an owner: everything, or all of authorization (grant any role).
BROAD_ACTIONS: tuple[str, ...] = ("*", "Microsoft.Authorization/*")

# -- federated identity credentials --------------------------------------------------------------

FEDERATED_CREDENTIALS: tuple[str, ...] = (
    "azure-native:managedidentity:FederatedIdentityCredential",
    "azure:armmsi/federatedIdentityCredential:FederatedIdentityCredential",
)
# Issuer URL (without a trailing slash) -> (label, pattern a subject naming one repository matches).
CI_ISSUERS: dict[str, tuple[str, str]] = {
    "https://token.actions.githubusercontent.com": ("GitHub Actions", r"^repo:[^/:*?]+/[^/:*?]+(:|$)"),
    "https://gitlab.com": ("GitLab CI", r"^project_path:[^/:*?]+(/[^/:*?]+)+(:|$)"),
}

# -- settings that open access: type -> (property, safe values, provider default, why) --------------
# Defaults from the SDK docstrings: azure-native StorageAccount.allowBlobPublicAccess "The default
# interpretation is false"; classic storage Account.allowNestedItemsToBePublic "Defaults to `true`";
# classic Container.containerAccessType "Defaults to `private`"; AKS local accounts stay enabled
# unless disabled (azure-native disableLocalAccounts, classic localAccountDisabled; Microsoft's AKS
# docs: "local accounts are enabled by default").
_LOCAL_ADMIN = (
    "the cluster-admin kubeconfig (`az aks get-credentials --admin`) bypasses Entra ID and cannot be audited"
)
AKS_LOCAL_ACCOUNTS: dict[str, tuple[str, tuple[object, ...], object, str]] = {
    "azure-native:containerservice:ManagedCluster": (
        "disableLocalAccounts",
        (True,),
        False,
        _LOCAL_ADMIN,
    ),
    "azure:containerservice/kubernetesCluster:KubernetesCluster": (
        "localAccountDisabled",
        (True,),
        False,
        _LOCAL_ADMIN,
    ),
}
PUBLIC_BLOB_ACCESS: dict[str, tuple[str, tuple[object, ...], object, str]] = {
    "azure-native:storage:StorageAccount": (
        "allowBlobPublicAccess",
        (False,),
        False,
        "containers in the account may be opened to anonymous reads",
    ),
    "azure:storage/account:Account": (
        "allowNestedItemsToBePublic",
        (False,),
        True,
        "containers in the account may be opened to anonymous reads",
    ),
    "azure-native:storage:BlobContainer": (
        "publicAccess",
        ("None",),
        "None",
        "anyone on the internet can read its blobs",
    ),
    "azure:storage/container:Container": (
        "containerAccessType",
        ("private",),
        "private",
        "anyone on the internet can read its blobs",
    ),
}


def catalog() -> dict[str, object]:
    """JSON-ready tables for ``tierguard policies``."""

    def settings(table: dict[str, tuple[str, tuple[object, ...], object, str]]) -> dict[str, object]:
        return {
            t: {"property": k, "safe": list(safe), "default": default}
            for t, (k, safe, default, _) in table.items()
        }

    return {
        "broadRoles": dict(BROAD_ROLES),
        "roleAssignments": {
            t: {"scope": s, "roleDefinitionId": i, "roleDefinitionName": n}
            for t, (s, i, n) in ROLE_ASSIGNMENTS.items()
        },
        "scopePatterns": dict(SCOPE_PATTERNS),
        "broadScopes": list(BROAD_SCOPES),
        "scopeByDependency": dict(SCOPE_BY_DEPENDENCY),
        "roleDefinitions": list(ROLE_DEFINITIONS),
        "broadActions": list(BROAD_ACTIONS),
        "federatedCredentials": list(FEDERATED_CREDENTIALS),
        "ciIssuers": {
            url: {"label": label, "pinnedSubject": pattern} for url, (label, pattern) in CI_ISSUERS.items()
        },
        "aksLocalAccounts": settings(AKS_LOCAL_ACCOUNTS),
        "publicBlobAccess": settings(PUBLIC_BLOB_ACCESS),
    }
