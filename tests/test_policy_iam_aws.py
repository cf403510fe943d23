"""AWS rules of the least-privilege-iam pack: each rule compliant and violating, the precision traps
(conditions, Deny, service-linked roles, AWS-managed keys and default key policies, resource-scoped
documents), documents as objects, JSON strings, secrets and values unknown during preview."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_cases.iam_aws import CONDITIONAL, EKS, MANAGED, OIDC, PASSROLE, PUBLIC, WILDCARD

from tierguard.model import wire
from tierguard.testing import UNKNOWN, findings, resource, run, stack

PACK = "least-privilege-iam"

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
QUEUE = "aws:sqs/queue:Queue"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
KEY = "aws:kms/key:Key"
SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
EKS_ASSOC = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"

ACCOUNT = "123456789012"
GITHUB_OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
GITLAB_OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource_: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource_, **extra}


def fire(type_: str, inputs: dict[str, Any], policy: str | None, config: dict | None = None) -> list:
    return findings(PACK, stack([resource(type_, inputs, name="r", line=3)]), config=config, policy=policy)


def said(finding: Any) -> str:
    """The violation's own text (the message starts with the policy description)."""
    return finding.message.split("\n", 1)[1]


def notes(type_: str, inputs: dict[str, Any], policy: str) -> list:
    result = run(PACK, stack([resource(type_, inputs, name="r")]))
    return [f for f in result.findings if f.kind == "note" and f.policy == policy]


