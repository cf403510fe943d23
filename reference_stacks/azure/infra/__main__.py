"""Infra tier on Azure: what outlives an application.

A virtual network, an AKS cluster (Entra ID with Azure RBAC, local accounts disabled, Workload
Identity), PostgreSQL flexible server on a delegated subnet with Entra-only authentication (no
password exists), the application storage account, a CanNotDelete lock on each datastore, and per
application a namespace, its Azure RBAC assignments and a Secret with the database connection. It
runs in the platform resource group the identity stack made, with the identities it made.
"""

from __future__ import annotations

import base64
import json

import pulumi
import pulumi_azure_native as azure
import pulumi_kubernetes as k8s
import yaml

config = pulumi.Config()
prefix = config.get("namePrefix") or "tierguard"
apps: list[str] = config.get_object("apps") or ["shop"]
stack = pulumi.get_stack()

org = config.require("org")
identity = pulumi.StackReference(
    "identity", stack_name=f"{org}/tierguard-azure-identity/{config.get('identityStack') or stack}"
)
group = identity.require_output("platformResourceGroup")
location = identity.require_output("location")
tenant_id = identity.require_output("tenantId")
app_ci_principal = identity.require_output("appCiPrincipalId")
app_team = identity.require_output("appTeamGroupId")
app_principals = identity.require_output("appPrincipalIds")
app_identity_names = identity.require_output("appIdentityNames")

# Built-in roles infra may assign (the identity stack's condition on infra's deployer role allows
# exactly these).
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
AKS_RBAC_WRITER = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
AKS_RBAC_READER = "7f6c6a51-bcf8-42ba-9220-52d62157d7db"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"


def built_in(guid: str) -> pulumi.Output[str]:
    return identity.require_output("subscriptionId").apply(
        lambda sub: f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )


# --- Network: one virtual network, a node subnet and a subnet delegated to PostgreSQL -------------
vnet = azure.network.VirtualNetwork(
    "vnet",
    resource_group_name=group,
    location=location,
    virtual_network_name=f"vnet-{prefix}",
    address_space=azure.network.AddressSpaceArgs(address_prefixes=[config.get("vnetCidr") or "10.40.0.0/16"]),
    # The subnets are their own resources below.
    opts=pulumi.ResourceOptions(ignore_changes=["subnets"]),
)
aks_subnet = azure.network.Subnet(
    "aks-nodes",
    resource_group_name=group,
    virtual_network_name=vnet.name,
    subnet_name="aks-nodes",
    address_prefix=config.get("aksSubnetCidr") or "10.40.0.0/20",
    # Pods reach the storage account over the Azure backbone; the account admits this subnet only.
    service_endpoints=[azure.network.ServiceEndpointPropertiesFormatArgs(service="Microsoft.Storage")],
)
database_subnet = azure.network.Subnet(
    "postgres",
    resource_group_name=group,
    virtual_network_name=vnet.name,
    subnet_name="postgres",
    address_prefix=config.get("databaseSubnetCidr") or "10.40.16.0/24",
    delegations=[
        azure.network.DelegationArgs(
            name="postgres", service_name="Microsoft.DBforPostgreSQL/flexibleServers"
        )
    ],
)
database_zone = azure.privatedns.PrivateZone(
    "postgres",
    resource_group_name=group,
    location="global",
    private_zone_name=f"{prefix}-{stack}.private.postgres.database.azure.com",
)
zone_link = azure.privatedns.VirtualNetworkLink(
    "postgres-vnet",
    resource_group_name=group,
    location="global",
    private_zone_name=database_zone.name,
    virtual_network_link_name=f"vnet-{prefix}",
    virtual_network=azure.privatedns.SubResourceArgs(id=vnet.id),
    registration_enabled=False,
)

