"""least-privilege-iam, GCP: grants (basic roles, impersonation, IAM admin, privileged service accounts,
service-agent roles, default service accounts, public members, conditional grants) and resource settings
(BigQuery datasets, storage ACLs, buckets, authoritative types, keys, workload identity providers)."""

from __future__ import annotations

import json

from policy_cases import UNKNOWN, A, M, case, r, secret

BASIC = "gcp-no-basic-roles"
IMPERSONATION = "gcp-no-broad-impersonation"
IAM_ADMIN = "gcp-no-broad-iam-admin"
PRIVILEGED_SA = "gcp-no-privileged-service-accounts"
AGENT_ROLES = "gcp-service-agent-roles-only-for-agents"
DEFAULT_SA = "gcp-no-default-service-account-grants"
PUBLIC = "gcp-no-public-iam-members"
CONDITIONAL = "iam-conditional-broad-grant"
DATASET_PUBLIC = "gcp-bigquery-dataset-not-public"
ACL_PUBLIC = "gcp-storage-acl-not-public"
UNIFORM = "gcp-storage-bucket-uniform-access"
AUTHORITATIVE = "gcp-authoritative-iam-advisory"
SA_KEY = "gcp-service-account-key-advisory"
WIF = "gcp-workload-identity-provider-condition"

PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_BINDING = "gcp:projects/iAMBinding:IAMBinding"
PROJECT_POLICY = "gcp:projects/iAMPolicy:IAMPolicy"
FOLDER_MEMBER = "gcp:folder/iAMMember:IAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
SECRET_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember"
RUN_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
DATASET = "gcp:bigquery/dataset:Dataset"
DATASET_ACCESS = "gcp:bigquery/datasetAccess:DatasetAccess"
BUCKET_ACL = "gcp:storage/bucketACL:BucketACL"
BUCKET = "gcp:storage/bucket:Bucket"
KEY = "gcp:serviceaccount/key:Key"
PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"

CI_SA = "serviceAccount:ci-app@shop-identity.iam.gserviceaccount.com"
USER = "user:alice@example.com"
GROUP = "group:db-team@example.com"
COMPUTE_DEFAULT = "serviceAccount:123456789012-compute@developer.gserviceaccount.com"
GKE_AGENT = "serviceAccount:service-123456789@container-engine-robot.iam.gserviceaccount.com"
EXPIRING = {"title": "until", "expression": 'request.time < timestamp("2027-01-01T00:00:00Z")'}
SAFE_BUCKET = {"location": "EU", "uniformBucketLevelAccess": True, "publicAccessPrevention": "enforced"}
OIDC = {
    "workloadIdentityPoolId": "github",
    "workloadIdentityPoolProviderId": "github",
    "attributeMapping": {"google.subject": "assertion.sub"},
    "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"},
}


def grant(role: str, who: object = USER, **extra: object) -> dict:
    return {"project": "shop-app", "role": role, "member": who, **extra}


def policy_data(*bindings: dict) -> str:
    return json.dumps({"bindings": list(bindings), "etag": "BwXhqDsz4tM="})


def member(name: str, role: str, who: object = USER, type_: str = PROJECT_MEMBER, **extra: object):
    return r(type_, name, grant(role, who, **extra))


