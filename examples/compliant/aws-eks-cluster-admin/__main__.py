"""Compliant twin of examples/violations/aws-eks-cluster-admin: the CI role may edit the `shop`
namespace (AmazonEKSEditPolicy at namespace scope), through access entries only (no aws-auth)."""

import pulumi
import pulumi_aws as aws

ci_role_arn = "arn:aws:iam::123456789012:role/deployer-ci"

cluster = aws.eks.Cluster(
    "platform",
    role_arn="arn:aws:iam::123456789012:role/eks-cluster",
    access_config=aws.eks.ClusterAccessConfigArgs(authentication_mode="API"),
    vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-0a1b2c3d", "subnet-4e5f6a7b"]),
)

entry = aws.eks.AccessEntry("deployer-ci", cluster_name=cluster.name, principal_arn=ci_role_arn)

aws.eks.AccessPolicyAssociation(
    "deployer-ci-edit-shop",
    cluster_name=cluster.name,
    principal_arn=ci_role_arn,
    policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="namespace", namespaces=["shop"]),
    opts=pulumi.ResourceOptions(depends_on=[entry]),
)