# --- AKS: Entra ID + Azure RBAC, no local accounts, Workload Identity, authorized API ranges ---------
cluster = azure.containerservice.ManagedCluster(
    "aks",
    resource_group_name=group,
    location=location,
    resource_name_=f"aks-{prefix}",
    dns_prefix=f"{prefix}-{stack}",
    node_resource_group=f"rg-{prefix}-aks-nodes",
    sku=azure.containerservice.ManagedClusterSKUArgs(name="Base", tier="Standard"),
    # System-assigned control-plane identity: it lives and dies with the cluster, and holds only
    # Network Contributor on the node subnet (below).
    identity=azure.containerservice.ManagedClusterIdentityArgs(type="SystemAssigned"),
    aad_profile=azure.containerservice.ManagedClusterAADProfileArgs(
        managed=True, enable_azure_rbac=True, tenant_id=tenant_id
    ),
    disable_local_accounts=True,
    enable_rbac=True,
    oidc_issuer_profile=azure.containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
    security_profile=azure.containerservice.ManagedClusterSecurityProfileArgs(
        workload_identity=azure.containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True),
    ),
    api_server_access_profile=azure.containerservice.ManagedClusterAPIServerAccessProfileArgs(
        authorized_ip_ranges=config.require_object("apiServerAuthorizedRanges"),
    ),
    auto_upgrade_profile=azure.containerservice.ManagedClusterAutoUpgradeProfileArgs(
        upgrade_channel="stable", node_os_upgrade_channel="NodeImage"
    ),
    network_profile=azure.containerservice.ContainerServiceNetworkProfileArgs(
        network_plugin="azure",
        network_plugin_mode="overlay",
        network_dataplane="cilium",
        network_policy="cilium",
        pod_cidr=config.get("podCidr") or "192.168.0.0/16",
        service_cidr=config.get("serviceCidr") or "172.16.0.0/16",
        dns_service_ip=config.get("dnsServiceIp") or "172.16.0.10",
        load_balancer_sku="standard",
        outbound_type="loadBalancer",
    ),
    agent_pool_profiles=[
        azure.containerservice.ManagedClusterAgentPoolProfileArgs(
            name="system",
            mode="System",
            type="VirtualMachineScaleSets",
            os_type="Linux",
            os_sku="AzureLinux",
            vm_size=config.get("nodeVmSize") or "Standard_D4ds_v5",
            os_disk_type="Ephemeral",
            enable_auto_scaling=True,
            count=config.get_int("nodeMinCount") or 2,
            min_count=config.get_int("nodeMinCount") or 2,
            max_count=config.get_int("nodeMaxCount") or 5,
            availability_zones=["1", "2", "3"],
            vnet_subnet_id=aks_subnet.id,
            upgrade_settings=azure.containerservice.AgentPoolUpgradeSettingsArgs(max_surge="33%"),
        )
    ],
    # The autoscaler owns the node count.
    opts=pulumi.ResourceOptions(ignore_changes=["agentPoolProfiles[0].count"]),
)

# AKS joins the nodes to the subnet and manages their load balancer: Network Contributor on the node
# subnet, nothing wider.
azure.authorization.RoleAssignment(
    "aks-node-subnet",
    role_definition_id=built_in(NETWORK_CONTRIBUTOR),
    scope=aks_subnet.id,
    principal_id=cluster.identity.apply(lambda i: i.principal_id if i else None),
    principal_type="ServicePrincipal",
)

