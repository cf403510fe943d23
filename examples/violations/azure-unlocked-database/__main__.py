# tierguard-expect: azure-storage-delete-lock
# tierguard-expect: storage-deletion-guards
"""The orders database went live without the lock the platform team puts on everything else.

Without a CanNotDelete management lock anyone with delete rights -- or a careless change that
replaces the server -- deletes the PostgreSQL server and its data; the Key Vault holding its keys has
no purge protection, so a deleted vault can be purged at once. The compliant twin locks the
resource group and turns purge protection on.
"""

import pulumi
import pulumi_azure_native as azure

tenant = pulumi.Config().require("tenantId")

group = azure.resources.ResourceGroup("orders", resource_group_name="rg-orders")

azure.dbforpostgresql.Server(
    "orders",
    resource_group_name=group.name,
    version="16",
    sku=azure.dbforpostgresql.SkuArgs(name="Standard_D2ds_v5", tier="GeneralPurpose"),
    storage=azure.dbforpostgresql.StorageArgs(storage_size_gb=128),
)

azure.keyvault.Vault(
    "orders-keys",
    resource_group_name=group.name,
    properties=azure.keyvault.VaultPropertiesArgs(
        tenant_id=tenant,
        sku=azure.keyvault.SkuArgs(family="A", name="standard"),
        enable_rbac_authorization=True,
    ),
)
