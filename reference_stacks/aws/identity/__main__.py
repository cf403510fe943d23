"""Identity tier on AWS: who may change what.

One IAM role per CI/CD pipeline, assumed only with a GitHub Actions OIDC token of one repository and
environment (no access keys anywhere), each with an inline policy listing the actions its stack
needs on the resources it owns; the EKS cluster and node roles, one workload role per application
(EKS Pod Identity, associated by infra), and the roles the database team and the developers reach
through IAM Identity Center. The infra stack reads the role ARNs below through StackReference.

Every permission document is written out here, with the ARNs built from the account, region and
name prefix, so the packs judge each statement at preview time.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
aws_config = pulumi.Config("aws")

region = aws_config.require("region")
# The provider refuses to run against any other account: the one place the account id is written.
account = aws_config.require_object("allowedAccountIds")[0]
prefix = config.get("namePrefix") or "tierguard"
repositories: dict[str, str] = config.require_object("githubRepositories")
environment = config.get("githubEnvironment") or pulumi.get_stack()
apps: list[str] = config.get_object("apps") or ["shop"]
database_team = config.require("databaseTeamPrincipal")
app_team = config.require("appTeamPrincipal")

# Names infra gives what it creates: the policies below are scoped to them.
CLUSTER = f"{prefix}-eks"
CLUSTER_ARN = f"arn:aws:eks:{region}:{account}:cluster/{CLUSTER}"
ROLE_ARN = f"arn:aws:iam::{account}:role/{prefix}-*"
GITHUB = "token.actions.githubusercontent.com"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{account}:role/{prefix}-{name}"


def statement(actions: list[str], resources: list[str] | str, **condition: Any) -> dict[str, Any]:
    """One Allow statement; a condition (``StringEquals={...}``) narrows it further."""
    st: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        st["Condition"] = condition
    return st


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust(service: str, *actions: str) -> str:
    """A trust policy for an AWS service principal, limited to this account."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": list(actions or ("sts:AssumeRole",)),
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        }
    )


def team_trust(principal: str) -> str:
    """Team roles are assumed from the team's IAM Identity Center role only, with MFA."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "ArnLike": {"aws:PrincipalArn": principal},
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
            },
        }
    )


# --- GitHub Actions OIDC: the CI roles' only way in ------------------------------------------------
github = aws.iam.OpenIdConnectProvider(
    "github",
    url=f"https://{GITHUB}",
    client_id_lists=["sts.amazonaws.com"],
)


def github_trust(tier: str) -> dict[str, Any]:
    """An object, not ``json.dumps``: the provider ARN is unknown during preview, and an object keeps
    the pinned ``sub`` readable by the packs."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": github.arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB}:aud": "sts.amazonaws.com",
                        f"{GITHUB}:sub": f"repo:{repositories[tier]}:environment:{environment}",
                    }
                },
            }
        ],
    }


