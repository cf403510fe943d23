# tierguard-expect: azure-storage-no-public-blob-access
# tierguard-expect: azure-aks-no-local-accounts
"""The media team wanted image URLs that just work, and the cluster was created from a quickstart.

`allow_blob_public_access=True` plus a container with `public_access="Blob"` serves every blob to
anyone on the internet; the AKS cluster keeps its local admin account (the default), a kubeconfig
that bypasses Entra ID and cannot be audited. The compliant twin turns both off.
"""

import pulumi_azure_native as azure

group = azure.resources.ResourceGroup("media", resource_group_name="rg-media")

account = azure.storage.StorageAccount(
    "media",
    resource_group_name=group.name,
    kind="StorageV2",
    sku=azure.storage.SkuArgs(name="Standard_LRS"),
    allow_blob_public_access=True,
)
azure.authorization.ManagementLockByScope("media-lock", level="CanNotDelete", scope=account.id)

azure.storage.BlobContainer(
    "images",
    resource_group_name=group.name,
    account_name=account.name,
    public_access=azure.storage.PublicAccess.BLOB,
)

azure.containerservice.ManagedCluster(
    "platform",
    resource_group_name=group.name,
    dns_prefix="platform",
    identity=azure.containerservice.ManagedClusterIdentityArgs(type="SystemAssigned"),
    agent_pool_profiles=[
        azure.containerservice.ManagedClusterAgentPoolProfileArgs(
            name="system", mode="System", count=2, vm_size="Standard_D4s_v5"
        )
    ],
)
