"""Compliant twin of examples/violations/azure-owner-on-subscription: a custom role that may deploy web
apps, assigned on the app's resource group only, to an identity one repository's main branch uses."""

import pulumi
import pulumi_azure_native as azure

subscription = f"/subscriptions/{pulumi.Config().require('subscriptionId')}"

group = azure.resources.ResourceGroup("ci", resource_group_name="rg-ci")
app_group = azure.resources.ResourceGroup("shop", resource_group_name="rg-shop")
identity = azure.managedidentity.UserAssignedIdentity("deployer-ci", resource_group_name=group.name)

azure.managedidentity.FederatedIdentityCredential(
    "deployer-ci-github",
    resource_group_name=group.name,
    resource_name_=identity.name,
    issuer="https://token.actions.githubusercontent.com",
    subject="repo:acme/shop:ref:refs/heads/main",
    audiences=["api://AzureADTokenExchange"],
)

webapps = azure.authorization.RoleDefinition(
    "deployer-webapps",
    role_name="deployer-webapps",
    scope=subscription,
    assignable_scopes=[subscription],
    permissions=[
        azure.authorization.PermissionArgs(
            actions=[
                "Microsoft.Web/sites/read",
                "Microsoft.Web/sites/write",
                "Microsoft.Web/sites/restart/action",
            ]
        )
    ],
)

# On the app's resource group (its id, unknown during preview: judged through the dependency).
azure.authorization.RoleAssignment(
    "deployer-ci-webapps",
    principal_id=identity.principal_id,
    principal_type="ServicePrincipal",
    role_definition_id=webapps.id,
    scope=app_group.id,
)