# --- What each pipeline may do ---------------------------------------------------------------------
# No `*` action, no `service:*`, no iam:PassRole on every role; where the API allows resource-level
# permissions the statement names the prefix's resources. EC2 network and KMS key creation have no
# resource-level permissions for create, hence their `Resource: "*"` with listed actions.
EKS_MANAGED_POLICIES = [
    "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
]
IDENTITY_CI = document(
    statement(
        [
            "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:TagRole",
            "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:GetRolePolicy",
            "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole", "iam:DetachRolePolicy",
        ],
        [ROLE_ARN],
    ),
    # Managed policies: only the four EKS ones, never AdministratorAccess and the like.
    statement(["iam:AttachRolePolicy"], [ROLE_ARN], ArnEquals={"iam:PolicyARN": EKS_MANAGED_POLICIES}),
    statement(
        [
            "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider",
            "iam:GetOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
            "iam:UntagOpenIDConnectProvider", "iam:AddClientIDToOpenIDConnectProvider",
            "iam:RemoveClientIDFromOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
        ],
        [f"arn:aws:iam::{account}:oidc-provider/{GITHUB}"],
    ),
)
INFRA_CI = document(
    statement(
        [
            "ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:CreateSubnet",
            "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute", "ec2:CreateInternetGateway",
            "ec2:DeleteInternetGateway", "ec2:AttachInternetGateway", "ec2:DetachInternetGateway",
            "ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:CreateNatGateway", "ec2:DeleteNatGateway",
            "ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:DeleteRoute",
            "ec2:ReplaceRoute", "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable",
            "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags", "ec2:DeleteTags", "ec2:Describe*",
            "kms:CreateKey", "kms:ListKeys", "kms:ListAliases", "rds:Describe*",
        ],
        "*",
    ),
    statement(
        [
            "eks:CreateCluster", "eks:DeleteCluster", "eks:DescribeCluster", "eks:UpdateClusterConfig",
            "eks:UpdateClusterVersion", "eks:TagResource", "eks:UntagResource", "eks:CreateNodegroup",
            "eks:DeleteNodegroup", "eks:DescribeNodegroup", "eks:UpdateNodegroupConfig",
            "eks:UpdateNodegroupVersion", "eks:CreateAddon", "eks:DeleteAddon", "eks:DescribeAddon",
            "eks:UpdateAddon", "eks:DescribeAddonVersions", "eks:CreateAccessEntry",
            "eks:DeleteAccessEntry", "eks:DescribeAccessEntry", "eks:UpdateAccessEntry",
            "eks:ListAssociatedAccessPolicies", "eks:DisassociateAccessPolicy",
            "eks:CreatePodIdentityAssociation", "eks:DeletePodIdentityAssociation",
            "eks:DescribePodIdentityAssociation", "eks:UpdatePodIdentityAssociation",
        ],
        [CLUSTER_ARN, f"arn:aws:eks:{region}:{account}:*/{CLUSTER}/*"],
    ),
    # Kubernetes access it hands out: namespace edit and view, never cluster admin.
    statement(
        ["eks:AssociateAccessPolicy"],
        [f"arn:aws:eks:{region}:{account}:access-entry/{CLUSTER}/*"],
        ArnEquals={
            "eks:policyArn": [
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
            ]
        },
        StringEquals={"eks:accessScope": "namespace"},
    ),
    # The roles it hands to EKS: the cluster, node and workload roles of this estate, nothing else.
    statement(
        ["iam:PassRole"],
        [role_arn("eks-cluster"), role_arn("eks-nodes"), role_arn("workload-*")],
        StringEquals={"iam:PassedToService": ["eks.amazonaws.com", "pods.eks.amazonaws.com"]},
    ),
    statement(["iam:GetRole"], [ROLE_ARN]),
    statement(
        ["iam:CreateServiceLinkedRole"],
        [f"arn:aws:iam::{account}:role/aws-service-role/*"],
        StringEquals={
            "iam:AWSServiceName": ["eks.amazonaws.com", "eks-nodegroup.amazonaws.com", "rds.amazonaws.com"]
        },
    ),
    statement(
        [
            "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation",
            "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
            "kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey", "kms:UpdateKeyDescription",
        ],
        [f"arn:aws:kms:{region}:{account}:key/*"],
    ),
    statement(
        [
            "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
            "logs:DescribeLogGroups", "logs:TagResource", "logs:ListTagsForResource",
        ],
        [f"arn:aws:logs:{region}:{account}:log-group:/aws/eks/{CLUSTER}/*"],
    ),
    statement(
        [
            "rds:CreateDBCluster", "rds:DeleteDBCluster", "rds:ModifyDBCluster", "rds:CreateDBInstance",
            "rds:DeleteDBInstance", "rds:ModifyDBInstance", "rds:CreateDBSubnetGroup",
            "rds:DeleteDBSubnetGroup", "rds:ModifyDBSubnetGroup", "rds:AddTagsToResource",
            "rds:RemoveTagsFromResource", "rds:ListTagsForResource", "rds:CreateDBClusterSnapshot",
        ],
        [
            f"arn:aws:rds:{region}:{account}:{kind}:{prefix}-*"
            for kind in ("cluster", "db", "subgrp", "cluster-snapshot", "cluster-pg", "pg")
        ],
    ),
    # RDS creates and rotates the master password secret itself (manage_master_user_password).
    statement(
        ["secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:DescribeSecret"],
        [f"arn:aws:secretsmanager:{region}:{account}:secret:rds!*"],
    ),
)
# Kubernetes rights come from the access entry infra makes (AmazonEKSEditPolicy, its namespace only).
APP_CI = document(statement(["eks:DescribeCluster"], [CLUSTER_ARN]))

CI_POLICIES = {"identity": IDENTITY_CI, "infra": INFRA_CI, "app": APP_CI}
ci_roles: dict[str, aws.iam.Role] = {}
for tier, policy in CI_POLICIES.items():
    ci_roles[tier] = aws.iam.Role(
        f"{tier}-ci",
        name=f"{prefix}-{tier}-ci",
        description=f"CI/CD of the {tier} stack ({repositories[tier]}, environment {environment})",
        assume_role_policy=github_trust(tier),
        max_session_duration=3600,
    )
    aws.iam.RolePolicy(f"{tier}-ci", role=ci_roles[tier].id, policy=policy)

