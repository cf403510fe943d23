# tierguard-expect: azure-no-broad-role-assignments
# tierguard-expect: azure-no-wildcard-custom-roles
# tierguard-expect: azure-federated-credential-pinned-subject
"""The CI identity kept hitting authorization errors, so it was made Owner of the subscription.

Owner at subscription scope lets a leaked CI token change -- and grant access to -- everything in
the subscription; a custom role with `*` actions is Owner under another name; and a federated
credential whose subject names only the GitHub organisation lets any of its repositories log in as
this identity. The compliant twin grants Contributor on the app's resource group to one repository.
"""

import pulumi
import pulumi_azure_native as azure

subscription = f"/subscriptions/{pulumi.Config().require('subscriptionId')}"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"

group = azure.resources.ResourceGroup("ci", resource_group_name="rg-ci")
identity = azure.managedidentity.UserAssignedIdentity("deployer-ci", resource_group_name=group.name)

azure.managedidentity.FederatedIdentityCredential(
    "deployer-ci-github",
    resource_group_name=group.name,
    resource_name_=identity.name,
    issuer="https://token.actions.githubusercontent.com",
    subject="repository_owner:acme",
    audiences=["api://AzureADTokenExchange"],
)

azure.authorization.RoleAssignment(
    "deployer-ci-owner",
    principal_id=identity.principal_id,
    principal_type="ServicePrincipal",
    role_definition_id=f"{subscription}/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
    scope=subscription,
)

azure.authorization.RoleDefinition(
    "deployer-anything",
    role_name="deployer-anything",
    scope=subscription,
    assignable_scopes=[subscription],
    permissions=[azure.authorization.PermissionArgs(actions=["*"])],
)