CASES = [
    # -- gcp-no-basic-roles
    case(BASIC, "owner-on-project", [member("g", "roles/owner")], [(BASIC, "g", M)]),
    case(BASIC, "owner-to-unknown-member", [member("g", "roles/owner", UNKNOWN)], [(BASIC, "g", M)]),
    case(BASIC, "owner-to-secret-member", [member("g", "roles/editor", secret(USER))], [(BASIC, "g", M)]),
    case(BASIC, "viewer-off-by-default", [member("g", "roles/viewer")]),
    case(
        BASIC,
        "viewer-when-included",
        [member("g", "roles/viewer")],
        [(BASIC, "g", M)],
        config={BASIC: {"includeViewer": True}},
    ),
    case(
        BASIC,
        "owner-on-one-bucket",
        [r(BUCKET_MEMBER, "g", {"bucket": "logs", "role": "roles/owner", "member": USER})],
    ),
    case(
        BASIC,
        "secret-policy-document",
        [
            r(
                PROJECT_POLICY,
                "p",
                {
                    "project": "p",
                    "policyData": secret(
                        policy_data(
                            {"role": "roles/owner", "members": [USER]},
                            {"role": "roles/viewer", "members": [GROUP]},
                        )
                    ),
                },
            )
        ],
        [(BASIC, "p", M), (AUTHORITATIVE, "p", A)],
    ),
    case(
        BASIC,
        "unknown-policy-document",
        [r(PROJECT_POLICY, "p", {"project": "p", "policyData": UNKNOWN})],
        [(AUTHORITATIVE, "p", A)],
    ),
    # -- gcp-no-broad-impersonation
    case(
        IMPERSONATION,
        "token-creator-on-project",
        [member("g", "roles/iam.serviceAccountTokenCreator")],
        [(IMPERSONATION, "g", M)],
    ),
    case(
        IMPERSONATION,
        "sa-user-on-folder-secret-member",
        [
            r(
                FOLDER_MEMBER,
                "g",
                {"folder": "folders/1", "role": "roles/iam.serviceAccountUser", "member": secret(GROUP)},
            )
        ],
        [(IMPERSONATION, "g", M)],
    ),
    case(
        IMPERSONATION,
        "on-one-service-account",
        [
            r(
                SA_MEMBER,
                "g",
                {"serviceAccountId": UNKNOWN, "role": "roles/iam.serviceAccountUser", "member": CI_SA},
            )
        ],
    ),
    case(
        IMPERSONATION,
        "allowed-member",
        [member("g", "roles/iam.serviceAccountUser", GROUP)],
        config={IMPERSONATION: {"allowedMembers": ["group:db-team@*"]}},
    ),
    # -- gcp-no-broad-iam-admin
    case(
        IAM_ADMIN,
        "project-iam-admin",
        [member("g", "roles/resourcemanager.projectIamAdmin", GROUP)],
        [(IAM_ADMIN, "g", M)],
    ),
    case(
        IAM_ADMIN,
        "in-unknown-and-secret-documents",
        [
            r(
                PROJECT_POLICY,
                "p",
                {
                    "project": UNKNOWN,
                    "policyData": secret(
                        policy_data({"role": "roles/iam.securityAdmin", "members": [GROUP]})
                    ),
                },
            )
        ],
        [(IAM_ADMIN, "p", M), (AUTHORITATIVE, "p", A)],
    ),
    case(
        IAM_ADMIN,
        "allowed-role",
        [member("g", "roles/resourcemanager.projectIamAdmin", GROUP)],
        config={IAM_ADMIN: {"allowedRoles": ["roles/resourcemanager.*"]}},
    ),
    case(IAM_ADMIN, "narrow-role", [member("g", "roles/cloudsql.client", UNKNOWN)]),
    # -- gcp-no-privileged-service-accounts
    case(
        PRIVILEGED_SA,
        "storage-admin-to-ci",
        [member("g", "roles/storage.admin", CI_SA)],
        [(PRIVILEGED_SA, "g", M)],
    ),
    case(PRIVILEGED_SA, "storage-admin-to-person", [member("g", "roles/storage.admin", USER)]),
    case(PRIVILEGED_SA, "unknown-member-cannot-tell", [member("g", "roles/storage.admin", UNKNOWN)]),
    case(
        PRIVILEGED_SA,
        "secret-sa-member",
        [member("g", "roles/container.clusterAdmin", secret(CI_SA))],
        [(PRIVILEGED_SA, "g", M)],
    ),
    case(
        PRIVILEGED_SA,
        "unknown-email-of-a-stack-sa",
        [
            r("gcp:serviceaccount/account:Account", "sa", {"accountId": "ci"}),
            r(
                PROJECT_MEMBER,
                "g",
                grant("roles/storage.admin", UNKNOWN),
                property_dependencies={
                    "member": ["urn:pulumi:dev::proj::gcp:serviceaccount/account:Account::sa"]
                },
            ),
        ],
        [(PRIVILEGED_SA, "g", M)],
    ),
    # -- gcp-service-agent-roles-only-for-agents
    case(
        AGENT_ROLES,
        "agent-role-to-ci",
        [member("g", "roles/container.serviceAgent", CI_SA)],
        [(AGENT_ROLES, "g", M)],
    ),
    case(AGENT_ROLES, "agent-holds-its-own-role", [member("g", "roles/container.serviceAgent", GKE_AGENT)]),
    case(
        AGENT_ROLES,
        "unknown-member-judged-when-known",
        [member("g", "roles/container.serviceAgent", UNKNOWN)],
    ),
    case(
        AGENT_ROLES,
        "binding-with-secret-member",
        [
            r(
                PROJECT_BINDING,
                "b",
                {
                    "project": "p",
                    "role": "roles/container.serviceAgent",
                    "members": [GKE_AGENT, secret(USER)],
                },
            )
        ],
        [(AGENT_ROLES, "b", M), (AUTHORITATIVE, "b", A)],
    ),
    # -- gcp-no-default-service-account-grants
    case(
        DEFAULT_SA,
        "compute-default-on-bucket",
        [
            r(
                BUCKET_MEMBER,
                "g",
                {"bucket": "b", "role": "roles/storage.objectViewer", "member": COMPUTE_DEFAULT},
            )
        ],
        [(DEFAULT_SA, "g", M)],
    ),
    case(
        DEFAULT_SA,
        "secret-default-member",
        [
            member(
                "g",
                "roles/storage.objectViewer",
                secret("serviceAccount:shop-app@appspot.gserviceaccount.com"),
            )
        ],
        [(DEFAULT_SA, "g", M)],
    ),
    case(
        DEFAULT_SA,
        "dedicated-or-unknown",
        [
            member("g", "roles/storage.objectViewer", CI_SA),
            member("u", "roles/storage.objectViewer", UNKNOWN),
        ],
    ),
    # -- gcp-no-public-iam-members
    case(
        PUBLIC,
        "secret-accessor-to-all-users",
        [
            r(
                SECRET_MEMBER,
                "g",
                {"secretId": "s", "role": "roles/secretmanager.secretAccessor", "member": "allUsers"},
            )
        ],
        [(PUBLIC, "g", M)],
    ),
    case(
        PUBLIC,
        "secret-public-member",
        [member("g", "roles/browser", secret("allAuthenticatedUsers"))],
        [(PUBLIC, "g", M)],
    ),
    case(
        PUBLIC,
        "unknown-member-is-quiet",
        [r(SECRET_MEMBER, "g", {"role": "roles/secretmanager.secretAccessor", "member": UNKNOWN})],
    ),
    case(
        PUBLIC,
        "allowlisted-run-invoker",
        [r(RUN_MEMBER, "g", {"name": "web", "role": "roles/run.invoker", "member": "allUsers"})],
        config={PUBLIC: {"allowedPublic": [{"resource": RUN_MEMBER, "role": "roles/run.invoker"}]}},
    ),
    # -- iam-conditional-broad-grant (advisory)
    case(
        CONDITIONAL,
        "owner-under-condition",
        [member("g", "roles/owner", condition=EXPIRING)],
        [(CONDITIONAL, "g", A)],
    ),
    # the advisory does not see another policy's config: judged there, it is still advised here
    case(
        CONDITIONAL,
        "judged-as-unconditional",
        [member("g", "roles/owner", condition=EXPIRING)],
        [(BASIC, "g", M), (CONDITIONAL, "g", A)],
        config={BASIC: {"judgeConditionalGrants": True}},
    ),
    case(
        CONDITIONAL,
        "narrow-under-condition",
        [
            member("g", "roles/storage.objectViewer", secret(USER), condition=EXPIRING),
            member("u", "roles/cloudsql.client", UNKNOWN, condition=UNKNOWN),
        ],
    ),
    # an unknown condition may narrow the grant: advised, not refused
    case(
        CONDITIONAL,
        "owner-under-unknown-condition",
        [member("u", "roles/owner", UNKNOWN, condition=UNKNOWN)],
        [(CONDITIONAL, "u", A)],
    ),
    case(
        CONDITIONAL,
        "secret-member-under-condition",
        [member("g", "roles/iam.serviceAccountUser", secret(GROUP), condition=EXPIRING)],
        [(CONDITIONAL, "g", A)],
    ),
    # -- gcp-bigquery-dataset-not-public
    case(
        DATASET_PUBLIC,
        "all-authenticated-reader",
        [
            r(
                DATASET,
                "ds",
                {
                    "datasetId": "sales",
                    "accesses": [
                        {"role": "OWNER", "specialGroup": "projectOwners"},
                        {"role": "READER", "specialGroup": "allAuthenticatedUsers"},
                    ],
                },
            )
        ],
        [(DATASET_PUBLIC, "ds", M)],
    ),
    case(
        DATASET_PUBLIC,
        "access-to-all-users",
        [r(DATASET_ACCESS, "a", {"datasetId": "sales", "role": "READER", "iamMember": "allUsers"})],
        [(DATASET_PUBLIC, "a", M)],
    ),
    case(
        DATASET_PUBLIC,
        "private-and-unknown",
        [
            r(
                DATASET,
                "ds",
                {
                    "datasetId": "sales",
                    "accesses": [
                        {"role": "READER", "groupByEmail": secret("a@example.com")},
                        {"role": "READER", "iamMember": UNKNOWN},
                    ],
                },
            ),
            r(DATASET, "u", {"datasetId": "x", "accesses": UNKNOWN}),
        ],
    ),
    # -- gcp-storage-acl-not-public
    case(
        ACL_PUBLIC,
        "public-read-acl",
        [r(BUCKET_ACL, "acl", {"bucket": "b", "predefinedAcl": "publicRead"})],
        [(ACL_PUBLIC, "acl", M)],
    ),
    case(
        ACL_PUBLIC,
        "all-users-role-entity",
        [
            r(
                BUCKET_ACL,
                "acl",
                {"bucket": secret("b"), "roleEntities": ["OWNER:project-owners-1", "READER:allUsers"]},
            )
        ],
        [(ACL_PUBLIC, "acl", M)],
    ),
    case(
        ACL_PUBLIC,
        "private-and-unknown",
        [
            r(
                BUCKET_ACL,
                "acl",
                {
                    "bucket": "b",
                    "predefinedAcl": "projectPrivate",
                    "roleEntities": ["READER:group-readers@example.com"],
                },
            ),
            r(BUCKET_ACL, "u", {"bucket": "b", "roleEntities": UNKNOWN, "predefinedAcl": UNKNOWN}),
        ],
    ),
    # -- gcp-storage-bucket-uniform-access
    case(
        UNIFORM,
        "fine-grained-acls",
        [
            r(
                BUCKET,
                "b",
                {"location": "EU", "uniformBucketLevelAccess": False, "publicAccessPrevention": "enforced"},
            )
        ],
        [(UNIFORM, "b", M)],
    ),
    case(
        UNIFORM,
        "both-missing-one-finding",
        [r(BUCKET, "b", {"location": "EU", "name": secret("x")})],
        [(UNIFORM, "b", M)],
    ),
    case(UNIFORM, "safe", [r(BUCKET, "b", {**SAFE_BUCKET, "name": secret("x")})]),
    case(
        UNIFORM,
        "unknown",
        [
            r(
                BUCKET,
                "b",
                {"location": "EU", "uniformBucketLevelAccess": UNKNOWN, "publicAccessPrevention": UNKNOWN},
            )
        ],
    ),
    case(
        UNIFORM,
        "prevention-not-required",
        [r(BUCKET, "b", {"location": "EU", "uniformBucketLevelAccess": True})],
        config={UNIFORM: {"requirePublicAccessPrevention": False}},
    ),
    # -- gcp-authoritative-iam-advisory
    case(
        AUTHORITATIVE,
        "project-binding",
        [r(PROJECT_BINDING, "b", {"project": "p", "role": "roles/cloudsql.client", "members": [CI_SA]})],
        [(AUTHORITATIVE, "b", A)],
    ),
    case(
        AUTHORITATIVE,
        "project-member-is-additive",
        [member("g", "roles/cloudsql.client", secret(CI_SA)), member("u", "roles/cloudsql.client", UNKNOWN)],
    ),
    case(
        AUTHORITATIVE,
        "empty-document-unknown-project",
        [r(PROJECT_POLICY, "p", {"project": UNKNOWN, "policyData": policy_data()})],
        [(AUTHORITATIVE, "p", A)],
    ),
    # -- gcp-service-account-key-advisory
    case(SA_KEY, "key-of-unknown-sa", [r(KEY, "k", {"serviceAccountId": UNKNOWN})], [(SA_KEY, "k", A)]),
    case(
        SA_KEY,
        "key-with-secret-public-key",
        [r(KEY, "k", {"serviceAccountId": "sa", "publicKeyData": secret("x")})],
        [(SA_KEY, "k", A)],
    ),
    case(
        SA_KEY,
        "allowlisted-key",
        [r(KEY, "k", {"serviceAccountId": "sa"})],
        config={SA_KEY: {"allowedResources": ["k"]}},
    ),
    # -- gcp-workload-identity-provider-condition
    case(WIF, "no-attribute-condition", [r(PROVIDER, "gh", OIDC)], [(WIF, "gh", M)]),
    case(
        WIF,
        "trivial-condition",
        [r(PROVIDER, "gh", {**OIDC, "attributeCondition": "true"})],
        [(WIF, "gh", M)],
    ),
    case(
        WIF,
        "pinned-repository",
        [r(PROVIDER, "gh", {**OIDC, "attributeCondition": "assertion.repository == 'a/b'"})],
    ),
    case(WIF, "unknown-condition", [r(PROVIDER, "gh", {**OIDC, "attributeCondition": UNKNOWN})]),
    case(
        WIF,
        "secret-condition",
        [r(PROVIDER, "gh", {**OIDC, "attributeCondition": secret("assertion.sub == 'x'")})],
    ),
]
