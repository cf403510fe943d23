"""Identity tier on Azure: who may change what.

Creates the estate's resource groups, one user-assigned managed identity per CI/CD pipeline (GitHub
Actions logs in through a federated credential pinned to one repository and environment: no client
secret anywhere), the AKS control-plane identity, one workload identity per application (federated
with its Kubernetes service account through AKS Workload Identity), the deployer custom roles, and
every role assignment of the estate at resource-group scope or narrower with narrow built-in roles.
The infra and app stacks read the exports below through StackReference.
"""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure

config = pulumi.Config()
azure_config = pulumi.Config("azure-native")

location = azure_config.require("location")
subscription_id = azure_config.require("subscriptionId")
tenant_id = azure_config.require("tenantId")
prefix = config.get("namePrefix") or "tierguard"
github_repository = config.require("githubRepository")
apps: list[str] = config.get_object("apps") or ["shop"]
database_team = config.require("databaseTeamGroupId")
app_team = config.require("appTeamGroupId")
aks_oidc_issuer = config.get("aksOidcIssuer") or ""
stack = pulumi.get_stack()

SUBSCRIPTION = f"/subscriptions/{subscription_id}"

# Built-in roles (ids are the same in every tenant), each the narrowest that covers its use.
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
AKS_CONTRIBUTOR = "ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8"
AKS_CLUSTER_USER = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
AKS_RBAC_READER = "7f6c6a51-bcf8-42ba-9220-52d62157d7db"
AKS_RBAC_WRITER = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
PRIVATE_DNS_ZONE_CONTRIBUTOR = "b12aa53e-6015-4669-85d0-8515ebb3ae7f"
STORAGE_ACCOUNT_CONTRIBUTOR = "17d1049b-9a84-46fb-8f53-869881c3d3ab"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def built_in(guid: str) -> str:
    return f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


# --- Resource groups: identities here, the platform (infra) there --------------------------------
identity_group = azure.resources.ResourceGroup(
    "identity", resource_group_name=f"rg-{prefix}-identity", location=location, tags={"tier": "identity"}
)
# The platform group is created here so that infra's CI identity gets its roles on that group only
# (an assignment needs its scope to exist) instead of on the subscription.
platform_group = azure.resources.ResourceGroup(
    "platform", resource_group_name=f"rg-{prefix}-platform", location=location, tags={"tier": "infra"}
)


def managed_identity(name: str, identity_name: str) -> azure.managedidentity.UserAssignedIdentity:
    return azure.managedidentity.UserAssignedIdentity(
        name,
        resource_group_name=identity_group.name,
        resource_name_=identity_name,
        location=location,
        tags={"managed-by": "pulumi"},
    )


# --- CI/CD identities, federated with GitHub Actions ----------------------------------------------
TIERS = ("identity", "infra", "app")
ci = {tier: managed_identity(f"{tier}-ci", f"id-{prefix}-{tier}-ci") for tier in TIERS}
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
for tier, identity in ci.items():
    azure.managedidentity.FederatedIdentityCredential(
        f"{tier}-ci-github",
        resource_group_name=identity_group.name,
        resource_name_=identity.name,
        federated_identity_credential_resource_name="github-actions",
        issuer=GITHUB_ISSUER,
        # One repository and one GitHub environment (with its protection rules) per tier and stack.
        subject=f"repo:{github_repository}:environment:{tier}-{stack}",
        audiences=["api://AzureADTokenExchange"],
    )

# --- Application workload identities (AKS Workload Identity) -------------------------------------
workloads = {app: managed_identity(f"app-{app}", f"id-{app}-app") for app in apps}
if aks_oidc_issuer:
    for app, identity in workloads.items():
        azure.managedidentity.FederatedIdentityCredential(
            f"{app}-workload-identity",
            resource_group_name=identity_group.name,
            resource_name_=identity.name,
            federated_identity_credential_resource_name="aks",
            issuer=aks_oidc_issuer,
            subject=f"system:serviceaccount:{app}:{app}",
            audiences=["api://AzureADTokenExchange"],
        )

# --- Deployer custom roles --------------------------------------------------------------------------
# The identity stack's deployer: identities, their credentials, roles and assignments, the groups.
# No resource-group delete: removing a group (and everything in it) is an owner's manual act.
identity_deployer = azure.authorization.RoleDefinition(
    "identity-deployer",
    role_name=f"{prefix} identity deployer",
    description="Manages the estate's resource groups, managed identities, custom roles and assignments.",
    scope=SUBSCRIPTION,
    assignable_scopes=[SUBSCRIPTION],
    permissions=[
        azure.authorization.PermissionArgs(
            actions=[
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                "Microsoft.Resources/subscriptions/resourceGroups/write",
                "Microsoft.ManagedIdentity/userAssignedIdentities/read",
                "Microsoft.ManagedIdentity/userAssignedIdentities/write",
                "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
                "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
                "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
                "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
                "Microsoft.Authorization/roleDefinitions/read",
                "Microsoft.Authorization/roleDefinitions/write",
                "Microsoft.Authorization/roleDefinitions/delete",
                "Microsoft.Authorization/roleAssignments/read",
                "Microsoft.Authorization/roleAssignments/write",
                "Microsoft.Authorization/roleAssignments/delete",
            ]
        )
    ],
)
# What infra needs beyond the built-in roles below: PostgreSQL flexible server, the delete locks, and
# the per-resource / per-namespace role assignments it makes (limited by the condition further down).
infra_deployer = azure.authorization.RoleDefinition(
    "infra-deployer",
    role_name=f"{prefix} infra deployer",
    description="Manages PostgreSQL flexible servers, delete locks and the platform's narrow assignments.",
    scope=platform_group.id,
    assignable_scopes=[platform_group.id],
    permissions=[
        azure.authorization.PermissionArgs(
            actions=[
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                "Microsoft.DBforPostgreSQL/flexibleServers/*",
                "Microsoft.DBforPostgreSQL/locations/*/read",
                "Microsoft.Authorization/locks/read",
                "Microsoft.Authorization/locks/write",
                "Microsoft.Authorization/locks/delete",
                "Microsoft.Authorization/roleAssignments/read",
                "Microsoft.Authorization/roleAssignments/write",
                "Microsoft.Authorization/roleAssignments/delete",
            ]
        )
    ],
)

