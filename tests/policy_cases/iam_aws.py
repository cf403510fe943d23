"""least-privilege-iam, AWS: policy documents (wildcard actions, PassRole, public principals, OIDC trust),
managed-policy attachments, EKS cluster admin; documents as objects, JSON text, secrets and unknowns."""

from __future__ import annotations

import json

from policy_cases import NOTE, UNKNOWN, A, M, case, r, secret

WILDCARD = "aws-iam-no-wildcard-actions"
PASSROLE = "aws-iam-no-passrole-on-all"
PUBLIC = "aws-no-public-principal"
OIDC = "aws-iam-oidc-trust-pinned-subject"
MANAGED = "aws-iam-no-broad-managed-policies"
EKS = "aws-eks-no-cluster-admin"
CONDITIONAL = "aws-iam-conditional-broad-statement"

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
QUEUE = "aws:sqs/queue:Queue"
KEY = "aws:kms/key:Key"
EKS_ASSOC = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"

ACCOUNT = "123456789012"
GITHUB_OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
AUD = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: object, resource: object = "*", **extra: object) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def policy(name: str, document: object) -> object:
    return r(POLICY, name, {"policy": document})


def trust(sub: object = None, provider: object = GITHUB_OIDC, as_text: bool = True) -> dict:
    """A GitHub OIDC trust policy; as an object when it holds unknowns (JSON text cannot)."""
    statement: dict = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": dict(AUD),
    }
    if sub is not None:
        statement["Condition"]["StringLike"] = {"token.actions.githubusercontent.com:sub": sub}
    return {"assumeRolePolicy": json.dumps(doc(statement)) if as_text else doc(statement)}


def public(principal: object, action: str = "s3:GetObject", **extra: object) -> dict:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": action,
        "Resource": "arn:aws:s3:::media/*",
        **extra,
    }


def aws_auth(map_roles: object, name: str = "aws-auth") -> dict:
    return {"metadata": {"name": name, "namespace": "kube-system"}, "data": {"mapRoles": map_roles}}


SCOPED = {"StringEquals": {"aws:ResourceTag/team": "payments"}}