# --- EKS service roles: AWS managed policies made for exactly these roles --------------------------
cluster_role = aws.iam.Role(
    "eks-cluster",
    name=f"{prefix}-eks-cluster",
    description="EKS control plane",
    assume_role_policy=service_trust("eks.amazonaws.com", "sts:AssumeRole", "sts:TagSession"),
)
aws.iam.RolePolicyAttachment(
    "eks-cluster", role=cluster_role.name, policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
)
node_role = aws.iam.Role(
    "eks-nodes",
    name=f"{prefix}-eks-nodes",
    description="EKS managed node group instances",
    assume_role_policy=service_trust("ec2.amazonaws.com"),
)
for policy_arn in EKS_MANAGED_POLICIES[1:]:
    aws.iam.RolePolicyAttachment(
        f"eks-nodes-{policy_arn.rsplit('/', 1)[-1]}", role=node_role.name, policy_arn=policy_arn
    )

# --- Application workloads: EKS Pod Identity roles (infra associates <app>/<app> with each) ---------
workload_roles: dict[str, aws.iam.Role] = {}
for app in apps:
    workload_roles[app] = aws.iam.Role(
        f"{app}-workload",
        name=f"{prefix}-workload-{app}",
        description=f"Pods of {app} (service account {app}/{app})",
        assume_role_policy=service_trust("pods.eks.amazonaws.com", "sts:AssumeRole", "sts:TagSession"),
    )
    # IAM database authentication as the database user <app>: no password exists to leak.
    aws.iam.RolePolicy(
        f"{app}-workload",
        role=workload_roles[app].id,
        policy=document(
            statement(["rds-db:connect"], [f"arn:aws:rds-db:{region}:{account}:dbuser:*/{app}"])
        ),
    )

# --- Team roles, reached from IAM Identity Center ---------------------------------------------------
TEAM_POLICIES = {
    "database-team": (
        database_team,
        document(
            statement(["rds:Describe*", "rds:ListTagsForResource"], "*"),
            statement(
                [
                    "rds:ModifyDBCluster", "rds:ModifyDBInstance", "rds:RebootDBInstance",
                    "rds:FailoverDBCluster", "rds:CreateDBClusterSnapshot",
                ],
                [
                    f"arn:aws:rds:{region}:{account}:{kind}:{prefix}-*"
                    for kind in ("cluster", "db", "cluster-snapshot")
                ],
            ),
            # The master password RDS keeps in Secrets Manager: for migrations and grants.
            statement(
                ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                [f"arn:aws:secretsmanager:{region}:{account}:secret:rds!cluster-*"],
            ),
            statement(
                ["kms:Decrypt"],
                [f"arn:aws:kms:{region}:{account}:key/*"],
                StringEquals={"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"},
            ),
        ),
    ),
    "developers": (
        app_team,
        # Kubernetes rights: AmazonEKSViewPolicy in the app namespaces (infra's access entry).
        document(statement(["eks:DescribeCluster", "eks:AccessKubernetesApi"], [CLUSTER_ARN])),
    ),
}
team_roles: dict[str, aws.iam.Role] = {}
for team, (principal, policy) in TEAM_POLICIES.items():
    team_roles[team] = aws.iam.Role(
        team,
        name=f"{prefix}-{team}",
        description=f"The {team} (IAM Identity Center)",
        assume_role_policy=team_trust(principal),
        max_session_duration=3600 * 4,
    )
    aws.iam.RolePolicy(team, role=team_roles[team].id, policy=policy)

# --- Exports read by the infra stack ---------------------------------------------------------------
pulumi.export("accountId", account)
pulumi.export("githubOidcProvider", github.arn)
pulumi.export("identityCiRoleArn", ci_roles["identity"].arn)
pulumi.export("infraCiRoleArn", ci_roles["infra"].arn)
pulumi.export("appCiRoleArn", ci_roles["app"].arn)
pulumi.export("clusterRoleArn", cluster_role.arn)
pulumi.export("nodeRoleArn", node_role.arn)
pulumi.export("workloadRoleArns", {app: role.arn for app, role in workload_roles.items()})
pulumi.export("databaseTeamRoleArn", team_roles["database-team"].arn)
pulumi.export("developerRoleArn", team_roles["developers"].arn)
