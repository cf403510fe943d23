"""tier-boundaries for AWS and Azure: datastores refused in app stacks, and every kind of resource
placed in its tier (IAM and identities in identity; network, clusters, datastores, keys, locks in
infra; serverless and app services in app)."""

from __future__ import annotations

import pytest

from tierguard.testing import UNKNOWN, findings, resource, stack

PACK = "tier-boundaries"

IDENTITY = [
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:ssoadmin/permissionSet:PermissionSet",
    "aws:organizations/account:Account",
    "azure-native:authorization:RoleDefinition",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azure-native:managedidentity:FederatedIdentityCredential",
    "azure:authorization/roleDefinition:RoleDefinition",
    "azure:armmsi/federatedIdentityCredential:FederatedIdentityCredential",
    "azure-native:management:ManagementGroup",
]
INFRA = [
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:eks/cluster:Cluster",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    "aws:kms/key:Key",
    "aws:route53/zone:Zone",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:sqs/queue:Queue",
    "aws:ecr/repository:Repository",
    "azure-native:network:VirtualNetwork",
    "azure-native:containerservice:ManagedCluster",
    "azure-native:keyvault:Vault",
    "azure-native:authorization:ManagementLockByScope",
    "azure:management/lock:Lock",
    "azure:containerservice/kubernetesCluster:KubernetesCluster",
    "azure:network/virtualNetwork:VirtualNetwork",
]
APP = [
    "aws:lambda/function:Function",
    "aws:apigatewayv2/api:Api",
    "aws:ecs/service:Service",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:sfn/stateMachine:StateMachine",
    "azure-native:web:WebApp",
    "azure-native:app:ContainerApp",
    "azure:appservice/linuxWebApp:LinuxWebApp",
    "azure:containerservice/group:Group",
]
IDENTITY_OR_INFRA = ["azure-native:authorization:RoleAssignment", "azure:authorization/assignment:Assignment"]
ANY = ["azure-native:resources:ResourceGroup", "azure:core/resourceGroup:ResourceGroup"]
DATASTORES = [
    "aws:rds/cluster:Cluster",
    "aws:rds/instance:Instance",
    "aws:dynamodb/table:Table",
    "aws:s3/bucket:Bucket",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:opensearch/domain:Domain",
    "azure-native:cosmosdb:DatabaseAccount",
    "azure-native:dbforpostgresql:Server",
    "azure-native:dbformysql:Server",
    "azure-native:redis:Redis",
    "azure-native:sql:Database",
    "azure-native:storage:StorageAccount",
    "azure:postgresql/flexibleServer:FlexibleServer",
    "azure:redis/cache:Cache",
]


@pytest.mark.parametrize(
    ("types", "home"),
    [
        (IDENTITY, {"identity"}),
        (INFRA, {"infra"}),
        (APP, {"app"}),
        (IDENTITY_OR_INFRA, {"identity", "infra"}),
        (ANY, {"identity", "infra", "app"}),
        (DATASTORES, {"infra"}),
    ],
    ids=["identity", "infra", "app", "identity-or-infra", "any", "datastores"],
)
def test_cloud_placement(types: list[str], home: set[str]) -> None:
    for tier in ("identity", "infra", "app"):
        found = findings(PACK, stack([resource(t, {}, f"r{i}") for i, t in enumerate(types)], tier=tier))
        assert not [f for f in found if f.policy == "resource-tier-classified"], tier
        misplaced = {
            f.type for f in found if f.policy in ("resource-in-its-tier", "no-datastore-in-app-tier")
        }
        assert misplaced == (set() if tier in home else set(types)), tier


def test_aws_and_azure_datastores_in_app_are_refused_with_unknown_inputs() -> None:
    resources = [resource(t, {"name": UNKNOWN}, f"d{i}") for i, t in enumerate(DATASTORES)]
    found = findings(PACK, stack(resources, tier="app"), policy="no-datastore-in-app-tier")
    assert len(found) == len(DATASTORES)
    assert all(f.enforcement_level == "mandatory" for f in found)
