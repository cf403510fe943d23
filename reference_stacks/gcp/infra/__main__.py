"""Infra tier: the shared platform the applications run on.

A VPC with Cloud NAT, a private GKE cluster with Workload Identity, Cloud SQL for PostgreSQL reachable
only on a private IP, the application bucket, and -- inside the cluster -- one namespace per
application with the RoleBinding that lets the app tier's CI identity deploy there and the database
connection details as a Secret. Every datastore carries ``protect=True`` on top of the provider's
own deletion protection. Identities come from the identity stack; the app stacks read the exports.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

config = pulumi.Config()
gcp_config = pulumi.Config("gcp")

project = gcp_config.require("project")
region = gcp_config.require("region")
prefix = config.get("namePrefix") or "tierguard"
apps: list[str] = config.get_object("apps") or ["shop"]
location = config.get("clusterLocation") or region
authorized_networks: list[str] = config.require_object("masterAuthorizedNetworks")

org = config.require("org")
identity = pulumi.StackReference(
    "identity", stack_name=f"{org}/tierguard-identity/{config.get('identityStack') or pulumi.get_stack()}"
)
node_service_account = identity.require_output("nodeServiceAccount")
app_ci_service_account = identity.require_output("appCiServiceAccount")
app_service_accounts = identity.require_output("appServiceAccounts")

# --- Network: custom-mode VPC, one subnet with the GKE secondary ranges, NAT for private nodes -----
network = gcp.compute.Network(
    "vpc",
    project=project,
    name=f"{prefix}-vpc",
    auto_create_subnetworks=False,
    routing_mode="REGIONAL",
)
PODS_RANGE, SERVICES_RANGE = "pods", "services"
subnet = gcp.compute.Subnetwork(
    "gke",
    project=project,
    name=f"{prefix}-gke",
    region=region,
    network=network.id,
    ip_cidr_range=config.get("subnetCidr") or "10.10.0.0/20",
    private_ip_google_access=True,
    secondary_ip_ranges=[
        gcp.compute.SubnetworkSecondaryIpRangeArgs(
            range_name=PODS_RANGE, ip_cidr_range=config.get("podsCidr") or "10.16.0.0/14"
        ),
        gcp.compute.SubnetworkSecondaryIpRangeArgs(
            range_name=SERVICES_RANGE, ip_cidr_range=config.get("servicesCidr") or "10.20.0.0/20"
        ),
    ],
    log_config=gcp.compute.SubnetworkLogConfigArgs(
        aggregation_interval="INTERVAL_5_SEC", flow_sampling=0.5, metadata="INCLUDE_ALL_METADATA"
    ),
)
router = gcp.compute.Router(
    "nat-router", project=project, name=f"{prefix}-router", region=region, network=network.id
)
gcp.compute.RouterNat(
    "nat",
    project=project,
    name=f"{prefix}-nat",
    region=region,
    router=router.name,
    nat_ip_allocate_option="AUTO_ONLY",
    source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
    log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
)

# --- Private services access: the peering Cloud SQL's private IP lives on -------------------------
private_services_range = gcp.compute.GlobalAddress(
    "private-services",
    project=project,
    name=f"{prefix}-private-services",
    purpose="VPC_PEERING",
    address_type="INTERNAL",
    prefix_length=16,
    network=network.id,
)
private_services = gcp.servicenetworking.Connection(
    "private-services",
    network=network.id,
    service="servicenetworking.googleapis.com",
    reserved_peering_ranges=[private_services_range.name],
)

# --- GKE: private nodes, Workload Identity, REGULAR channel, deletion protection -------------------
cluster = gcp.container.Cluster(
    "gke",
    project=project,
    name=f"{prefix}-gke",
    location=location,
    network=network.id,
    subnetwork=subnet.id,
    networking_mode="VPC_NATIVE",
    datapath_provider="ADVANCED_DATAPATH",
    remove_default_node_pool=True,
    initial_node_count=1,
    deletion_protection=True,
    release_channel=gcp.container.ClusterReleaseChannelArgs(channel="REGULAR"),
    workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
        workload_pool=f"{project}.svc.id.goog"
    ),
    ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
        cluster_secondary_range_name=PODS_RANGE, services_secondary_range_name=SERVICES_RANGE
    ),
    private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
        enable_private_nodes=True,
        # CI runners reach the public endpoint, restricted to the authorized networks below.
        enable_private_endpoint=False,
        master_ipv4_cidr_block=config.get("masterCidr") or "172.16.0.0/28",
    ),
    master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
        cidr_blocks=[
            gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                cidr_block=cidr, display_name=f"authorized-{i}"
            )
            for i, cidr in enumerate(authorized_networks)
        ],
    ),
    enable_shielded_nodes=True,
    # The default pool exists for a moment only; give it the same hardened identity as the real pool.
    node_config=gcp.container.ClusterNodeConfigArgs(
        service_account=node_service_account,
        oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
        workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(
            mode="GKE_METADATA"
        ),
    ),
    # node_config describes only the default pool removed at creation; the real pools are NodePools.
    opts=pulumi.ResourceOptions(ignore_changes=["nodeConfig"]),
)
gcp.container.NodePool(
    "general",
    project=project,
    name="general",
    cluster=cluster.name,
    location=location,
    autoscaling=gcp.container.NodePoolAutoscalingArgs(
        min_node_count=config.get_int("nodeMinCount") or 1,
        max_node_count=config.get_int("nodeMaxCount") or 3,
    ),
    management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
    upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=1, max_unavailable=0),
    node_config=gcp.container.NodePoolNodeConfigArgs(
        machine_type=config.get("nodeMachineType") or "e2-standard-4",
        disk_type="pd-balanced",
        disk_size_gb=100,
        image_type="COS_CONTAINERD",
        service_account=node_service_account,
        oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
        workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
            mode="GKE_METADATA"
        ),
        shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
            enable_secure_boot=True, enable_integrity_monitoring=True
        ),
        labels={"pool": "general"},
    ),
)

# --- Cloud SQL for PostgreSQL: private IP only, backups + PITR, both deletion protections ---------
datastore = pulumi.ResourceOptions(protect=True)
instance = gcp.sql.DatabaseInstance(
    "postgres",
    project=project,
    name=f"{prefix}-pg",
    region=region,
    database_version="POSTGRES_16",
    deletion_protection=True,
    settings=gcp.sql.DatabaseInstanceSettingsArgs(
        # db-custom-* machine types are only valid in the ENTERPRISE edition (PostgreSQL 16 defaults
        # to ENTERPRISE_PLUS when unset).
        edition="ENTERPRISE",
        tier=config.get("dbTier") or "db-custom-2-7680",
        availability_type=config.get("dbAvailabilityType") or "ZONAL",
        disk_type="PD_SSD",
        disk_size=config.get_int("dbDiskSizeGb") or 20,
        disk_autoresize=True,
        deletion_protection_enabled=True,
        retain_backups_on_delete=True,
        backup_configuration=gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(
            enabled=True,
            point_in_time_recovery_enabled=True,
            start_time="02:00",
            transaction_log_retention_days=7,
            backup_retention_settings=gcp.sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                retained_backups=14, retention_unit="COUNT"
            ),
        ),
        ip_configuration=gcp.sql.DatabaseInstanceSettingsIpConfigurationArgs(
            ipv4_enabled=False,
            private_network=network.id,
            ssl_mode="ENCRYPTED_ONLY",
        ),
        # Applications log in with their Google service account (Cloud SQL Auth Proxy --auto-iam-authn):
        # no database password exists to leak.
        database_flags=[
            gcp.sql.DatabaseInstanceSettingsDatabaseFlagArgs(name="cloudsql.iam_authentication", value="on")
        ],
        maintenance_window=gcp.sql.DatabaseInstanceSettingsMaintenanceWindowArgs(
            day=7, hour=3, update_track="stable"
        ),
        insights_config=gcp.sql.DatabaseInstanceSettingsInsightsConfigArgs(query_insights_enabled=True),
    ),
    opts=pulumi.ResourceOptions(protect=True, depends_on=[private_services]),
)


def iam_database_user(email: str) -> str:
    """Cloud SQL names an IAM service-account user by its email without the .gserviceaccount.com suffix."""
    return email.removesuffix(".gserviceaccount.com")


databases: dict[str, gcp.sql.Database] = {}
database_users: dict[str, pulumi.Output[str]] = {}
for app in apps:
    databases[app] = gcp.sql.Database(
        f"{app}-db",
        project=project,
        instance=instance.name,
        name=app,
        deletion_policy="PREVENT",
        opts=datastore,
    )
    user = gcp.sql.User(
        f"{app}-db-user",
        project=project,
        instance=instance.name,
        name=app_service_accounts.apply(lambda emails, app=app: iam_database_user(emails[app])),
        type="CLOUD_IAM_SERVICE_ACCOUNT",
        # PostgreSQL refuses to drop a role that owns objects; keep the role when the user is removed.
        deletion_policy="ABANDON",
        opts=datastore,
    )
    database_users[app] = user.name

# --- Application bucket ----------------------------------------------------------------------------
bucket = gcp.storage.Bucket(
    "assets",
    project=project,
    name=f"{project}-{prefix}-assets",
    location=region.upper(),
    storage_class="STANDARD",
    uniform_bucket_level_access=True,
    public_access_prevention="enforced",
    versioning=gcp.storage.BucketVersioningArgs(enabled=True),
    soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(retention_duration_seconds=14 * 24 * 3600),
    lifecycle_rules=[
        gcp.storage.BucketLifecycleRuleArgs(
            action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
            condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                num_newer_versions=5, with_state="ARCHIVED"
            ),
        )
    ],
    force_destroy=False,
    labels={"tier": "infra"},
    opts=datastore,
)
# Resource-level grant: each application reads and writes objects in this bucket, nothing else.
for app in apps:
    gcp.storage.BucketIAMMember(
        f"{app}-assets-object-user",
        bucket=bucket.name,
        role="roles/storage.objectUser",
        member=app_service_accounts.apply(lambda emails, app=app: f"serviceAccount:{emails[app]}"),
    )


# --- Kubernetes: a provider for the new cluster, built from its outputs ---------------------------
def kubeconfig_for(name: str, endpoint: str, ca_certificate: str) -> str:
    """A kubeconfig that authenticates with gke-gcloud-auth-plugin (the caller's Google identity)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": name,
                    "cluster": {
                        "server": f"https://{endpoint}",
                        "certificate-authority-data": ca_certificate,
                    },
                }
            ],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "gke-gcloud-auth-plugin",
                            "installHint": "gcloud components install gke-gcloud-auth-plugin",
                            "provideClusterInfo": True,
                        }
                    },
                }
            ],
        }
    )


