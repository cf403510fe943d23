"""Compliant twin of examples/violations/azure-public-storage: no public blob access (images go out
through a CDN or SAS tokens), AKS with Entra ID and local accounts disabled."""

import pulumi
import pulumi_azure_native as azure

tenant = pulumi.Config().require("tenantId")

group = azure.resources.ResourceGroup("media", resource_group_name="rg-media")

account = azure.storage.StorageAccount(
    "media",
    resource_group_name=group.name,
    kind="StorageV2",
    sku=azure.storage.SkuArgs(name="Standard_LRS"),
    allow_blob_public_access=False,
)
azure.authorization.ManagementLockByScope("media-lock", level="CanNotDelete", scope=account.id)

azure.storage.BlobContainer(
    "images",
    resource_group_name=group.name,
    account_name=account.name,
    public_access=azure.storage.PublicAccess.NONE,
)

azure.containerservice.ManagedCluster(
    "platform",
    resource_group_name=group.name,
    dns_prefix="platform",
    identity=azure.containerservice.ManagedClusterIdentityArgs(type="SystemAssigned"),
    aad_profile=azure.containerservice.ManagedClusterAADProfileArgs(
        managed=True, enable_azure_rbac=True, tenant_id=tenant
    ),
    disable_local_accounts=True,
    agent_pool_profiles=[
        azure.containerservice.ManagedClusterAgentPoolProfileArgs(
            name="system", mode="System", count=2, vm_size="Standard_D4s_v5"
        )
    ],
)
