"""Compliant twin of examples/violations/azure-unlocked-database: a CanNotDelete lock on the resource
group covers the server and the vault; the vault has purge protection."""

import pulumi
import pulumi_azure_native as azure

tenant = pulumi.Config().require("tenantId")

group = azure.resources.ResourceGroup("orders", resource_group_name="rg-orders")
azure.authorization.ManagementLockAtResourceGroupLevel(
    "orders-lock", resource_group_name=group.name, level="CanNotDelete", notes="orders data: unlock to delete"
)

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
        enable_purge_protection=True,
    ),
)
