"""Facts behind the least-privilege-iam pack: GCP role tables, member patterns, Kubernetes RBAC tables.

Plain data on purpose: ``tierguard policies`` prints these tables, and an organisation that wants a
different list reads the data here rather than a chain of ``if``s. Role ids are exact (checked
against Google's predefined-role list); matching by substring is what gives peers their false
positives (prowler#4393: a custom role called "...administrator" is not an admin role by name).
"""

from __future__ import annotations

import re

# -- GCP: type tokens ----------------------------------------------------------------------------

# Every GCP IAM member/binding/policy type (474 in pulumi-gcp 10.2) ends its name part this way,
# cased inconsistently: gcp:projects/iAMMember:IAMMember, gcp:bigquery/datasetIamMember:DatasetIamMember.
IAM_TYPE_NAME = re.compile(r"(?i)iam(member|binding|policy)$")

# Module prefix of the token -> scope of the grant; every other IAM type grants on one resource.
SCOPE_BY_MODULE: dict[str, str] = {
    "gcp:organizations/": "organization",
    "gcp:folder/": "folder",
    "gcp:projects/": "project",
}
BROAD_SCOPES = ("organization", "folder", "project")

BIGQUERY_DATASET = "gcp:bigquery/dataset:Dataset"
BIGQUERY_DATASET_ACCESS = "gcp:bigquery/datasetAccess:DatasetAccess"
STORAGE_BUCKET = "gcp:storage/bucket:Bucket"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
SERVICE_ACCOUNT_KEY = "gcp:serviceaccount/key:Key"
WORKLOAD_IDENTITY_POOL_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"

# Storage ACL types -> the properties that carry ACL entries.
#   roleEntities: ["READER:allUsers", ...]; defaultAcl / predefinedAcl: a canned ACL name;
#   entity: "allUsers" (one entry per resource).
STORAGE_ACL_TYPES: dict[str, tuple[str, ...]] = {
    "gcp:storage/bucketACL:BucketACL": ("roleEntities", "predefinedAcl", "defaultAcl"),
    "gcp:storage/objectACL:ObjectACL": ("roleEntities", "predefinedAcl"),
    "gcp:storage/defaultObjectACL:DefaultObjectACL": ("roleEntities",),
    "gcp:storage/bucketAccessControl:BucketAccessControl": ("entity",),
    "gcp:storage/objectAccessControl:ObjectAccessControl": ("entity",),
    "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl": ("entity",),
}
# Canned ACLs that open a bucket or object to everyone (or every Google account).
PUBLIC_CANNED_ACLS = ("publicRead", "publicReadWrite", "authenticatedRead")

# -- GCP: roles ----------------------------------------------------------------------------------

BASIC_ROLES = ("roles/owner", "roles/editor")
VIEWER_ROLE = "roles/viewer"

# Roles that let the holder act as every service account under the scope (CIS GCP 1.6).
IMPERSONATION_ROLES = (
    "roles/iam.serviceAccountUser",
    "roles/iam.serviceAccountTokenCreator",
)

# Roles that administer IAM itself or mint credentials for other identities: held at project,
# folder or organization scope they are a path to any permission (checkov's list is stale,
# checkov#6717; these are the current predefined ids).
IAM_ADMIN_ROLES = (
    "roles/iam.securityAdmin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountKeyAdmin",
    "roles/iam.serviceAccountOpenIdTokenCreator",
    "roles/iam.workloadIdentityUser",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/iam.roleAdmin",
    "roles/iam.organizationRoleAdmin",
    "roles/iam.denyAdmin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/resourcemanager.folderIamAdmin",
    "roles/resourcemanager.folderAdmin",
    "roles/resourcemanager.organizationAdmin",
)

# A predefined role is an "admin" role when the last segment of its id (before an optional
# ".v1"-style version) is exactly "admin" or a lowerCamel word ending in "Admin":
#   roles/storage.admin, roles/compute.instanceAdmin.v1, roles/iam.serviceAccountAdmin.
# Custom roles (projects/<p>/roles/<id>, organizations/<o>/roles/<id>) are never judged by name.
PREDEFINED_ADMIN_ROLE = re.compile(
    r"^roles/[a-z0-9]+(?:\.[a-zA-Z0-9]+)*?\.(?:admin|[a-z][a-zA-Z0-9]*Admin)(?:\.v\d+)?$"
)

# Service agent roles: what Google grants its own service agents (roles/container.serviceAgent,
# roles/run.serviceAgent, roles/compute.serviceAgent, ...).
SERVICE_AGENT_ROLE = re.compile(r"^roles/[a-zA-Z0-9]+\.(?:[a-z][a-zA-Z0-9]*S|s)erviceAgent$")

# -- GCP: members --------------------------------------------------------------------------------

PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
SERVICE_ACCOUNT_PREFIX = "serviceAccount:"