# --- PostgreSQL flexible server: private, Entra-only login, backups, zone-redundant in prod ---------
datastore = pulumi.ResourceOptions(protect=True)
ha_mode = config.get("dbHighAvailability") or "Disabled"
server = azure.dbforpostgresql.Server(
    "postgres",
    resource_group_name=group,
    location=location,
    server_name=f"psql-{prefix}-{stack}",
    version="16",
    sku=azure.dbforpostgresql.SkuArgs(
        name=config.get("dbSkuName") or "Standard_D2ds_v5", tier=config.get("dbSkuTier") or "GeneralPurpose"
    ),
    storage=azure.dbforpostgresql.StorageArgs(
        storage_size_gb=config.get_int("dbStorageGb") or 64, auto_grow="Enabled"
    ),
    backup=azure.dbforpostgresql.BackupArgs(backup_retention_days=14, geo_redundant_backup="Disabled"),
    high_availability=azure.dbforpostgresql.HighAvailabilityArgs(mode=ha_mode),
    network=azure.dbforpostgresql.NetworkArgs(
        delegated_subnet_resource_id=database_subnet.id,
        private_dns_zone_arm_resource_id=database_zone.id,
        public_network_access="Disabled",
    ),
    # Applications and the database team log in with Entra ID tokens: no password to leak.
    auth_config=azure.dbforpostgresql.AuthConfigArgs(
        active_directory_auth="Enabled", password_auth="Disabled", tenant_id=tenant_id
    ),
    maintenance_window=azure.dbforpostgresql.MaintenanceWindowArgs(
        custom_window="Enabled", day_of_week=0, start_hour=3, start_minute=0
    ),
    opts=pulumi.ResourceOptions(protect=True, depends_on=[zone_link]),
)
# Azure's deletion guard: nobody deletes the server (or its databases) until this lock is removed.
azure.authorization.ManagementLockByScope(
    "postgres-lock",
    scope=server.id,
    lock_name="do-not-delete",
    level="CanNotDelete",
    notes="Holds the applications' data: remove this lock deliberately to delete the server.",
)
# The database team administers PostgreSQL as its Entra administrator group.
azure.dbforpostgresql.AdministratorsMicrosoftEntra(
    "database-team",
    resource_group_name=group,
    server_name=server.name,
    object_id=identity.require_output("databaseTeamGroupId"),
    principal_name=identity.require_output("databaseTeamGroupName"),
    principal_type="Group",
    tenant_id=tenant_id,
)
databases = {
    app: azure.dbforpostgresql.Database(
        f"{app}-db",
        resource_group_name=group,
        server_name=server.name,
        database_name=app,
        charset="UTF8",
        collation="en_US.utf8",
        opts=datastore,
    )
    for app in apps
}

# --- Application storage: no public access, Entra ID only, soft delete and versioning --------------
assets_account = azure.storage.StorageAccount(
    "assets",
    resource_group_name=group,
    location=location,
    account_name=config.get("storageAccountName") or f"{prefix}{stack}assets".replace("-", "")[:24],
    kind="StorageV2",
    sku=azure.storage.SkuArgs(name="Standard_ZRS"),
    allow_blob_public_access=False,
    allow_shared_key_access=False,
    default_to_o_auth_authentication=True,
    enable_https_traffic_only=True,
    minimum_tls_version="TLS1_2",
    network_rule_set=azure.storage.NetworkRuleSetArgs(
        default_action="Deny",
        bypass="AzureServices",
        virtual_network_rules=[azure.storage.VirtualNetworkRuleArgs(virtual_network_resource_id=aks_subnet.id)],
    ),
    opts=datastore,
)
azure.authorization.ManagementLockByScope(
    "assets-lock",
    scope=assets_account.id,
    lock_name="do-not-delete",
    level="CanNotDelete",
    notes="Holds the applications' assets: remove this lock deliberately to delete the account.",
)
azure.storage.BlobServiceProperties(
    "assets-blob-service",
    resource_group_name=group,
    account_name=assets_account.name,
    blob_services_name="default",
    is_versioning_enabled=True,
    delete_retention_policy=azure.storage.DeleteRetentionPolicyArgs(enabled=True, days=14),
    container_delete_retention_policy=azure.storage.DeleteRetentionPolicyArgs(enabled=True, days=14),
)
assets = azure.storage.BlobContainer(
    "assets",
    resource_group_name=group,
    account_name=assets_account.name,
    container_name="assets",
    public_access=azure.storage.PublicAccess.NONE,
    opts=datastore,
)
# Resource-level grant: each application's workload identity reads and writes this container only.
for app in apps:
    azure.authorization.RoleAssignment(
        f"{app}-assets-blob-data",
        role_definition_id=built_in(STORAGE_BLOB_DATA_CONTRIBUTOR),
        scope=assets.id,
        principal_id=app_principals.apply(lambda ids, app=app: ids[app]),
        principal_type="ServicePrincipal",
    )