kubeconfig = pulumi.Output.secret(
    pulumi.Output.all(cluster.name, cluster.endpoint, cluster.master_auth.cluster_ca_certificate).apply(
        lambda args: kubeconfig_for(args[0], args[1], args[2])
    )
)
gke = k8s.Provider("gke", kubeconfig=kubeconfig, enable_server_side_apply=True)
in_cluster = pulumi.ResourceOptions(provider=gke)

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
    # The app tier's CI identity may deploy into this namespace only: ClusterRole `edit` bound by a
    # namespaced RoleBinding (no cluster-wide rights, no RBAC changes, no namespace creation).
    k8s.rbac.v1.RoleBinding(
        f"{app}-app-ci-edit",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="app-ci-edit", namespace=namespace.metadata.name),
        role_ref=k8s.rbac.v1.RoleRefArgs(
            api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="edit"
        ),
        subjects=[
            k8s.rbac.v1.SubjectArgs(
                api_group="rbac.authorization.k8s.io", kind="User", name=app_ci_service_account
            )
        ],
        opts=in_cluster,
    )
    k8s.core.v1.Secret(
        f"{app}-database",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=DATABASE_SECRET, namespace=namespace.metadata.name),
        type="Opaque",
        string_data=pulumi.Output.secret(
            pulumi.Output.all(instance.connection_name, databases[app].name, database_users[app]).apply(
                lambda args: {
                    "INSTANCE_CONNECTION_NAME": args[0],
                    "DB_NAME": args[1],
                    "DB_USER": args[2],
                    # The Cloud SQL Auth Proxy sidecar listens on localhost.
                    "DB_HOST": "127.0.0.1",
                    "DB_PORT": "5432",
                }
            )
        ),
        opts=in_cluster,
    )

# --- Exports read by the app stacks ----------------------------------------------------------------
pulumi.export("kubeconfig", kubeconfig)
pulumi.export("clusterName", cluster.name)
pulumi.export("clusterLocation", location)
pulumi.export("namespaces", namespaces)
pulumi.export("databaseConnectionName", instance.connection_name)
pulumi.export("databaseInstance", instance.name)
pulumi.export("databaseNames", {app: db.name for app, db in databases.items()})
pulumi.export("databaseUsers", database_users)
pulumi.export("databaseSecretName", DATABASE_SECRET)
pulumi.export("bucketName", bucket.name)
pulumi.export("networkName", network.name)
