"""Facts behind the AWS rules of the least-privilege-iam pack: where policy documents live, which
services and managed policies are too broad, which OIDC issuers need a pinned subject.

Plain data, like :mod:`tierguard.catalog.iam` for GCP: ``tierguard policies`` prints these tables and
an organisation that wants a different list edits data, not ``if``s. Type tokens and input property
names were read from pulumi-aws 7.51.1 (``tests/fixtures/sdk-tokens/`` holds the generated list a
test checks every token and top-level property against).
"""

from __future__ import annotations

# -- where IAM policy documents appear -----------------------------------------------------------

# The kind of a document decides which rules read it:
#   identity: attached to a user/group/role: "Resource: *" means every resource in the account;
#   resource: a bucket/queue/topic/key policy: "Resource: *" means this one resource, the risk is
#             who the Principal is;
#   trust:    a role's assumeRolePolicy: who may assume the role.
IDENTITY, RESOURCE, TRUST = "identity", "resource", "trust"

# type token -> ((property path, kind), ...). A path "inlinePolicies[].policy" reads each element of
# a list. Documents may be JSON strings or objects, and may be unknown during preview.
POLICY_DOCUMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "aws:iam/policy:Policy": (("policy", IDENTITY),),
    "aws:iam/rolePolicy:RolePolicy": (("policy", IDENTITY),),
    "aws:iam/userPolicy:UserPolicy": (("policy", IDENTITY),),
    "aws:iam/groupPolicy:GroupPolicy": (("policy", IDENTITY),),
    "aws:iam/role:Role": (("assumeRolePolicy", TRUST), ("inlinePolicies[].policy", IDENTITY)),
    "aws:s3/bucketPolicy:BucketPolicy": (("policy", RESOURCE),),
    "aws:s3/bucket:Bucket": (("policy", RESOURCE),),
    "aws:s3/bucketV2:BucketV2": (("policy", RESOURCE),),
    "aws:sqs/queuePolicy:QueuePolicy": (("policy", RESOURCE),),
    "aws:sqs/queue:Queue": (("policy", RESOURCE),),
    "aws:sns/topicPolicy:TopicPolicy": (("policy", RESOURCE),),
    "aws:sns/topic:Topic": (("policy", RESOURCE),),
    "aws:kms/key:Key": (("policy", RESOURCE),),
    "aws:kms/keyPolicy:KeyPolicy": (("policy", RESOURCE),),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": (("policy", RESOURCE),),
    "aws:secretsmanager/secretPolicy:SecretPolicy": (("policy", RESOURCE),),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": (("policy", RESOURCE),),
    "aws:backup/vaultPolicy:VaultPolicy": (("policy", RESOURCE),),
    "aws:opensearch/domainPolicy:DomainPolicy": (("accessPolicies", RESOURCE),),
}

# -- actions -------------------------------------------------------------------------------------

# `<service>:*` on every resource is as good as admin for these services: they administer identities
# (iam, sts, organizations, sso), keys (kms) or secrets (secretsmanager, ssm parameters).
SENSITIVE_SERVICES: tuple[str, ...] = (
    "iam",
    "sts",
    "kms",
    "organizations",
    "sso",
    "identitystore",
    "secretsmanager",
    "ssm",
)

# Passing any role to a service (EC2, Lambda, ECS...) lets the holder run code as that role.
PASS_ROLE_ACTION = "iam:passrole"
# Resources that mean "every role" for iam:PassRole (account id or *, any path).
ALL_ROLES_RESOURCE = r"^(\*|arn:aws[a-z-]*:iam::(\*|\d{12}):role/\*)$"

# Actions by which a trust policy lets a principal assume the role.
ASSUME_ACTIONS: tuple[str, ...] = (
    "sts:assumerole",
    "sts:assumerolewithwebidentity",
    "sts:assumerolewithsaml",
    "sts:tagsession",
)

# -- managed policies ----------------------------------------------------------------------------