# --- Kubernetes: a provider for the new cluster, authenticating with the caller's Entra identity ----
def kubeconfig_for(user_kubeconfig: str) -> str:
    """AKS's user kubeconfig, its user switched to kubelogin with the Azure CLI's login (the CI job's
    `azure/login` federated identity): the kubeconfig itself holds no credential."""
    listed = yaml.safe_load(base64.b64decode(user_kubeconfig))
    entry = listed["clusters"][0]
    name = entry["name"]
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": entry["cluster"]}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "kubelogin",
                            # 6dae42f8-...: the AKS Entra server application, the same in every tenant.
                            "args": [
                                "get-token",
                                "--login",
                                "azurecli",
                                "--server-id",
                                "6dae42f8-4368-4678-94ff-3960e28e3630",
                            ],
                            "installHint": "install kubelogin: https://azure.github.io/kubelogin/",
                        }
                    },
                }
            ],
        }
    )


credentials = azure.containerservice.list_managed_cluster_user_credentials_output(
    resource_group_name=group, resource_name=cluster.name, format="exec"
)
kubeconfig = pulumi.Output.secret(credentials.kubeconfigs.apply(lambda kcs: kubeconfig_for(kcs[0].value)))
aks = k8s.Provider("aks", kubeconfig=kubeconfig, enable_server_side_apply=True)
in_cluster = pulumi.ResourceOptions(provider=aks)

DATABASE_SECRET = "database"
namespaces: dict[str, pulumi.Output[str]] = {}
for app in apps:
    namespace = k8s.core.v1.Namespace(
        app,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=app,
            labels={
                "app.kubernetes.io/part-of": app,
                # Pods that run as root or escalate privileges are refused by the API server.
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        ),
        opts=in_cluster,
    )
    namespaces[app] = namespace.metadata.name
    # Azure RBAC for Kubernetes, at namespace scope: the app pipeline deploys here (AKS RBAC Writer:
    # no RBAC changes, no namespaces, nothing cluster-wide), the app team reads here.
    namespace_scope = pulumi.Output.concat(cluster.id, "/namespaces/", namespace.metadata.name)
    for name, role, principal, principal_type in (
        (f"{app}-app-ci-writer", AKS_RBAC_WRITER, app_ci_principal, "ServicePrincipal"),
        (f"{app}-app-team-reader", AKS_RBAC_READER, app_team, "Group"),
    ):
        azure.authorization.RoleAssignment(
            name,
            role_definition_id=built_in(role),
            scope=namespace_scope,
            principal_id=principal,
            principal_type=principal_type,
        )
    k8s.core.v1.Secret(
        f"{app}-database",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=DATABASE_SECRET, namespace=namespace.metadata.name),
        type="Opaque",
        string_data=pulumi.Output.secret(
            pulumi.Output.all(
                server.fully_qualified_domain_name,
                databases[app].name,
                app_identity_names.apply(lambda names, app=app: names[app]),
            ).apply(
                lambda args: {
                    # The pod logs in as its workload identity with an Entra token (no password): the
                    # database team creates the role once with pgaadauth_create_principal (README).
                    "PGHOST": args[0],
                    "PGPORT": "5432",
                    "PGDATABASE": args[1],
                    "PGUSER": args[2],
                    "PGSSLMODE": "require",
                }
            )
        ),
        opts=in_cluster,
    )

# --- Exports read by the app stacks ----------------------------------------------------------------
pulumi.export("kubeconfig", kubeconfig)
pulumi.export("clusterName", cluster.name)
pulumi.export("clusterId", cluster.id)
# identity's `aksOidcIssuer`: the apps' federated credentials trust tokens of this issuer.
pulumi.export("oidcIssuerUrl", cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else None))
pulumi.export("namespaces", namespaces)
pulumi.export("databaseHost", server.fully_qualified_domain_name)
pulumi.export("databaseServer", server.name)
pulumi.export("databaseNames", {app: db.name for app, db in databases.items()})
pulumi.export("databaseSecretName", DATABASE_SECRET)
pulumi.export("storageAccountName", assets_account.name)
pulumi.export("assetsContainer", assets.name)
pulumi.export("vnetName", vnet.name)