CASES = [
    # -- aws-iam-no-wildcard-actions
    case(WILDCARD, "star-on-star-json", [policy("p", json.dumps(doc(allow("*"))))], [(WILDCARD, "p", M)]),
    # iam:* on every resource includes iam:PassRole on every role
    case(
        WILDCARD,
        "iam-star-object",
        [policy("p", doc(allow("iam:*")))],
        [(WILDCARD, "p", M), (PASSROLE, "p", M)],
    ),
    case(
        WILDCARD,
        "secret-document",
        [policy("p", secret(json.dumps(doc(allow("*", Sid="S")))))],
        [(WILDCARD, "p", M)],
    ),
    case(
        WILDCARD,
        "unknown-document-note",
        [policy("p", UNKNOWN)],
        [(p, "p", NOTE) for p in (WILDCARD, PASSROLE, PUBLIC, OIDC)],
    ),
    case(
        WILDCARD,
        "unknown-resource-element-keeps-known-star",
        [policy("p", doc(allow("*", ["*", UNKNOWN])))],
        [(WILDCARD, "p", M)],
    ),
    case(
        WILDCARD,
        "named-actions-deny-and-unknown-resource",
        [
            policy(
                "p",
                doc(
                    allow(["s3:GetObject"], "arn:aws:s3:::b/*"),
                    {"Effect": "Deny", "Action": "*", "Resource": "*"},
                ),
            ),
            policy("u", doc(allow("*", UNKNOWN))),
        ],
    ),
    case(
        WILDCARD,
        "sensitive-services-configured",
        [policy("p", doc(allow("s3:*"))), policy("q", doc(allow("iam:*")))],
        [(WILDCARD, "p", M), (PASSROLE, "q", M)],
        config={WILDCARD: {"sensitiveServices": ["s3"]}},
    ),
    # -- aws-iam-conditional-broad-statement (advisory)
    case(
        CONDITIONAL,
        "kms-star-under-tag-condition",
        [policy("p", json.dumps(doc(allow("kms:*", Condition=SCOPED))))],
        [(CONDITIONAL, "p", A)],
    ),
    case(
        CONDITIONAL,
        "secret-document-under-condition",
        [policy("p", secret(json.dumps(doc(allow("iam:*", Condition=SCOPED)))))],
        [(CONDITIONAL, "p", A)],
    ),
    case(
        CONDITIONAL,
        "judged-by-the-wildcard-rule",
        [policy("p", doc(allow("kms:*", Condition=SCOPED)))],
        [(WILDCARD, "p", M), (CONDITIONAL, "p", A)],
        config={WILDCARD: {"judgeConditionalStatements": True}},
    ),
    case(
        CONDITIONAL,
        "narrow-under-unknown-condition",
        [policy("p", doc(allow("s3:GetObject", "arn:aws:s3:::b/*", Condition={"StringEquals": UNKNOWN})))],
    ),
    # -- aws-iam-no-passrole-on-all
    case(PASSROLE, "passrole-on-star", [policy("p", doc(allow("iam:PassRole")))], [(PASSROLE, "p", M)]),
    case(
        PASSROLE,
        "passrole-on-every-role-secret",
        [policy("p", secret(json.dumps(doc(allow("iam:Pass*", f"arn:aws:iam::{ACCOUNT}:role/*")))))],
        [(PASSROLE, "p", M)],
    ),
    case(PASSROLE, "star-on-star-reported-once", [policy("p", doc(allow("*")))], [(WILDCARD, "p", M)]),
    case(
        PASSROLE,
        "named-and-unknown-roles",
        [policy("p", doc(allow("iam:PassRole", [f"arn:aws:iam::{ACCOUNT}:role/app-task", UNKNOWN])))],
    ),
    # scoped by a condition: not refused, advised
    case(
        PASSROLE,
        "scoped-to-a-service",
        [
            policy(
                "p",
                doc(
                    allow(
                        "iam:PassRole",
                        Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                    )
                ),
            )
        ],
        [(CONDITIONAL, "p", A)],
    ),
    # -- aws-no-public-principal
    case(
        PUBLIC,
        "public-bucket-policy",
        [r(BUCKET_POLICY, "bp", {"bucket": UNKNOWN, "policy": json.dumps(doc(public("*")))})],
        [(PUBLIC, "bp", M)],
    ),
    case(
        PUBLIC,
        "public-queue-secret",
        [r(QUEUE, "q", {"policy": secret(json.dumps(doc(public({"AWS": "*"}, "sqs:SendMessage"))))})],
        [(PUBLIC, "q", M)],
    ),
    case(
        PUBLIC,
        "public-with-source-arn-condition",
        [
            r(
                QUEUE,
                "q",
                {
                    "policy": json.dumps(
                        doc(
                            public(
                                {"Service": "sns.amazonaws.com"},
                                "sqs:SendMessage",
                                Condition={"ArnEquals": {"aws:SourceArn": UNKNOWN}},
                            )
                        )
                    )
                },
            )
        ],
    ),
    case(
        PUBLIC,
        "account-root-key-policy",
        [
            r(
                KEY,
                "k",
                {
                    "policy": json.dumps(
                        doc(
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        )
                    )
                },
            )
        ],
    ),
    case(
        PUBLIC,
        "public-trust",
        [
            r(
                ROLE,
                "role",
                {
                    "assumeRolePolicy": json.dumps(
                        doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
                    )
                },
            )
        ],
        [(PUBLIC, "role", M)],
    ),
    # -- aws-iam-oidc-trust-pinned-subject
    case(OIDC, "github-aud-only", [r(ROLE, "ci", trust())], [(OIDC, "ci", M)]),
    case(OIDC, "github-org-wide", [r(ROLE, "ci", trust("repo:my-org/*"))], [(OIDC, "ci", M)]),
    case(OIDC, "github-pinned-repository", [r(ROLE, "ci", trust("repo:my-org/app:ref:refs/heads/main"))]),
    case(
        OIDC,
        "unknown-provider-recognised-by-keys",
        [r(ROLE, "ci", trust(provider=UNKNOWN, as_text=False))],
        [(OIDC, "ci", M)],
    ),
    case(OIDC, "unknown-subject-judged-when-known", [r(ROLE, "ci", trust(UNKNOWN, as_text=False))]),
    case(
        OIDC,
        "secret-trust-policy",
        [r(ROLE, "ci", {"assumeRolePolicy": secret(trust()["assumeRolePolicy"])})],
        [(OIDC, "ci", M)],
    ),
    case(
        OIDC,
        "allowed-subject",
        [r(ROLE, "ci", trust("repo:my-org/*"))],
        config={OIDC: {"allowedSubjects": ["repo:my-org/*"]}},
    ),
    # -- aws-iam-no-broad-managed-policies
    case(
        MANAGED,
        "administrator-access",
        [r(ATTACH, "a", {"role": "ci", "policyArn": ADMIN})],
        [(MANAGED, "a", M)],
    ),
    case(
        MANAGED,
        "managed-arns-with-unknown",
        [r(ROLE, "role", {"managedPolicyArns": [UNKNOWN, ADMIN]})],
        [(MANAGED, "role", M)],
    ),
    case(
        MANAGED,
        "secret-arn",
        [r(ATTACH, "a", {"role": "ci", "policyArn": secret(ADMIN)})],
        [(MANAGED, "a", M)],
    ),
    case(
        MANAGED,
        "customer-policy-named-admin-and-readonly",
        [
            r(ATTACH, "a", {"role": "ci", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"}),
            r(ATTACH, "b", {"role": "ci", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
            r(ATTACH, "c", {"role": "ci", "policyArn": UNKNOWN}),
        ],
    ),
    case(
        MANAGED,
        "allowed-policy",
        [r(ATTACH, "a", {"role": "x", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"})],
        config={MANAGED: {"allowedPolicies": ["PowerUserAccess"]}},
    ),
    # -- aws-eks-no-cluster-admin
    case(
        EKS,
        "cluster-admin-at-cluster-scope",
        [
            r(
                EKS_ASSOC,
                "x",
                {
                    "clusterName": "main",
                    "principalArn": UNKNOWN,
                    "policyArn": CLUSTER_ADMIN,
                    "accessScope": {"type": "cluster"},
                },
            )
        ],
        [(EKS, "x", M)],
    ),
    case(
        EKS,
        "namespace-scope",
        [
            r(
                EKS_ASSOC,
                "x",
                {"policyArn": CLUSTER_ADMIN, "accessScope": {"type": "namespace", "namespaces": ["app"]}},
            )
        ],
    ),
    case(
        EKS,
        "unknown-scope-note",
        [r(EKS_ASSOC, "x", {"policyArn": CLUSTER_ADMIN, "accessScope": {"type": UNKNOWN}})],
        [(EKS, "x", NOTE)],
    ),
    case(
        EKS,
        "aws-auth-system-masters",
        [
            r(
                CONFIGMAP,
                "cm",
                aws_auth(
                    "- rolearn: arn:aws:iam::123456789012:role/ci\n  username: ci\n"
                    "  groups:\n    - system:masters\n"
                ),
            )
        ],
        [(EKS, "cm", M)],
    ),
    case(
        EKS,
        "aws-auth-secret-map-users",
        [
            r(
                CONFIGMAP,
                "cm",
                {
                    "metadata": {"name": "aws-auth", "namespace": "kube-system"},
                    "data": {"mapUsers": secret("- userarn: u\n  groups: [system:masters]\n")},
                },
            )
        ],
        [(EKS, "cm", M)],
    ),
    case(
        EKS,
        "aws-auth-node-groups",
        [
            r(
                CONFIGMAP,
                "cm",
                aws_auth(
                    "- rolearn: arn:aws:iam::123456789012:role/nodes\n"
                    "  groups: [system:bootstrappers, system:nodes]\n"
                ),
            )
        ],
    ),
]
