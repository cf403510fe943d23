"""Infra tier on AWS: the shared platform the applications run on.

A VPC whose nodes and database live in private subnets (one NAT gateway for egress), an EKS cluster
that grants Kubernetes access through access entries only -- the pipeline that creates it gets no
implicit cluster-admin -- Aurora PostgreSQL encrypted with the platform key, behind deletion
protection, a final snapshot and ``protect``, and, inside the cluster, one namespace per application
with the app pipeline's namespace-scoped access and the Pod Identity association of its workload
role. Roles come from the identity stack; the app stacks read the exports.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
prefix = config.get("namePrefix") or "tierguard"
apps: list[str] = config.get_object("apps") or ["shop"]
zones: list[str] = config.require_object("availabilityZones")
public_access_cidrs: list[str] = config.require_object("publicAccessCidrs")

org = config.require("org")
identity = pulumi.StackReference(
    "identity", stack_name=f"{org}/tierguard-aws-identity/{config.get('identityStack') or pulumi.get_stack()}"
)
cluster_role_arn = identity.require_output("clusterRoleArn")
node_role_arn = identity.require_output("nodeRoleArn")
infra_ci_role_arn = identity.require_output("infraCiRoleArn")
app_ci_role_arn = identity.require_output("appCiRoleArn")
developer_role_arn = identity.require_output("developerRoleArn")
workload_role_arns = identity.require_output("workloadRoleArns")

CLUSTER = f"{prefix}-eks"  # identity's policies are scoped to this name
tags = {"tier": "infra", "managed-by": "pulumi"}

# --- Network: public subnets hold only the NAT gateway (and load balancers); the rest is private ----
vpc_cidr = config.get("vpcCidr") or "10.40.0.0/16"
vpc = aws.ec2.Vpc(
    "vpc",
    cidr_block=vpc_cidr,
    enable_dns_hostnames=True,
    enable_dns_support=True,
    tags={**tags, "Name": prefix},
)
gateway = aws.ec2.InternetGateway("igw", vpc_id=vpc.id, tags=tags)


def subnet(kind: str, index: int, zone: str, role_tag: str) -> aws.ec2.Subnet:
    """/20 subnets: public ones at 10.x.0.0, 10.x.16.0; private ones from 10.x.128.0."""
    base = int(vpc_cidr.split(".")[1])
    third = (0 if kind == "public" else 128) + 16 * index
    return aws.ec2.Subnet(
        f"{kind}-{zone}",
        vpc_id=vpc.id,
        availability_zone=zone,
        cidr_block=f"10.{base}.{third}.0/20",
        map_public_ip_on_launch=False,
        tags={**tags, "Name": f"{prefix}-{kind}-{zone}", role_tag: "1"},
    )


public = [subnet("public", i, z, "kubernetes.io/role/elb") for i, z in enumerate(zones)]
private = [subnet("private", i, z, "kubernetes.io/role/internal-elb") for i, z in enumerate(zones)]
nat = aws.ec2.NatGateway(
    "nat",
    subnet_id=public[0].id,
    allocation_id=aws.ec2.Eip("nat", domain="vpc", tags=tags).id,
    tags=tags,
    opts=pulumi.ResourceOptions(depends_on=[gateway]),
)
ROUTES = {
    "public": (public, aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)),
    "private": (private, aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)),
}
for kind, (subnets, route) in ROUTES.items():
    table = aws.ec2.RouteTable(kind, vpc_id=vpc.id, routes=[route], tags={**tags, "Name": f"{prefix}-{kind}"})
    for s, zone in zip(subnets, zones, strict=True):
        aws.ec2.RouteTableAssociation(f"{kind}-{zone}", subnet_id=s.id, route_table_id=table.id)

# --- The platform key: EKS secrets envelope encryption, Aurora storage, the master password -------
# No key policy given: AWS's default key policy delegates to IAM in this account (identity's roles).
key = aws.kms.Key(
    "platform",
    description=f"{prefix}: EKS secrets, Aurora storage and the database master secret",
    enable_key_rotation=True,
    deletion_window_in_days=30,
    tags=tags,
)

# --- EKS: access entries only, no implicit creator admin, private nodes ------------------------------
control_plane_logs = aws.cloudwatch.LogGroup(
    "eks", name=f"/aws/eks/{CLUSTER}/cluster", retention_in_days=90, tags=tags
)
cluster = aws.eks.Cluster(
    "eks",
    name=CLUSTER,
    role_arn=cluster_role_arn,
    version=config.get("kubernetesVersion") or "1.33",
    access_config=aws.eks.ClusterAccessConfigArgs(
        # Access entries (the EKS API) decide who gets in: no aws-auth ConfigMap to edit by hand.
        authentication_mode="API",
        # The identity running `pulumi up` would otherwise become cluster-admin, invisibly.
        bootstrap_cluster_creator_admin_permissions=False,
    ),
    vpc_config=aws.eks.ClusterVpcConfigArgs(
        subnet_ids=[s.id for s in private],
        endpoint_private_access=True,
        endpoint_public_access=True,
        public_access_cidrs=public_access_cidrs,
    ),
    encryption_config=aws.eks.ClusterEncryptionConfigArgs(
        resources=["secrets"], provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn)
    ),
    enabled_cluster_log_types=["api", "audit", "authenticator"],
    deletion_protection=True,
    upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
    tags=tags,
    opts=pulumi.ResourceOptions(depends_on=[control_plane_logs]),
)
aws.eks.NodeGroup(
    "general",
    cluster_name=cluster.name,
    node_group_name="general",
    node_role_arn=node_role_arn,
    subnet_ids=[s.id for s in private],
    instance_types=[config.get("nodeInstanceType") or "m6i.large"],
    ami_type="AL2023_x86_64_STANDARD",
    scaling_config=aws.eks.NodeGroupScalingConfigArgs(
        min_size=config.get_int("nodeMinCount") or 2,
        desired_size=config.get_int("nodeMinCount") or 2,
        max_size=config.get_int("nodeMaxCount") or 4,
    ),
    update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
    labels={"pool": "general"},
    tags=tags,
)
# EKS Pod Identity: pods get their identity-stack role without an OIDC provider per cluster.
aws.eks.Addon("pod-identity-agent", cluster_name=cluster.name, addon_name="eks-pod-identity-agent")

# --- Who may reach the Kubernetes API ---------------------------------------------------------------
PLATFORM_GROUP = f"{prefix}:platform"
aws.eks.AccessEntry(
    "infra-ci",
    cluster_name=cluster.name,
    principal_arn=infra_ci_role_arn,
    # RBAC below (ClusterRole `<prefix>-platform`): namespaces only, not cluster-admin.
    kubernetes_groups=[PLATFORM_GROUP],
)
NAMESPACED_ACCESS = {
    # principal -> (ARN, access policy in the app namespaces)
    "app-ci": (app_ci_role_arn, "AmazonEKSEditPolicy"),
    "developers": (developer_role_arn, "AmazonEKSViewPolicy"),
}
for who, (principal, access_policy) in NAMESPACED_ACCESS.items():
    entry = aws.eks.AccessEntry(who, cluster_name=cluster.name, principal_arn=principal)
    aws.eks.AccessPolicyAssociation(
        who,
        cluster_name=cluster.name,
        principal_arn=principal,
        policy_arn=f"arn:aws:eks::aws:cluster-access-policy/{access_policy}",
        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="namespace", namespaces=apps),
        opts=pulumi.ResourceOptions(depends_on=[entry]),
    )
for app in apps:
    aws.eks.PodIdentityAssociation(
        f"{app}-workload",
        cluster_name=cluster.name,
        namespace=app,
        service_account=app,
        role_arn=workload_role_arns.apply(lambda arns, app=app: arns[app]),
    )

# --- Aurora PostgreSQL: private, encrypted, IAM authentication, every deletion guard ---------------
database_sg = aws.ec2.SecurityGroup(
    "aurora",
    name=f"{prefix}-aurora",
    description="PostgreSQL from the EKS nodes only",
    vpc_id=vpc.id,
    ingress=[
        aws.ec2.SecurityGroupIngressArgs(
            protocol="tcp",
            from_port=5432,
            to_port=5432,
            security_groups=[cluster.vpc_config.cluster_security_group_id],
            description="EKS cluster security group",
        )
    ],
    tags=tags,
)
datastore = pulumi.ResourceOptions(protect=True)
subnet_group = aws.rds.SubnetGroup(
    "aurora", name=f"{prefix}-aurora", subnet_ids=[s.id for s in private], tags=tags
)
database = aws.rds.Cluster(
    "aurora",
    cluster_identifier=f"{prefix}-pg",
    engine="aurora-postgresql",
    engine_version="16.6",
    database_name="platform",
    master_username="platform_admin",
    # RDS generates and rotates the password in Secrets Manager: it never passes through this stack.
    manage_master_user_password=True,
    master_user_secret_kms_key_id=key.key_id,
    iam_database_authentication_enabled=True,
    storage_encrypted=True,
    kms_key_id=key.arn,
    db_subnet_group_name=subnet_group.name,
    vpc_security_group_ids=[database_sg.id],
    backup_retention_period=config.get_int("dbBackupRetentionDays") or 7,
    preferred_backup_window="02:00-03:00",
    copy_tags_to_snapshot=True,
    deletion_protection=True,
    skip_final_snapshot=False,
    final_snapshot_identifier=f"{prefix}-pg-final",
    enabled_cloudwatch_logs_exports=["postgresql"],
    tags=tags,
    opts=datastore,
)
for i in range(config.get_int("dbInstanceCount") or 1):
    aws.rds.ClusterInstance(
        f"aurora-{i}",
        identifier=f"{prefix}-pg-{i}",
        cluster_identifier=database.id,
        engine=database.engine,
        engine_version=database.engine_version,
        instance_class=config.get("dbInstanceClass") or "db.r6g.large",
        db_subnet_group_name=subnet_group.name,
        publicly_accessible=False,
        auto_minor_version_upgrade=True,
        tags=tags,
        opts=datastore,
    )


# --- Kubernetes: a provider for the new cluster, built from its outputs -----------------------------
def kubeconfig_for(name: str, endpoint: str, ca_data: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token` (the caller's IAM role): no token in it."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
            ],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", name, "--region", region],
                        }
                    },
                }
            ],
        }
    )


kubeconfig = pulumi.Output.secret(
    pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(
        lambda args: kubeconfig_for(args[0], args[1], args[2])
    )
)
# Client-side apply: creating a namespace needs `create`, not the `patch` that server-side apply
# sends -- and `patch` on namespaces would let the pipeline relabel away their Pod Security level.
eks = k8s.Provider("eks", kubeconfig=kubeconfig, enable_server_side_apply=False)
in_cluster = pulumi.ResourceOptions(provider=eks)

# The infra pipeline's Kubernetes rights (its access entry's group): namespaces, nothing else.
platform_role = k8s.rbac.v1.ClusterRole(
    "platform",
    metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{prefix}-platform"),
    rules=[
        k8s.rbac.v1.PolicyRuleArgs(
            api_groups=[""], resources=["namespaces"], verbs=["get", "list", "watch", "create", "delete"]
        )
    ],
    opts=in_cluster,
)
k8s.rbac.v1.ClusterRoleBinding(
    "platform",
    metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{prefix}-platform"),
    role_ref=k8s.rbac.v1.RoleRefArgs(
        api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=platform_role.metadata.name
    ),
    subjects=[
        k8s.rbac.v1.SubjectArgs(api_group="rbac.authorization.k8s.io", kind="Group", name=PLATFORM_GROUP)
    ],
    opts=in_cluster,
)

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

# --- Exports read by the app stacks -----------------------------------------------------------------
pulumi.export("kubeconfig", kubeconfig)
pulumi.export("clusterName", cluster.name)
pulumi.export("region", region)
pulumi.export("namespaces", namespaces)
pulumi.export("databaseEndpoint", database.endpoint)
pulumi.export("databaseReaderEndpoint", database.reader_endpoint)
pulumi.export("databasePort", 5432)
# A reference to the master password (Secrets Manager ARN), for the database team -- not the password.
pulumi.export(
    "databaseSecretArn", database.master_user_secrets.apply(lambda s: s[0].secret_arn if s else None)
)
pulumi.export("vpcId", vpc.id)
