"""Facts behind the least-privilege-iam pack: GCP role tables, member patterns, Kubernetes RBAC tables.

Plain data on purpose: ``tierguard policies`` prints these tables, and an organisation that wants a
different list reads the data here rather than a chain of ``if``s. Role ids are exact (checked
against Google's predefined-role list); matching by substring is what gives peers their false
positives (prowler#4393: a custom role called "...administrator" is not an admin role by name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- GCP: type tokens ----------------------------------------------------------------------------

# Every GCP IAM member/binding/policy type (474 in pulumi-gcp 10.2) ends its name part this way,
# cased inconsistently: gcp:projects/iAMMember:IAMMember, gcp:bigquery/datasetIamMember:DatasetIamMember.
IAM_KINDS = ("member", "binding", "policy")
IAM_TYPE_NAME = re.compile(rf"(?i)iam({'|'.join(IAM_KINDS)})$")
# The same types as fnmatch patterns over the whole token (matched case-insensitively), by kind.
IAM_TYPE_PATTERNS: dict[str, str] = {kind: f"gcp:*iam{kind}" for kind in IAM_KINDS}

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

# Google-managed service agents (https://cloud.google.com/iam/docs/service-agents). Only these may
# hold a `*.serviceAgent` role unflagged: the same role granted to a user, a group or an ordinary
# service account is a broad grant (an ordinary account may well be called "service-123@my-project").
#   service-<project number>@gcp-sa-<service>.iam.gserviceaccount.com -- the current form, also
#   service-p<n>@ (Access Approval), service-folder-<n>@ and service-org-<n>@ for folder and
#   organization agents;
SERVICE_AGENT_EMAIL = re.compile(
    r"^service-(?:p|folder-|org-)?\d+@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$"
)
#   service-<project number>@<domain>.iam.gserviceaccount.com -- the legacy domains still in use,
#   each named on that page.
LEGACY_SERVICE_AGENT_DOMAINS: tuple[str, ...] = (
    "compute-system",  # Compute Engine Service Agent
    "container-engine-robot",  # Kubernetes Engine Service Agent
    "gs-project-accounts",  # Cloud Storage service agent
    "serverless-robot-prod",  # Cloud Run Service Agent
    "gcf-admin-robot",  # Cloud Functions Service Agent
    "containerregistry",  # Container Registry Service Agent
    "container-analysis",  # Container Analysis Service Agent
    "cloud-ml.google.com",  # AI Platform (legacy) Service Agent
    "dataflow-service-producer-prod",  # Dataflow Service Agent
    "dataproc-accounts",  # Dataproc Service Agent
    "cloudcomposer-accounts",  # Cloud Composer Service Agent
    "cloud-redis",  # Memorystore for Redis Service Agent
    "cloud-memcache-sa",  # Memorystore for Memcached Service Agent
    "cloud-filer",  # Filestore Service Agent
    "cloud-tpu",  # Cloud TPU Service Agent
    "firebase-rules",  # Firebase Rules Service Agent
    "sourcerepo-service-accounts",  # Cloud Source Repositories Service Agent
    "service-networking",  # Service Networking Service Agent
    "endpoints-portal",  # Cloud Endpoints Portal Service Agent
    "dlp-api",  # Sensitive Data Protection (DLP) Service Agent
    "genomics-api.google.com",  # Genomics Service Agent
    "gae-api-prod.google.com",  # App Engine flexible environment Service Agent
    "gcp-gae-service",  # App Engine standard environment Service Agent
)
LEGACY_SERVICE_AGENT_EMAIL = re.compile(
    r"^service-\d+@(?:"
    + "|".join(re.escape(d) for d in LEGACY_SERVICE_AGENT_DOMAINS)
    + r")\.iam\.gserviceaccount\.com$"
)
# Google APIs service agent: <n>@cloudservices.gserviceaccount.com holds roles/editor by design.
LEGACY_SERVICE_AGENTS: dict[str, tuple[str, ...]] = {
    r"^\d+@cloudservices\.gserviceaccount\.com$": ("roles/editor",),
}

# Default service accounts every VM / App Engine app gets unless told otherwise (CKV_GCP_46/47/48).
DEFAULT_SERVICE_ACCOUNTS: dict[str, str] = {
    "Compute Engine default service account": r"^\d+-compute@developer\.gserviceaccount\.com$",
    "App Engine default service account": r"^[a-z][a-z0-9:.-]*@appspot\.gserviceaccount\.com$",
}

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
RBAC_EXEC_RESOURCES = ("pods/exec", "pods/attach")
RBAC_EXEC_VERBS = ("create", "get")

# -- Kubernetes RBAC: privilege-escalation paths (issue 11) ----------------------------------------
# The paths the Kubernetes project lists under "Kubernetes RBAC - privilege escalation risks" in
# "Role Based Access Control Good Practices", beyond those with policies of their own (escalate,
# bind and impersonate; listing secrets; pods/exec and pods/attach). One row per path. A rule of a
# Role or ClusterRole opens the path when its apiGroups, resources and verbs all cover the row's,
# matched as the RBAC authorizer matches them: "*" is any group, any resource or any verb, and
# "*/<subresource>" is that subresource of any resource. ``verbs`` empty means any verb at all.
# ``together``: grants the same role must also hold for the path to open (approving a CSR needs
# update on certificatesigningrequests/approval AND approve on the signer). ``cluster_scoped``: the
# resource is cluster-scoped, so only a ClusterRole can grant it (a Role's rule has no effect).
# (namespaces is special: a RoleBinding to a Role with patch on namespaces lets the subject patch
# its own namespace, so that row is judged on Roles too.)

RBAC_GOOD_PRACTICES = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"


@dataclass(frozen=True)
class RbacGrant:
    """(apiGroup, resource or resource/subresource, verbs) -- ``verbs`` empty means any verb."""

    api_group: str
    resource: str
    verbs: tuple[str, ...] = ()


@dataclass(frozen=True)
class EscalationPath:
    """One row: what opens the path, why it matters, where it is documented."""

    id: str
    grant: RbacGrant
    reason: str
    reference: str
    peers: tuple[str, ...] = ()
    together: tuple[RbacGrant, ...] = ()
    cluster_scoped: bool = True


_WEBHOOK_VERBS = ("create", "update", "patch", "delete")

RBAC_ESCALATION_PATHS: tuple[EscalationPath, ...] = (
    EscalationPath(
        id="validating-webhooks",
        grant=RbacGrant("admissionregistration.k8s.io", "validatingwebhookconfigurations", _WEBHOOK_VERBS),
        reason="controls validating admission webhooks: it can read every object admitted and let "
        "through what policy should refuse",
        reference="RBAC good practices: control admission webhooks",
        peers=("CIS Kubernetes 5.1.12", "CKV_K8S_155", "Trivy KSV-0114"),
    ),
    EscalationPath(
        id="mutating-webhooks",
        grant=RbacGrant("admissionregistration.k8s.io", "mutatingwebhookconfigurations", _WEBHOOK_VERBS),
        reason="controls mutating admission webhooks: it can read and rewrite every object admitted, "
        "e.g. inject a privileged container into every pod",
        reference="RBAC good practices: control admission webhooks",
        peers=("CIS Kubernetes 5.1.12", "CKV_K8S_155", "Trivy KSV-0114"),
    ),
    EscalationPath(
        id="csr-approval",
        grant=RbacGrant("certificates.k8s.io", "certificatesigningrequests/approval", ("update", "patch")),
        reason="approves CertificateSigningRequests for a signer it may approve: it can issue client "
        "certificates for any user or group, system:masters included",
        reference="RBAC good practices: CSRs and certificate issuing",
        peers=("CIS Kubernetes 5.1.11", "CKV_K8S_156"),
        together=(RbacGrant("certificates.k8s.io", "signers", ("approve",)),),
    ),
    EscalationPath(
        id="token-request",
        grant=RbacGrant("", "serviceaccounts/token", ("create",)),
        reason="creates tokens for service accounts (TokenRequest): it can act as any service account "
        "it reaches",
        reference="RBAC good practices: token request",
        peers=("CIS Kubernetes 5.1.13",),
        cluster_scoped=False,
    ),
    EscalationPath(
        id="node-proxy",
        grant=RbacGrant("", "nodes/proxy"),
        reason="reaches the kubelet API through nodes/proxy (any verb): it can run commands in every "
        "pod on the node, past audit logging and admission control",
        reference="RBAC good practices: access to proxy subresource of Nodes",
        peers=("CIS Kubernetes 5.1.10", "CKV2_K8S_2", "Trivy KSV-0047"),
    ),
    EscalationPath(
        id="persistent-volume-create",
        grant=RbacGrant("", "persistentvolumes", ("create",)),
        reason="creates PersistentVolumes: a hostPath volume hands pods the node's filesystem",
        reference="RBAC good practices: persistent volume creation",
        peers=("CIS Kubernetes 5.1.9",),
    ),
    EscalationPath(
        id="namespace-modification",
        grant=RbacGrant("", "namespaces", ("patch", "update")),
        reason="modifies namespaces: relabelling one switches off its Pod Security Admission level",
        reference="RBAC good practices: namespace modification",
        cluster_scoped=False,
    ),
    EscalationPath(
        id="ephemeral-containers",
        grant=RbacGrant("", "pods/ephemeralcontainers", ("update", "patch")),
        reason="adds ephemeral containers to running pods: a shell with the pod's service account, "
        "secrets and mounts",
        reference="RBAC good practices: workload creation (ephemeral containers)",
        cluster_scoped=False,
    ),
)


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
        "legacyServiceAgentDomains": list(LEGACY_SERVICE_AGENT_DOMAINS),
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
        "rbacEscalationPaths": {
            p.id: {
                "apiGroup": p.grant.api_group,
                "resource": p.grant.resource,
                "verbs": list(p.grant.verbs) or ["*"],
                "together": [
                    {"apiGroup": g.api_group, "resource": g.resource, "verbs": list(g.verbs) or ["*"]}
                    for g in p.together
                ],
                "clusterRoleOnly": p.cluster_scoped,
                "reason": p.reason,
                "reference": f"{p.reference} ({RBAC_GOOD_PRACTICES})",
                "peers": list(p.peers),
            }
            for p in RBAC_ESCALATION_PATHS
        },
    }
