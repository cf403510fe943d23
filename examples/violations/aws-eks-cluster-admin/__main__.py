# tierguard-expect: aws-eks-no-cluster-admin
"""The deploy role could not create a namespace, so it was made cluster admin.

An access policy association of AmazonEKSClusterAdminPolicy at cluster scope gives the CI role every
permission in every namespace (the rule refuses a system:masters mapping in the aws-auth ConfigMap
for the same reason). The compliant twin associates AmazonEKSEditPolicy in the app's namespace only.
"""

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
    "deployer-ci-admin",
    cluster_name=cluster.name,
    principal_arn=ci_role_arn,
    policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
    opts=pulumi.ResourceOptions(depends_on=[entry]),
)