# Google-managed service agents: service-<project number>@gcp-sa-<service>.iam.gserviceaccount.com
# and the older service-<n>@<robot>.iam.gserviceaccount.com (compute-system, container-engine-robot,
# gs-project-accounts, serverless-robot-prod, ...).
SERVICE_AGENT_EMAIL = re.compile(r"^service-\d+@[a-z0-9-]+\.iam\.gserviceaccount\.com$")
# Google APIs service agent: <n>@cloudservices.gserviceaccount.com holds roles/editor by design.
LEGACY_SERVICE_AGENTS: dict[str, tuple[str, ...]] = {
    r"^\d+@cloudservices\.gserviceaccount\.com$": ("roles/editor",),
}

# Default service accounts every VM / App Engine app gets unless told otherwise (CKV_GCP_46/47/48).
DEFAULT_SERVICE_ACCOUNTS: dict[str, str] = {
    "Compute Engine default service account": r"^\d+-compute@developer\.gserviceaccount\.com$",
    "App Engine default service account": r"^[a-z][a-z0-9:.-]*@appspot\.gserviceaccount\.com$",
}

# Federated identities (workload identity pools) are not service accounts and never "default".
FEDERATED_MEMBER_PREFIXES = ("principal://", "principalSet://")

# IAM condition expressions that restrict nothing: a grant carrying one is unconditional.
TRIVIAL_CONDITIONS = ("", "true")

# -- Kubernetes RBAC -----------------------------------------------------------------------------

RBAC_GROUP = "kubernetes:rbac.authorization.k8s.io/v1:"
RBAC_BINDING_KINDS = ("ClusterRoleBinding", "RoleBinding", "ClusterRoleBindingPatch", "RoleBindingPatch")
RBAC_ROLE_KINDS = ("ClusterRole", "Role", "ClusterRolePatch", "RolePatch")

# Bound anywhere (ClusterRoleBinding or RoleBinding) these roles are too broad (CIS GKE 4.1.1).
RBAC_FORBIDDEN_ROLES = ("cluster-admin",)
# Bound cluster-wide (ClusterRoleBinding) these are too broad; in one namespace they are fine.
RBAC_CLUSTER_WIDE_ROLES = ("admin", "edit")

# Subjects that mean "anyone" or bypass RBAC entirely (system:masters is never authorised by RBAC).
RBAC_FORBIDDEN_SUBJECTS = (
    "system:anonymous",
    "system:unauthenticated",
    "system:authenticated",
    "system:masters",
)
# The group holding every service account of the cluster binds every default service account too.
RBAC_ALL_SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts"

# Verbs that let the holder grant themselves more (privilege escalation, CIS 4.1.7/4.1.8) ...
RBAC_ESCALATION_VERBS = ("escalate", "bind", "impersonate")
# ... and the resources a "*" verb makes them meaningful on.
RBAC_ESCALATION_RESOURCES = (
    "roles", "clusterroles", "users", "groups", "serviceaccounts", "uids", "userextras/*",
)
RBAC_SECRET_READ_VERBS = ("get", "list", "watch")
# Sub-resources that hand out a shell or the kubelet API. "get" is included: since Kubernetes 1.30
# exec and attach run over WebSockets, which need only "get" (KEP-4006), as nodes/proxy always did.
RBAC_EXEC_RESOURCES = ("pods/exec", "pods/attach", "nodes/proxy")
RBAC_EXEC_VERBS = ("create", "get")


def catalog() -> dict[str, object]:
    """JSON-ready tables for ``tierguard policies``."""
    return {
        "iamTypeNamePattern": IAM_TYPE_NAME.pattern,
        "scopeByModule": dict(SCOPE_BY_MODULE),
        "basicRoles": list(BASIC_ROLES),
        "viewerRole": VIEWER_ROLE,
        "impersonationRoles": list(IMPERSONATION_ROLES),
        "iamAdminRoles": list(IAM_ADMIN_ROLES),
        "predefinedAdminRolePattern": PREDEFINED_ADMIN_ROLE.pattern,
        "serviceAgentRolePattern": SERVICE_AGENT_ROLE.pattern,
        "serviceAgentEmailPattern": SERVICE_AGENT_EMAIL.pattern,
        "legacyServiceAgents": {k: list(v) for k, v in LEGACY_SERVICE_AGENTS.items()},
        "defaultServiceAccounts": dict(DEFAULT_SERVICE_ACCOUNTS),
        "publicMembers": list(PUBLIC_MEMBERS),
        "storageAclTypes": {k: list(v) for k, v in STORAGE_ACL_TYPES.items()},
        "publicCannedAcls": list(PUBLIC_CANNED_ACLS),
        "rbacForbiddenRoles": list(RBAC_FORBIDDEN_ROLES),
        "rbacClusterWideRoles": list(RBAC_CLUSTER_WIDE_ROLES),
        "rbacForbiddenSubjects": list(RBAC_FORBIDDEN_SUBJECTS),
        "rbacEscalationVerbs": list(RBAC_ESCALATION_VERBS),
        "rbacEscalationResources": list(RBAC_ESCALATION_RESOURCES),
        "rbacExecResources": list(RBAC_EXEC_RESOURCES),
        "rbacExecVerbs": list(RBAC_EXEC_VERBS),
    }
