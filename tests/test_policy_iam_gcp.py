"""GCP rules of the least-privilege-iam pack: each rule compliant and violating, the false-positive
traps peers fall into, unknown values and secrets."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tierguard.model import wire
from tierguard.testing import UNKNOWN, findings, resource, run, stack

PACK = "least-privilege-iam"

PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_BINDING = "gcp:projects/iAMBinding:IAMBinding"
PROJECT_POLICY = "gcp:projects/iAMPolicy:IAMPolicy"
FOLDER_BINDING = "gcp:folder/iAMBinding:IAMBinding"
FOLDER_MEMBER = "gcp:folder/iAMMember:IAMMember"
ORG_POLICY = "gcp:organizations/iAMPolicy:IAMPolicy"
ORG_MEMBER = "gcp:organizations/iAMMember:IAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BUCKET_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
SECRET_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember"
RUN_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
RUN_BINDING = "gcp:cloudrun/iamBinding:IamBinding"

CI_SA = "serviceAccount:ci-app@shop-identity.iam.gserviceaccount.com"
USER = "user:alice@example.com"
GROUP = "group:db-team@example.com"


def fire(type_: str, inputs: dict[str, Any], policy: str | None, config: dict | None = None) -> list:
    return findings(
        PACK, stack([resource(type_, inputs, name="grant", line=7)]), config=config, policy=policy
    )


def member(role: str, who: Any = USER, **extra: Any) -> dict[str, Any]:
    return {"project": "shop-app", "role": role, "member": who, **extra}


def policy_data(*bindings: dict[str, Any]) -> str:
    return json.dumps({"bindings": list(bindings), "etag": "BwXhqDsz4tM="})


def mandatory(fs: list) -> list:
    return [f for f in fs if f.enforcement_level == "mandatory"]


# -- basic roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        (PROJECT_MEMBER, member("roles/owner")),
        (PROJECT_BINDING, {"project": "p", "role": "roles/editor", "members": [GROUP]}),
        (FOLDER_BINDING, {"folder": "folders/1", "role": "roles/editor", "members": [USER]}),
        (ORG_MEMBER, {"orgId": "123", "role": "roles/owner", "member": GROUP}),
        (ORG_POLICY, {"orgId": "123", "policyData": policy_data({"role": "roles/owner", "members": [USER]})}),
    ],
)
def test_basic_roles_at_broad_scope_are_refused(type_: str, inputs: dict) -> None:
    (finding,) = fire(type_, inputs, "gcp-no-basic-roles")
    assert finding.enforcement_level == "mandatory" and finding.category == "iam"
    assert finding.severity == "high" and finding.location and finding.location.line == 7
    assert "roles/" in finding.message


def test_basic_role_with_unknown_member_is_still_refused() -> None:
    (finding,) = fire(PROJECT_MEMBER, member("roles/owner", UNKNOWN), "gcp-no-basic-roles")
    assert "unknown during preview" in finding.message
    fs = run(PACK, stack([resource(PROJECT_MEMBER, member("roles/owner", UNKNOWN))])).findings
    assert not [f for f in fs if f.kind == "note"]  # decided from the role, no "can't run" note


def test_viewer_is_configurable_and_off_by_default() -> None:
    assert fire(PROJECT_MEMBER, member("roles/viewer"), "gcp-no-basic-roles") == []
    config = {"gcp-no-basic-roles": {"includeViewer": True}}
    assert len(fire(PROJECT_MEMBER, member("roles/viewer"), "gcp-no-basic-roles", config)) == 1


def test_basic_role_on_one_resource_is_not_project_level() -> None:
    inputs = {"bucket": "logs", "role": "roles/storage.admin", "member": USER}
    assert fire(BUCKET_MEMBER, {**inputs, "role": "roles/owner"}, "gcp-no-basic-roles") == []


def test_empty_members_grant_nothing() -> None:
    inputs = {"project": "p", "role": "roles/editor", "members": []}
    assert mandatory(fire(PROJECT_BINDING, inputs, None)) == []


def test_policy_document_with_several_bindings_reports_each_offender() -> None:
    document = policy_data(
        {"role": "roles/owner", "members": [GROUP]},
        {"role": "roles/cloudsql.admin", "members": [GROUP]},
        {"role": "roles/editor", "members": ["serviceAccount:123456789@cloudservices.gserviceaccount.com"]},
        {
            "role": "roles/container.serviceAgent",
            "members": ["serviceAccount:service-123456789@container-engine-robot.iam.gserviceaccount.com"],
        },
        {"role": "roles/editor", "members": [USER, CI_SA]},
        {"role": "roles/viewer", "members": []},
    )
    fs = mandatory(fire(PROJECT_POLICY, {"project": "p", "policyData": document}, None))
    basic = sorted(f.message.split("\n")[1] for f in fs if f.policy == "gcp-no-basic-roles")
    assert len(basic) == 3  # owner->group, editor->user, editor->ci; not the Google APIs service agent
    assert all("(in policyData)" in m for m in basic)
    assert {f.policy for f in fs} == {"gcp-no-basic-roles", "gcp-no-privileged-service-accounts"}


def test_secret_policy_document_is_judged_without_dumping_it() -> None:
    document = policy_data(
        {"role": "roles/owner", "members": [USER]}, {"role": "roles/viewer", "members": [GROUP]}
    )
    (finding,) = fire(
        PROJECT_POLICY, {"project": "p", "policyData": wire.secret(document)}, "gcp-no-basic-roles"
    )
    assert (
        "roles/owner" in finding.message
        and "bindings" not in finding.message
        and "etag" not in finding.message
    )


def test_unknown_policy_document_does_not_crash() -> None:
    result = run(PACK, stack([resource(PROJECT_POLICY, {"project": "p", "policyData": UNKNOWN})]))
    assert [f.policy for f in result.findings] == ["gcp-authoritative-iam-advisory"]


# -- conditions ----------------------------------------------------------------------------------

EXPIRING = {"title": "until launch", "expression": 'request.time < timestamp("2030-01-01T00:00:00Z")'}


def test_conditional_grant_is_advisory_by_default() -> None:
    fs = fire(PROJECT_MEMBER, member("roles/owner", condition=EXPIRING), None)
    assert mandatory(fs) == []
    (advice,) = [f for f in fs if f.policy == "iam-conditional-broad-grant"]
    assert advice.enforcement_level == "advisory"
    assert "[gcp-no-basic-roles]" in advice.message and "under an IAM condition" in advice.message


def test_conditional_grant_can_be_judged_or_blocked() -> None:
    judged = {"gcp-no-basic-roles": {"judgeConditionalGrants": True}}
    assert (
        len(fire(PROJECT_MEMBER, member("roles/owner", condition=EXPIRING), "gcp-no-basic-roles", judged))
        == 1
    )
    blocked = {"iam-conditional-broad-grant": "mandatory"}
    (f,) = fire(
        PROJECT_MEMBER, member("roles/owner", condition=EXPIRING), "iam-conditional-broad-grant", blocked
    )
    assert f.blocking


def test_trivial_condition_is_no_condition() -> None:
    trivial = {"title": "always", "expression": "true"}
    assert len(fire(PROJECT_MEMBER, member("roles/owner", condition=trivial), "gcp-no-basic-roles")) == 1


def test_narrow_conditional_grant_is_not_reported() -> None:
    assert fire(PROJECT_MEMBER, member("roles/storage.objectViewer", condition=EXPIRING), None) == []


# -- impersonation and IAM admin -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"])
def test_impersonation_roles_at_project_or_folder_are_refused(role: str) -> None:
    assert len(fire(PROJECT_MEMBER, member(role), "gcp-no-broad-impersonation")) == 1
    assert (
        len(
            fire(
                FOLDER_MEMBER,
                {"folder": "folders/1", "role": role, "member": GROUP},
                "gcp-no-broad-impersonation",
            )
        )
        == 1
    )


@pytest.mark.parametrize("role", ["roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"])
def test_impersonation_on_one_service_account_is_fine(role: str) -> None:
    inputs = {
        "serviceAccountId": "projects/p/serviceAccounts/deployer@p.iam.gserviceaccount.com",
        "role": role,
        "member": CI_SA,
    }
    assert mandatory(fire(SA_MEMBER, inputs, None)) == []


@pytest.mark.parametrize(
    "role",
    [
        "roles/iam.securityAdmin",
        "roles/iam.serviceAccountKeyAdmin",
        "roles/iam.workloadIdentityUser",
        "roles/resourcemanager.projectIamAdmin",
        "roles/iam.roleAdmin",
    ],
)
def test_iam_admin_roles_at_project_scope_are_refused(role: str) -> None:
    (finding,) = fire(PROJECT_MEMBER, member(role, GROUP), "gcp-no-broad-iam-admin")
    assert finding.severity == "critical"


def test_iam_admin_role_in_policy_document_and_allowlist() -> None:
    document = policy_data({"role": "roles/resourcemanager.projectIamAdmin", "members": [GROUP]})
    inputs = {"project": "p", "policyData": document}
    assert len(fire(PROJECT_POLICY, inputs, "gcp-no-broad-iam-admin")) == 1
    config = {"gcp-no-broad-iam-admin": {"allowedMembers": ["group:db-team@*"]}}
    assert fire(PROJECT_POLICY, inputs, "gcp-no-broad-iam-admin", config) == []
    config = {"gcp-no-broad-iam-admin": {"allowedRoles": ["roles/resourcemanager.*"]}}
    assert fire(PROJECT_POLICY, inputs, "gcp-no-broad-iam-admin", config) == []
    config = {"gcp-no-broad-iam-admin": {"allowedResources": ["grant"]}}
    assert fire(PROJECT_POLICY, inputs, "gcp-no-broad-iam-admin", config) == []


@pytest.mark.parametrize(
    "who",
    [
        "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/github/"
        "attribute.repository/acme/shop",
        "principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/github/subject/x",
        "serviceAccount:shop-app.svc.id.goog[shop/web]",
    ],
)
def test_workload_identity_on_one_service_account_is_not_flagged(who: str) -> None:
    inputs = {
        "serviceAccountId": "projects/p/serviceAccounts/web@p.iam.gserviceaccount.com",
        "role": "roles/iam.workloadIdentityUser",
        "member": who,
    }
    assert fire(SA_MEMBER, inputs, None) == []


# -- service accounts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    ["roles/editor", "roles/storage.admin", "roles/compute.instanceAdmin.v1", "roles/container.clusterAdmin"],
)
def test_privileged_roles_for_service_accounts_are_refused(role: str) -> None:
    assert len(fire(PROJECT_MEMBER, member(role, CI_SA), "gcp-no-privileged-service-accounts")) == 1


@pytest.mark.parametrize(
    ("role", "who", "type_"),
    [
        ("roles/storage.admin", USER, PROJECT_MEMBER),  # a person, not a service account
        ("projects/shop-app/roles/administrator", CI_SA, PROJECT_MEMBER),  # custom: not judged by name
        ("organizations/1/roles/storageAdmin", CI_SA, PROJECT_MEMBER),
        ("roles/cloudsql.client", CI_SA, PROJECT_MEMBER),
        ("roles/storage.admin", CI_SA, BUCKET_MEMBER),  # one bucket, not the project
        ("roles/storage.admin", UNKNOWN, PROJECT_MEMBER),  # unknown member: can't tell
    ],
)
def test_privileged_service_account_traps(role: str, who: str, type_: str) -> None:
    assert fire(type_, {"bucket": "b", **member(role, who)}, "gcp-no-privileged-service-accounts") == []


def test_service_agent_holding_its_own_role_is_not_flagged() -> None:
    agent = "serviceAccount:service-123456789@gcp-sa-cloudbuild.iam.gserviceaccount.com"
    assert fire(PROJECT_MEMBER, member("roles/cloudbuild.serviceAgent", agent), None) == []
    # the same agent holding an admin role is judged like any service account
    assert (
        len(fire(PROJECT_MEMBER, member("roles/storage.admin", agent), "gcp-no-privileged-service-accounts"))
        == 1
    )


SA_ROLES = "gcp-service-agent-roles-only-for-agents"


@pytest.mark.parametrize(
    ("role", "agent"),
    [
        ("roles/cloudbuild.serviceAgent", "service-123456789@gcp-sa-cloudbuild.iam.gserviceaccount.com"),
        ("roles/accessapproval.serviceAgent",
         "service-p123456789@gcp-sa-accessapproval.iam.gserviceaccount.com"),
        ("roles/securitycenter.serviceAgent",
         "service-org-4321@gcp-sa-scc-notification.iam.gserviceaccount.com"),
        ("roles/container.serviceAgent", "service-123456789@container-engine-robot.iam.gserviceaccount.com"),
        ("roles/compute.serviceAgent", "service-123456789@compute-system.iam.gserviceaccount.com"),
        ("roles/run.serviceAgent", "service-123456789@serverless-robot-prod.iam.gserviceaccount.com"),
        ("roles/cloudfunctions.serviceAgent", "service-123456789@gcf-admin-robot.iam.gserviceaccount.com"),
        ("roles/appengineflex.serviceAgent",
         "service-123456789@gae-api-prod.google.com.iam.gserviceaccount.com"),
    ],
)
def test_real_service_agents_hold_their_roles_unflagged(role: str, agent: str) -> None:
    for type_ in (PROJECT_MEMBER, FOLDER_MEMBER, ORG_MEMBER):
        assert fire(type_, member(role, f"serviceAccount:{agent}", folder="folders/1", orgId="1"), None) == []


@pytest.mark.parametrize(
    "who",
    [
        USER,
        GROUP,
        CI_SA,
        # ordinary service accounts that only look like agents
        "serviceAccount:service-123456789@shop-identity.iam.gserviceaccount.com",
        "serviceAccount:service-123456789@gcp-sa-cloudbuild.example.com",
        "serviceAccount:robot@gcp-sa-cloudbuild.iam.gserviceaccount.com",
        "serviceAccount:service-123@container-engine-robot.iam.gserviceaccount.com.evil.com",
        "user:service-123456789@gcp-sa-cloudbuild.iam.gserviceaccount.com",  # not a service account
    ],
)
def test_service_agent_roles_to_anyone_else_are_broad_grants(who: str) -> None:
    (finding,) = fire(PROJECT_MEMBER, member("roles/container.serviceAgent", who), SA_ROLES)
    assert finding.enforcement_level == "mandatory"
    assert "roles/container.serviceAgent" in finding.message and who in finding.message


def test_service_agent_role_traps() -> None:
    role = "roles/container.serviceAgent"
    # on one resource, not the project; unknown members (a ServiceIdentity's email) are judged once known
    assert fire(BUCKET_MEMBER, {"bucket": "b", **member(role, USER)}, SA_ROLES) == []
    assert fire(PROJECT_MEMBER, member(role, UNKNOWN), SA_ROLES) == []
    # bindings and policyData are read member by member
    binding = {"project": "p", "role": role, "members": [
        "serviceAccount:service-1@gcp-sa-cloudbuild.iam.gserviceaccount.com", wire.secret(USER)]}
    (finding,) = fire(PROJECT_BINDING, binding, SA_ROLES)
    assert "gcp-sa-cloudbuild" not in finding.message.split("\n", 1)[1]
    data = policy_data({"role": role, "members": [GROUP]})
    assert len(fire(PROJECT_POLICY, {"project": "p", "policyData": data}, SA_ROLES)) == 1
    # the old trap: an ordinary SA named like an agent no longer passes as one for privileged roles
    lookalike = "serviceAccount:service-42@my-project.iam.gserviceaccount.com"
    assert len(fire(PROJECT_MEMBER, member(role, lookalike), SA_ROLES)) == 1


@pytest.mark.parametrize(
    ("type_", "who"),
    [
        (PROJECT_MEMBER, "serviceAccount:123456789012-compute@developer.gserviceaccount.com"),
        (BUCKET_MEMBER, "serviceAccount:123456789012-compute@developer.gserviceaccount.com"),
        (PROJECT_MEMBER, "serviceAccount:shop-app@appspot.gserviceaccount.com"),
    ],
)
def test_grants_to_default_service_accounts_are_refused(type_: str, who: str) -> None:
    inputs = {"bucket": "b", **member("roles/storage.objectViewer", who)}
    (finding,) = fire(type_, inputs, "gcp-no-default-service-account-grants")
    assert "default service account" in finding.message


@pytest.mark.parametrize("who", [CI_SA, UNKNOWN, "serviceAccount:compute@shop-app.iam.gserviceaccount.com"])
def test_dedicated_or_unknown_service_accounts_are_fine(who: str) -> None:
    assert fire(PROJECT_MEMBER, member("roles/storage.objectViewer", who), None) == []


# -- public principals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        (
            SECRET_MEMBER,
            {"secretId": "s", "role": "roles/secretmanager.secretAccessor", "member": "allUsers"},
        ),
        (
            RUN_BINDING,
            {"service": "web", "role": "roles/run.invoker", "members": [USER, "allAuthenticatedUsers"]},
        ),
        (BUCKET_BINDING, {"bucket": "b", "role": "roles/storage.objectViewer", "members": ["allUsers"]}),
        (
            "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
            {
                "bucket": "b",
                "policyData": policy_data({"role": "roles/storage.objectViewer", "members": ["allUsers"]}),
            },
        ),
        (PROJECT_MEMBER, member("roles/browser", "allAuthenticatedUsers")),
    ],
)
def test_public_members_are_refused_on_any_iam_type(type_: str, inputs: dict) -> None:
    (finding,) = fire(type_, inputs, "gcp-no-public-iam-members")
    assert finding.severity == "critical" and "all" in finding.message


def test_deliberate_public_endpoint_is_allowlisted_by_resource_and_role() -> None:
    inputs = {"name": "web", "location": "europe-west1", "role": "roles/run.invoker", "member": "allUsers"}
    allow = {
        "gcp-no-public-iam-members": {
            "allowedPublic": [{"resource": RUN_MEMBER, "role": "roles/run.invoker"}]
        }
    }
    assert fire(RUN_MEMBER, inputs, "gcp-no-public-iam-members", allow) == []
    other_role = {**inputs, "role": "roles/run.developer"}
    assert len(fire(RUN_MEMBER, other_role, "gcp-no-public-iam-members", allow)) == 1
    by_name = {"gcp-no-public-iam-members": {"allowedPublic": [{"resource": "grant"}]}}
    assert fire(RUN_MEMBER, inputs, "gcp-no-public-iam-members", by_name) == []


def test_public_check_with_unknown_member_is_quiet() -> None:
    assert fire(SECRET_MEMBER, {"role": "roles/secretmanager.secretAccessor", "member": UNKNOWN}, None) == []


# -- BigQuery datasets ---------------------------------------------------------------------------

DATASET = "gcp:bigquery/dataset:Dataset"
DATASET_ACCESS = "gcp:bigquery/datasetAccess:DatasetAccess"


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        (
            DATASET,
            {
                "datasetId": "sales",
                "accesses": [
                    {"role": "OWNER", "specialGroup": "projectOwners"},
                    {"role": "READER", "specialGroup": "allAuthenticatedUsers"},
                ],
            },
        ),
        (
            DATASET,
            {
                "datasetId": "sales",
                "accesses": [{"role": "roles/bigquery.dataViewer", "iamMember": "allUsers"}],
            },
        ),
        (DATASET_ACCESS, {"datasetId": "sales", "role": "READER", "specialGroup": "allAuthenticatedUsers"}),
        (DATASET_ACCESS, {"datasetId": "sales", "role": "READER", "iamMember": "allUsers"}),
    ],
)
def test_public_datasets_are_refused(type_: str, inputs: dict) -> None:
    assert len(fire(type_, inputs, "gcp-bigquery-dataset-not-public")) == 1


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        (DATASET, {"datasetId": "sales"}),
        (DATASET, {"datasetId": "sales", "accesses": UNKNOWN}),
        (
            DATASET,
            {
                "datasetId": "sales",
                "accesses": [
                    {"role": "OWNER", "specialGroup": "projectOwners"},
                    {"role": "READER", "groupByEmail": "a@example.com"},
                    {"role": "READER", "iamMember": UNKNOWN},
                ],
            },
        ),
        (DATASET_ACCESS, {"datasetId": "sales", "role": "READER", "userByEmail": "a@example.com"}),
    ],
)
def test_private_datasets_pass(type_: str, inputs: dict) -> None:
    assert fire(type_, inputs, "gcp-bigquery-dataset-not-public") == []


# -- storage ACLs and buckets --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        (
            "gcp:storage/bucketACL:BucketACL",
            {"bucket": "b", "roleEntities": ["OWNER:project-owners-1", "READER:allUsers"]},
        ),
        ("gcp:storage/bucketACL:BucketACL", {"bucket": "b", "predefinedAcl": "publicRead"}),
        ("gcp:storage/bucketACL:BucketACL", {"bucket": "b", "defaultAcl": "authenticatedRead"}),
        (
            "gcp:storage/objectACL:ObjectACL",
            {"bucket": "b", "object": "o", "predefinedAcl": "publicReadWrite"},
        ),
        (
            "gcp:storage/defaultObjectACL:DefaultObjectACL",
            {"bucket": "b", "roleEntities": ["READER:allAuthenticatedUsers"]},
        ),
        (
            "gcp:storage/bucketAccessControl:BucketAccessControl",
            {"bucket": "b", "role": "READER", "entity": "allUsers"},
        ),
        (
            "gcp:storage/objectAccessControl:ObjectAccessControl",
            {"bucket": "b", "object": "o", "role": "READER", "entity": "allUsers"},
        ),
        (
            "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
            {"bucket": "b", "role": "READER", "entity": "allAuthenticatedUsers"},
        ),
    ],
)
def test_public_acls_are_refused(type_: str, inputs: dict) -> None:
    assert len(fire(type_, inputs, "gcp-storage-acl-not-public")) == 1


def test_private_and_allowlisted_acls_pass() -> None:
    acl = "gcp:storage/bucketACL:BucketACL"
    private = {
        "bucket": "b",
        "roleEntities": ["OWNER:project-owners-1", "READER:group-readers@example.com"],
        "predefinedAcl": "projectPrivate",
    }
    assert fire(acl, private, "gcp-storage-acl-not-public") == []
    assert fire(acl, {"bucket": "b", "roleEntities": UNKNOWN, "predefinedAcl": UNKNOWN}, None) == []
    public = {"bucket": "b", "roleEntities": ["READER:allUsers"]}
    allow = {"gcp-storage-acl-not-public": {"allowedPublic": [{"resource": "grant", "role": "READER"}]}}
    assert fire(acl, public, "gcp-storage-acl-not-public", allow) == []


BUCKET = "gcp:storage/bucket:Bucket"


@pytest.mark.parametrize(
    ("inputs", "problems"),
    [
        ({"uniformBucketLevelAccess": True, "publicAccessPrevention": "enforced"}, 0),
        ({"uniformBucketLevelAccess": True}, 1),  # unset prevention is "inherited"
        ({"uniformBucketLevelAccess": True, "publicAccessPrevention": "inherited"}, 1),
        ({"publicAccessPrevention": "enforced"}, 1),  # unset uniform access is false
        ({"uniformBucketLevelAccess": False, "publicAccessPrevention": "inherited"}, 2),
        ({"uniformBucketLevelAccess": UNKNOWN, "publicAccessPrevention": UNKNOWN}, 0),
    ],
)
def test_bucket_uniform_access_and_public_access_prevention(inputs: dict, problems: int) -> None:
    fs = fire(BUCKET, {"location": "EU", **inputs}, "gcp-storage-bucket-uniform-access")
    assert len(fs) == problems


def test_bucket_rule_config() -> None:
    inputs = {"location": "EU", "uniformBucketLevelAccess": True}
    off = {"gcp-storage-bucket-uniform-access": {"requirePublicAccessPrevention": False}}
    assert fire(BUCKET, inputs, "gcp-storage-bucket-uniform-access", off) == []
    allow = {"gcp-storage-bucket-uniform-access": {"allowedResources": ["grant"]}}
    assert fire(BUCKET, {"location": "EU"}, "gcp-storage-bucket-uniform-access", allow) == []


# -- advisories and workload identity providers --------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "inputs", "expected"),
    [
        (PROJECT_BINDING, {"project": "p", "role": "roles/cloudsql.client", "members": [CI_SA]}, 1),
        (PROJECT_POLICY, {"project": "p", "policyData": policy_data()}, 1),
        (FOLDER_BINDING, {"folder": "folders/1", "role": "roles/cloudsql.client", "members": [CI_SA]}, 1),
        (PROJECT_MEMBER, member("roles/cloudsql.client", CI_SA), 0),
        (BUCKET_BINDING, {"bucket": "b", "role": "roles/storage.objectViewer", "members": [CI_SA]}, 0),
    ],
)
def test_authoritative_types_at_broad_scope_are_advised(type_: str, inputs: dict, expected: int) -> None:
    fs = fire(type_, inputs, "gcp-authoritative-iam-advisory")
    assert len(fs) == expected and all(f.enforcement_level == "advisory" for f in fs)


def test_service_account_keys_are_advised() -> None:
    key = "gcp:serviceaccount/key:Key"
    (f,) = fire(key, {"serviceAccountId": UNKNOWN}, "gcp-service-account-key-advisory")
    assert f.enforcement_level == "advisory" and not f.blocking
    allow = {"gcp-service-account-key-advisory": {"allowedResources": ["gr*"]}}
    assert fire(key, {"serviceAccountId": "sa"}, "gcp-service-account-key-advisory", allow) == []
    assert (
        fire(
            SA_MEMBER,
            {"role": "roles/iam.serviceAccountUser", "member": CI_SA},
            "gcp-service-account-key-advisory",
        )
        == []
    )


PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
OIDC = {
    "workloadIdentityPoolId": "github",
    "workloadIdentityPoolProviderId": "github",
    "attributeMapping": {"google.subject": "assertion.sub"},
    "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"},
}


@pytest.mark.parametrize(
    ("condition", "violations"),
    [("assertion.repository == 'acme/shop'", 0), (None, 1), ("", 1), ("true", 1), (UNKNOWN, 0)],
)
def test_workload_identity_provider_needs_attribute_condition(condition: Any, violations: int) -> None:
    inputs = dict(OIDC) if condition is None else {**OIDC, "attributeCondition": condition}
    assert len(fire(PROVIDER, inputs, "gcp-workload-identity-provider-condition")) == violations


# -- the reader over every scope -----------------------------------------------------------------


def _registered() -> set[str]:
    spec = importlib.util.find_spec("pulumi_gcp")
    assert spec and spec.origin
    return set(
        re.findall(r'"(gcp:[A-Za-z0-9/]+:[A-Za-z0-9]+)": "', Path(spec.origin).read_text(encoding="utf-8"))
    )


SAMPLE = {
    "gcp:organizations/iAMMember:IAMMember": "member",
    "gcp:organizations/iAMBinding:IAMBinding": "binding",
    "gcp:folder/iAMPolicy:IAMPolicy": "policy",
    "gcp:projects/iAMMember:IAMMember": "member",
    "gcp:projects/iAMPolicy:IAMPolicy": "policy",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "member",
    "gcp:storage/managedFolderIamBinding:ManagedFolderIamBinding": "binding",
    "gcp:bigquery/datasetIamPolicy:DatasetIamPolicy": "policy",
    "gcp:bigquery/iamMember:IamMember": "member",
    "gcp:serviceaccount/iAMBinding:IAMBinding": "binding",
    "gcp:secretmanager/secretIamMember:SecretIamMember": "member",
    "gcp:secretmanager/regionalSecretIamPolicy:RegionalSecretIamPolicy": "policy",
    "gcp:cloudrun/iamMember:IamMember": "member",
    "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding": "binding",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "member",
    "gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy": "policy",
    "gcp:pubsub/topicIAMMember:TopicIAMMember": "member",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": "member",
    "gcp:iam/workloadIdentityPoolIamBinding:WorkloadIdentityPoolIamBinding": "binding",
    "gcp:compute/subnetworkIAMMember:SubnetworkIAMMember": "member",
}


def _grant(kind: str, role: str, who: str) -> dict[str, Any]:
    if kind == "member":
        return {"role": role, "member": who}
    if kind == "binding":
        return {"role": role, "members": [who]}
    return {"policyData": policy_data({"role": role, "members": [who]})}


def test_pack_reads_iam_types_of_every_scope() -> None:
    assert set(SAMPLE) <= _registered()
    public = stack(
        [
            resource(t, _grant(k, "roles/browser", "allUsers"), name=f"r{i}")
            for i, (t, k) in enumerate(SAMPLE.items())
        ]
    )
    fs = findings(PACK, public, policy="gcp-no-public-iam-members")
    assert sorted(f.type for f in fs) == sorted(SAMPLE)

    owner = stack(
        [
            resource(t, _grant(k, "roles/owner", GROUP), name=f"r{i}")
            for i, (t, k) in enumerate(SAMPLE.items())
        ]
    )
    fs = findings(PACK, owner, policy="gcp-no-basic-roles")
    assert sorted(f.type for f in fs) == sorted(
        t for t in SAMPLE if t.split("/")[0] in ("gcp:organizations", "gcp:folder", "gcp:projects")
    )

    narrow = stack(
        [
            resource(t, _grant(k, "roles/storage.objectViewer", GROUP), name=f"r{i}")
            for i, (t, k) in enumerate(SAMPLE.items())
        ]
    )
    assert mandatory(findings(PACK, narrow)) == []


def _sa_and_grant(role: str, dep_type: str, inputs: dict[str, Any] | None = None) -> list:
    sa = resource(dep_type, {"accountId": "ci-app"}, name="ci-app")
    grant = resource(
        PROJECT_MEMBER,
        inputs or member(role, UNKNOWN),
        name="ci-grant",
        line=12,
        property_dependencies={"member": [sa.urn], "project": []},
    )
    return findings(PACK, stack([sa, grant]), policy="gcp-no-privileged-service-accounts")


def test_unknown_member_from_a_service_account_of_the_stack_is_judged() -> None:
    # member=ci.email.apply(lambda e: f"serviceAccount:{e}"): unknown in preview, but the engine's
    # property dependencies say it comes from the service account alone.
    (finding,) = _sa_and_grant("roles/editor", "gcp:serviceaccount/account:Account")
    assert "<email of ci-app>" in finding.message and finding.urn.endswith("::ci-grant")
    assert finding.location and finding.location.line == 12
    assert _sa_and_grant("roles/cloudsql.client", "gcp:serviceaccount/account:Account") == []
    # a member computed from anything else stays "can't tell"
    assert _sa_and_grant("roles/editor", "gcp:organizations/project:Project") == []
    binding = {"project": "p", "role": "roles/storage.admin", "members": [USER, UNKNOWN]}
    sa = resource("gcp:serviceaccount/account:Account", {"accountId": "ci"}, name="ci")
    grant = resource(PROJECT_BINDING, binding, name="b", property_dependencies={"members": [sa.urn]})
    (finding,) = findings(PACK, stack([sa, grant]), policy="gcp-no-privileged-service-accounts")
    assert "<email of ci>" in finding.message