# -- wildcard actions ------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", [POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY])
@pytest.mark.parametrize(
    "statement",
    [
        allow("*"),
        allow(["s3:GetObject", "*"]),
        allow("iam:*"),
        allow("KMS:*", ["*"]),
        allow("sts:*"),
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::audit-logs/*"},
    ],
    ids=["star", "star-in-list", "iam", "kms-upper", "sts", "not-action", "not-resource"],
)
def test_wildcard_actions_on_every_resource_are_refused(type_: str, statement: dict) -> None:
    for form in (json.dumps(doc(statement)), doc(statement)):  # JSON string and object
        (finding,) = fire(type_, {"policy": form}, WILDCARD)
        assert finding.enforcement_level == "mandatory" and finding.category == "iam"
        assert finding.severity == "critical" and finding.location and finding.location.line == 3
        assert "`policy` statement 0" in finding.message


@pytest.mark.parametrize(
    "statement",
    [
        allow("s3:*"),  # not a sensitive service by default
        allow("*", "arn:aws:s3:::media/*"),  # one bucket
        allow("iam:*", f"arn:aws:iam::{ACCOUNT}:role/app-*"),
        {"Effect": "Deny", "Action": "*", "Resource": "*"},  # a Deny never widens anything
        {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
        allow(["s3:GetObject", "s3:PutObject"], "*"),
    ],
    ids=["s3-star", "one-bucket", "iam-some-roles", "deny", "deny-not-action", "named-actions"],
)
def test_narrow_statements_and_denies_pass(statement: dict) -> None:
    assert fire(POLICY, {"policy": json.dumps(doc(statement))}, None) == []


def test_sensitive_services_are_configurable() -> None:
    config = {WILDCARD: {"sensitiveServices": ["s3"]}}
    assert len(fire(POLICY, {"policy": doc(allow("s3:*"))}, WILDCARD, config)) == 1
    assert fire(POLICY, {"policy": doc(allow("iam:*"))}, WILDCARD, config) == []


def test_condition_scoping_a_broad_action_goes_to_the_advisory() -> None:
    scoped = allow("kms:*", Condition={"StringEquals": {"aws:ResourceTag/team": "payments"}})
    inputs = {"policy": json.dumps(doc(scoped))}
    assert fire(POLICY, inputs, WILDCARD) == []
    (advisory,) = fire(POLICY, inputs, CONDITIONAL)
    assert advisory.enforcement_level == "advisory"
    assert said(advisory).startswith(f"[{WILDCARD}]") and "under a Condition" in advisory.message
    config = {WILDCARD: {"judgeConditionalStatements": True}}
    assert len(fire(POLICY, inputs, WILDCARD, config)) == 1


def test_role_inline_policies_each_judged() -> None:
    inputs = {
        "assumeRolePolicy": json.dumps(
            doc(
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                }
            )
        ),
        "inlinePolicies": [
            {"name": "read", "policy": json.dumps(doc(allow("s3:GetObject", "arn:aws:s3:::b/*")))},
            {"name": "admin", "policy": json.dumps(doc(allow("*")))},
        ],
    }
    (finding,) = fire(ROLE, inputs, WILDCARD)
    assert "`inlinePolicies[1].policy` statement 0" in finding.message


def test_several_offending_statements_are_each_reported_by_sid() -> None:
    document = doc(allow("*", Sid="Everything"), allow("s3:GetObject"), allow("iam:*", Sid="Iam"))
    fs = fire(POLICY, {"policy": document}, WILDCARD)
    assert sorted(said(f).split(":")[0] for f in fs) == [
        "`policy` statement 0 (Everything)",
        "`policy` statement 2 (Iam)",
    ]


def test_secret_policy_is_judged_without_echoing_it() -> None:
    document = json.dumps(doc(allow("*", Sid="TopSecretSid-9f1")))
    (finding,) = fire(POLICY, {"policy": wire.secret(document)}, WILDCARD)
    assert '"Action"' not in finding.message and "Statement" not in finding.message


def test_unknown_document_gets_the_preview_note_not_a_pass_or_a_violation() -> None:
    inputs = {"policy": UNKNOWN}
    assert fire(POLICY, inputs, WILDCARD) == []
    (note,) = notes(POLICY, inputs, WILDCARD)
    assert "can't run policy" in note.message and note.enforcement_level == "advisory"


def test_unknown_resource_element_does_not_hide_a_known_star_action() -> None:
    # Resource: ["*", bucket.arn] with the ARN unknown: the "*" is known.
    inputs = {"policy": doc(allow("*", ["*", UNKNOWN]))}
    assert len(fire(POLICY, inputs, WILDCARD)) == 1
    # Resource unknown as a whole (another resource's ARN): nothing known to be broad.
    assert fire(POLICY, {"policy": doc(allow("*", UNKNOWN))}, WILDCARD) == []


def test_one_unknown_inline_policy_does_not_hide_a_known_broad_one() -> None:
    inputs = {"inlinePolicies": [{"name": "a", "policy": UNKNOWN}, {"name": "b", "policy": doc(allow("*"))}]}
    assert len(fire(ROLE, inputs, WILDCARD)) == 1
    assert len(notes(ROLE, inputs, WILDCARD)) == 1


def test_unreadable_json_is_not_a_crash() -> None:
    assert fire(POLICY, {"policy": "{not json"}, WILDCARD) == []


# -- PassRole ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "resource_"),
    [
        ("iam:PassRole", "*"),
        ("iam:Pass*", "*"),
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/*"),
        ("iam:passrole", "arn:aws:iam::*:role/*"),
    ],
)
def test_passrole_on_every_role_is_refused(action: str, resource_: str) -> None:
    (finding,) = fire(POLICY, {"policy": doc(allow(action, resource_))}, PASSROLE)
    assert "iam:PassRole" in finding.message


def test_star_on_star_is_reported_once_not_also_as_passrole() -> None:
    fs = fire(POLICY, {"policy": doc(allow("*"))}, None)
    assert [f.policy for f in fs] == [WILDCARD]


def test_passrole_on_named_roles_passes() -> None:
    statement = allow("iam:PassRole", [f"arn:aws:iam::{ACCOUNT}:role/app-task", UNKNOWN])
    assert fire(POLICY, {"policy": doc(statement)}, PASSROLE) == []
    service_scoped = allow(
        "iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    )
    assert fire(POLICY, {"policy": doc(service_scoped)}, PASSROLE) == []


# -- public principals (resource and trust policies) -------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "key", "statement"),
    [
        (
            BUCKET_POLICY,
            "policy",
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::media/*",
            },
        ),
        (QUEUE, "policy", {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage"}),
        (TOPIC_POLICY, "policy", {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sns:Publish"}),
        (KEY, "policy", {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}),
        (
            BUCKET_POLICY,
            "policy",
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "s3:*",
                "Resource": "*",
            },
        ),
        (
            ROLE,
            "assumeRolePolicy",
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
        ),
    ],
    ids=["bucket", "queue", "topic", "key", "not-principal", "trust"],
)
def test_public_principals_are_refused(type_: str, key: str, statement: dict) -> None:
    (finding,) = fire(type_, {key: json.dumps(doc(statement))}, PUBLIC)
    assert finding.severity == "critical" and f"`{key}`" in finding.message


def test_public_principal_with_a_scoping_condition_passes() -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": "*",
        "Condition": {"ArnEquals": {"aws:SourceArn": UNKNOWN}},
    }
    assert fire(QUEUE, {"policy": doc(statement)}, None) == []
    org_scoped = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
    }
    assert fire(BUCKET_POLICY, {"policy": json.dumps(doc(org_scoped))}, PUBLIC) == []
    assert len(fire(BUCKET_POLICY, {"policy": json.dumps(doc(org_scoped))}, CONDITIONAL)) == 1


def test_default_key_policy_and_deny_public_statements_pass() -> None:
    """kms:* on * for the account root is the AWS default key policy: "this key", not admin."""
    default_key_policy = doc(
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "DenyInsecure",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
    assert fire(KEY, {"policy": json.dumps(default_key_policy)}, None) == []
    assert fire(KEY, {"description": "uses the default key policy"}, None) == []
    bucket_deny = doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    assert fire(BUCKET_POLICY, {"policy": bucket_deny}, None) == []


def test_service_trust_and_service_linked_roles_pass() -> None:
    trust = doc(
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}
    )
    assert fire(ROLE, {"assumeRolePolicy": json.dumps(trust)}, None) == []
    assert fire(SLR, {"awsServiceName": "elasticbeanstalk.amazonaws.com"}, None) == []
    aws_managed = {
        "role": "app",
        "policyArn": "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy",
    }
    assert fire(ATTACH, aws_managed, None) == []


def test_public_statement_without_an_assume_action_in_a_trust_policy_is_not_an_assume() -> None:
    trust = doc({"Effect": "Allow", "Principal": "*", "Action": "sts:GetCallerIdentity"})
    assert fire(ROLE, {"assumeRolePolicy": trust}, PUBLIC) == []


# -- OIDC federation ---------------------------------------------------------------------------------


def federated(provider: Any, condition: dict | None = None) -> dict:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"assumeRolePolicy": json.dumps(doc(statement))}


AUD = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}


@pytest.mark.parametrize(
    "condition",
    [
        None,
        AUD,
        {**AUD, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:my-org/*"}},
        {**AUD, "StringLike": {"token.actions.githubusercontent.com:sub": "*"}},
        {**AUD, "StringLike": {"token.actions.githubusercontent.com:sub": ["repo:my-org/app:*", "repo:*"]}},
        {**AUD, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:my-org/app*"}},
    ],
    ids=["no-condition", "aud-only", "org-wide", "star", "one-loose-value", "prefix-glob"],
)
def test_github_oidc_without_a_pinned_subject_is_refused(condition: dict | None) -> None:
    (finding,) = fire(ROLE, federated(GITHUB_OIDC, condition), OIDC)
    assert "token.actions.githubusercontent.com" in finding.message or "GitHub" in finding.message


@pytest.mark.parametrize(
    "sub",
    [
        "repo:my-org/app:ref:refs/heads/main",
        "repo:my-org/app:*",
        "repo:my-org/app:environment:prod",
        ["repo:my-org/app:pull_request", "repo:my-org/infra:ref:refs/heads/main"],
    ],
)
def test_github_oidc_pinned_to_a_repository_passes(sub: Any) -> None:
    condition = {**AUD, "StringLike": {"token.actions.githubusercontent.com:sub": sub}}
    assert fire(ROLE, federated(GITHUB_OIDC, condition), None) == []


def test_gitlab_oidc_and_allowed_subjects() -> None:
    pinned = {"StringEquals": {"gitlab.com:sub": "project_path:platform/deploy/app:ref_type:branch:ref:main"}}
    assert fire(ROLE, federated(GITLAB_OIDC, pinned), OIDC) == []
    group_wide = {"StringLike": {"gitlab.com:sub": "project_path:platform/*"}}
    assert len(fire(ROLE, federated(GITLAB_OIDC, group_wide), OIDC)) == 1
    config = {OIDC: {"allowedSubjects": ["project_path:platform/*"]}}
    assert fire(ROLE, federated(GITLAB_OIDC, group_wide), OIDC, config) == []


def test_oidc_provider_arn_unknown_is_recognised_by_its_condition_keys() -> None:
    # Federated = provider.arn (unknown during preview); the condition keys name the issuer.
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": UNKNOWN},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": AUD,
    }
    assert len(fire(ROLE, {"assumeRolePolicy": doc(statement)}, OIDC)) == 1
    statement["Condition"] = {**AUD, "StringEquals": {"token.actions.githubusercontent.com:sub": UNKNOWN}}
    assert fire(ROLE, {"assumeRolePolicy": doc(statement)}, OIDC) == []  # judged once known


def test_other_federation_is_not_judged_by_the_ci_rule() -> None:
    eks_irsa = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    assert fire(ROLE, federated(eks_irsa), OIDC) == []


# -- managed policies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        (ATTACH, {"role": "ci", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        (
            "aws:iam/userPolicyAttachment:UserPolicyAttachment",
            {"user": "bob", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"},
        ),
        (
            "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
            {"group": "ops", "policyArn": "arn:aws-us-gov:iam::aws:policy/IAMFullAccess"},
        ),
        (
            "aws:iam/policyAttachment:PolicyAttachment",
            {"roles": ["ci"], "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ),
        (ROLE, {"managedPolicyArns": [UNKNOWN, "arn:aws:iam::aws:policy/AdministratorAccess"]}),
        (
            "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
            {"roleName": "ci", "policyArns": ["arn:aws:iam::aws:policy/PowerUserAccess"]},
        ),
        (
            "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
            {
                "instanceArn": "x",
                "permissionSetArn": "y",
                "managedPolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
        ),
    ],
    ids=["role", "user", "group-govcloud", "policy-attachment", "managed-arns", "exclusive", "sso"],
)
def test_broad_managed_policies_are_refused(type_: str, inputs: dict) -> None:
    (finding,) = fire(type_, inputs, MANAGED)
    assert finding.severity == "critical"


def test_customer_policy_named_like_admin_and_unknown_arns_pass() -> None:
    custom = {"role": "ci", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"}
    assert fire(ATTACH, custom, MANAGED) == []  # a customer policy: judged by its document instead
    assert fire(ATTACH, {"role": "ci", "policyArn": UNKNOWN}, MANAGED) == []
    readonly = {"role": "ci", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert fire(ATTACH, readonly, MANAGED) == []
    config = {MANAGED: {"allowedPolicies": ["PowerUserAccess"]}}
    sandbox = {"role": "x", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}
    assert fire(ATTACH, sandbox, MANAGED, config) == []


def test_allowlisted_resource_is_skipped() -> None:
    inputs = {"role": "ci", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert fire(ATTACH, inputs, MANAGED, {MANAGED: {"allowedResources": ["r"]}}) == []


# -- EKS ---------------------------------------------------------------------------------------------

CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def test_eks_cluster_admin_at_cluster_scope_is_refused() -> None:
    inputs = {
        "clusterName": "main",
        "principalArn": UNKNOWN,
        "policyArn": CLUSTER_ADMIN,
        "accessScope": {"type": "cluster"},
    }
    (finding,) = fire(EKS_ASSOC, inputs, EKS)
    assert "AmazonEKSClusterAdminPolicy" in finding.message


def test_eks_namespace_scope_and_other_policies_pass() -> None:
    namespaced = {"policyArn": CLUSTER_ADMIN, "accessScope": {"type": "namespace", "namespaces": ["app"]}}
    assert fire(EKS_ASSOC, namespaced, EKS) == []
    edit = {
        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
        "accessScope": {"type": "cluster"},
    }
    assert fire(EKS_ASSOC, edit, EKS) == []
    unknown_scope = {"policyArn": CLUSTER_ADMIN, "accessScope": {"type": UNKNOWN}}
    assert fire(EKS_ASSOC, unknown_scope, EKS) == []
    assert len(notes(EKS_ASSOC, unknown_scope, EKS)) == 1


def aws_auth(map_roles: str, name: str = "aws-auth") -> dict:
    return {"metadata": {"name": name, "namespace": "kube-system"}, "data": {"mapRoles": map_roles}}


def test_aws_auth_mapping_to_system_masters_is_refused() -> None:
    roles = "- rolearn: arn:aws:iam::123456789012:role/ci\n  username: ci\n  groups:\n    - system:masters\n"
    (finding,) = fire(CONFIGMAP, aws_auth(roles), EKS)
    assert "system:masters" in finding.message
    secret = {
        "metadata": {"name": "aws-auth", "namespace": "kube-system"},
        "data": {"mapUsers": wire.secret("- userarn: u\n  groups: [system:masters]\n")},
    }
    assert len(fire(CONFIGMAP, secret, EKS)) == 1


def test_aws_auth_node_groups_and_other_configmaps_pass() -> None:
    nodes = (
        "- rolearn: arn:aws:iam::123456789012:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n"
        "  groups: [system:bootstrappers, system:nodes]\n"
    )
    assert fire(CONFIGMAP, aws_auth(nodes), EKS) == []
    masters = "- rolearn: r\n  groups: [system:masters]\n"
    assert fire(CONFIGMAP, aws_auth(masters, name="app-config"), EKS) == []
    assert fire(CONFIGMAP, aws_auth(UNKNOWN), EKS) == []
    assert fire(CONFIGMAP, aws_auth("{{ not: yaml"), EKS) == []


# -- metadata ----------------------------------------------------------------------------------------


def test_rules_carry_metadata_and_references() -> None:
    from tierguard.policies.packs import load_pack

    rules = {r.name: r for r in load_pack(PACK).rules()}
    for name in (WILDCARD, PASSROLE, PUBLIC, OIDC, MANAGED, EKS, CONDITIONAL):
        rule = rules[name]
        assert rule.category == "iam" and rule.remediation and rule.description
    assert "CIS AWS 1.16" in rules[WILDCARD].references
    assert rules[CONDITIONAL].enforcement == "advisory"
    assert load_pack(PACK).catalogs["awsIam"]["broadManagedPolicies"]["AdministratorAccess"]