# AWS managed policies that grant (nearly) everything; matched on the ARN's last segment in the
# `aws` account of any partition (arn:aws:, arn:aws-cn:, arn:aws-us-gov:).
BROAD_MANAGED_POLICIES: dict[str, str] = {
    "AdministratorAccess": "every action on every resource",
    "PowerUserAccess": "every action except IAM and Organizations management",
    "IAMFullAccess": "full control of IAM: any identity can be given any permission",
}
AWS_MANAGED_POLICY_ARN = r"^arn:aws[a-z-]*:iam::aws:policy/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]+)$"

# Types that attach a managed policy by ARN: type -> (property, is-a-list).
POLICY_ATTACHMENTS: dict[str, tuple[str, bool]] = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn", False),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("policyArn", False),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("policyArn", False),
    "aws:iam/policyAttachment:PolicyAttachment": ("policyArn", False),
    "aws:iam/role:Role": ("managedPolicyArns", True),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("policyArns", True),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": ("policyArns", True),
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": ("policyArns", True),
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": ("managedPolicyArn", False),
}

# -- principals ----------------------------------------------------------------------------------

# Condition keys whose presence scopes a "Principal: *" statement to an account, organisation or
# source (the documented way to share a bucket/topic/queue with a service). Any *other* condition
# scopes it too; this list only names the common ones for messages and docs.
SCOPING_CONDITION_KEYS: tuple[str, ...] = (
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:PrincipalOrgID",
    "aws:PrincipalAccount",
    "aws:SourceVpce",
    "aws:SourceVpc",
    "kms:CallerAccount",
)

# OIDC issuers of CI systems whose tokens any repository can mint: host -> (label, pinned subject).
# A subject is pinned when its literal prefix (before any wildcard) names one repository/project.
OIDC_ISSUERS: dict[str, tuple[str, str]] = {
    "token.actions.githubusercontent.com": ("GitHub Actions", r"^repo:[^/:*?]+/[^/:*?]+(:|$)"),
    "gitlab.com": ("GitLab CI", r"^project_path:[^/:*?]+(/[^/:*?]+)+(:|$)"),
}

# -- EKS -----------------------------------------------------------------------------------------

EKS_ACCESS_POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
# Access policies that make the principal cluster-admin when associated at cluster scope.
EKS_CLUSTER_ADMIN_POLICIES: tuple[str, ...] = ("AmazonEKSClusterAdminPolicy",)
# The aws-auth ConfigMap maps IAM roles/users to Kubernetes groups; system:masters bypasses RBAC.
AWS_AUTH_TYPES: tuple[str, ...] = ("kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch")
AWS_AUTH_NAME, AWS_AUTH_NAMESPACE = "aws-auth", "kube-system"
AWS_AUTH_KEYS: tuple[str, ...] = ("mapRoles", "mapUsers")
AWS_AUTH_FORBIDDEN_GROUPS: tuple[str, ...] = ("system:masters",)


def catalog() -> dict[str, object]:
    """JSON-ready tables for ``tierguard policies``."""
    return {
        "policyDocuments": {
            t: [{"path": p, "kind": k} for p, k in docs] for t, docs in POLICY_DOCUMENTS.items()
        },
        "sensitiveServices": list(SENSITIVE_SERVICES),
        "passRoleAction": PASS_ROLE_ACTION,
        "allRolesResourcePattern": ALL_ROLES_RESOURCE,
        "assumeActions": list(ASSUME_ACTIONS),
        "broadManagedPolicies": dict(BROAD_MANAGED_POLICIES),
        "policyAttachments": {
            t: {"property": p, "list": many} for t, (p, many) in POLICY_ATTACHMENTS.items()
        },
        "scopingConditionKeys": list(SCOPING_CONDITION_KEYS),
        "oidcIssuers": {
            host: {"label": label, "pinnedSubject": pattern}
            for host, (label, pattern) in OIDC_ISSUERS.items()
        },
        "eksClusterAdminPolicies": list(EKS_CLUSTER_ADMIN_POLICIES),
        "awsAuthForbiddenGroups": list(AWS_AUTH_FORBIDDEN_GROUPS),
    }