# Azure ABAC: infra may create and delete assignments of these roles only (the namespace roles of the
# app pipeline and the app team, blob data access for the workloads, and the AKS cluster identity's
# role on its node subnet), never Owner, User Access Administrator or a custom role.
DELEGABLE = ", ".join((AKS_RBAC_WRITER, AKS_RBAC_READER, STORAGE_BLOB_DATA_CONTRIBUTOR, NETWORK_CONTRIBUTOR))
ROLE_ID = "Microsoft.Authorization/roleAssignments:RoleDefinitionId"
INFRA_DELEGATION = (
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
    f"(@Request[{ROLE_ID}] ForAnyOfAnyValues:GuidEquals {{{DELEGABLE}}}))"
    " AND "
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
    f"(@Resource[{ROLE_ID}] ForAnyOfAnyValues:GuidEquals {{{DELEGABLE}}}))"
)

# --- Role assignments: (name, role definition id, scope, principal, principal type, condition) -------
SP, GROUP = "ServicePrincipal", "Group"
identity_ci, infra_ci = ci["identity"].principal_id, ci["infra"].principal_id
platform = platform_group.id
ASSIGNMENTS: list[tuple[str, pulumi.Input[str], pulumi.Input[str], pulumi.Input[str], str, str | None]] = [
    # The identity pipeline: the estate's root identity (the very first run is an owner's bootstrap).
    ("identity-ci-deployer", identity_deployer.id, SUBSCRIPTION, identity_ci, SP, None),
    # The infra pipeline: narrow built-in roles on the platform group, and its custom role there.
    ("infra-ci-network", built_in(NETWORK_CONTRIBUTOR), platform, infra_ci, SP, None),
    ("infra-ci-aks", built_in(AKS_CONTRIBUTOR), platform, infra_ci, SP, None),
    ("infra-ci-private-dns", built_in(PRIVATE_DNS_ZONE_CONTRIBUTOR), platform, infra_ci, SP, None),
    ("infra-ci-storage", built_in(STORAGE_ACCOUNT_CONTRIBUTOR), platform, infra_ci, SP, None),
    ("infra-ci-deployer", infra_deployer.id, platform, infra_ci, SP, INFRA_DELEGATION),
    # Teams: the database team sees the platform (it administers PostgreSQL as its Entra admin); the
    # app developers may fetch a kubeconfig (their Kubernetes rights are per namespace, made by infra).
    ("database-team-reader", built_in(READER), platform, database_team, GROUP, None),
    ("app-team-cluster-user", built_in(AKS_CLUSTER_USER), platform, app_team, GROUP, None),
]
# The app pipeline holds no Azure role at all: infra gives it AKS RBAC Writer in its namespaces.
for name, role, scope, principal, principal_type, condition in ASSIGNMENTS:
    azure.authorization.RoleAssignment(
        name,
        role_definition_id=role,
        scope=scope,
        principal_id=principal,
        principal_type=principal_type,
        condition=condition,
        condition_version="2.0" if condition else None,
    )

# --- Exports read by the infra and app stacks ------------------------------------------------------
pulumi.export("subscriptionId", subscription_id)
pulumi.export("tenantId", tenant_id)
pulumi.export("location", location)
pulumi.export("platformResourceGroup", platform_group.name)
pulumi.export("identityResourceGroup", identity_group.name)
# GitHub Actions `azure/login` takes a client id (with the tenant and subscription): no secret.
pulumi.export("ciClientIds", {tier: identity.client_id for tier, identity in ci.items()})
pulumi.export("appCiPrincipalId", ci["app"].principal_id)
pulumi.export("appClientIds", {app: identity.client_id for app, identity in workloads.items()})
pulumi.export("appPrincipalIds", {app: identity.principal_id for app, identity in workloads.items()})
pulumi.export("appIdentityNames", {app: identity.name for app, identity in workloads.items()})
pulumi.export("databaseTeamGroupId", database_team)
pulumi.export("databaseTeamGroupName", config.require("databaseTeamGroupName"))
pulumi.export("appTeamGroupId", app_team)
