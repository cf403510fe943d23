"""Identity tier: who may change what.

Creates one CI/CD service account per tier with only the permissions that tier's stack needs, the
team group grants, GitHub Actions Workload Identity Federation (no service account keys anywhere),
and one Google service account per application, bound to the application's Kubernetes service
account through GKE Workload Identity. The infra and app stacks read the exports below through
StackReference.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

config = pulumi.Config()
gcp_config = pulumi.Config("gcp")

project = gcp_config.require("project")
prefix = config.get("namePrefix") or "tierguard"
github_repository = config.require("githubRepository")
apps: list[str] = config.get_object("apps") or ["shop"]
database_team = config.require("databaseTeamGroup")
app_team = config.require("appTeamGroup")
bind_app_workload_identity = config.get_bool("bindAppWorkloadIdentity")
if bind_app_workload_identity is None:
    bind_app_workload_identity = True

# --- APIs the identity tier itself depends on (WIF token exchange, SA impersonation) ---------------
# The project's other APIs (compute, container, sqladmin, servicenetworking) are enabled here too:
# enabling an API is a project-level control-plane change, the same trust level as IAM.
IDENTITY_APIS = ("iam.googleapis.com", "iamcredentials.googleapis.com", "sts.googleapis.com")
PLATFORM_APIS = (
    "compute.googleapis.com",
    "container.googleapis.com",
    "sqladmin.googleapis.com",
    "servicenetworking.googleapis.com",
)
apis = {
    api: gcp.projects.Service(
        f"api-{api.split('.')[0]}",
        project=project,
        service=api,
        # Destroying this stack must never switch an API off under running workloads.
        disable_on_destroy=False,
    )
    for api in IDENTITY_APIS + PLATFORM_APIS
}
iam_ready = pulumi.ResourceOptions(depends_on=[apis[a] for a in IDENTITY_APIS])

# --- Deployer custom roles -------------------------------------------------------------------------
# The predefined roles that would cover these stacks (container.admin, cloudsql.admin,
# compute.networkAdmin, iam.serviceAccountAdmin, resourcemanager.projectIamAdmin) are admin roles
# held by service accounts at project scope: far broader than a stack needs. Each list below is what
# the tier's resources need to be created, read, updated and deleted -- nothing to read data with.
IDENTITY_DEPLOYER_PERMISSIONS = (
    "resourcemanager.projects.get",
    "resourcemanager.projects.getIamPolicy",
    "resourcemanager.projects.setIamPolicy",
    "serviceusage.services.enable",
    "serviceusage.services.get",
    "serviceusage.services.list",
    "serviceusage.operations.get",
    "iam.serviceAccounts.create",
    "iam.serviceAccounts.delete",
    "iam.serviceAccounts.get",
    "iam.serviceAccounts.list",
    "iam.serviceAccounts.update",
    "iam.serviceAccounts.getIamPolicy",
    "iam.serviceAccounts.setIamPolicy",
    "iam.roles.create",
    "iam.roles.delete",
    "iam.roles.get",
    "iam.roles.list",
    "iam.roles.undelete",
    "iam.roles.update",
    "iam.workloadIdentityPools.create",
    "iam.workloadIdentityPools.delete",
    "iam.workloadIdentityPools.get",
    "iam.workloadIdentityPools.undelete",
    "iam.workloadIdentityPools.update",
    "iam.workloadIdentityPoolProviders.create",
    "iam.workloadIdentityPoolProviders.delete",
    "iam.workloadIdentityPoolProviders.get",
    "iam.workloadIdentityPoolProviders.undelete",
    "iam.workloadIdentityPoolProviders.update",
)
INFRA_DEPLOYER_PERMISSIONS = (
    "resourcemanager.projects.get",
    "serviceusage.services.get",
    # network, Cloud Router + NAT, private services access range
    "compute.networks.create",
    "compute.networks.delete",
    "compute.networks.get",
    "compute.networks.update",
    "compute.networks.updatePolicy",
    "compute.networks.use",
    "compute.networks.addPeering",
    "compute.networks.removePeering",
    "compute.subnetworks.create",
    "compute.subnetworks.delete",
    "compute.subnetworks.get",
    "compute.subnetworks.update",
    "compute.subnetworks.use",
    "compute.subnetworks.setPrivateIpGoogleAccess",
    "compute.routers.create",
    "compute.routers.delete",
    "compute.routers.get",
    "compute.routers.update",
    "compute.routers.use",
    "compute.globalAddresses.create",
    "compute.globalAddresses.createInternal",
    "compute.globalAddresses.delete",
    "compute.globalAddresses.deleteInternal",
    "compute.globalAddresses.get",
    "compute.globalAddresses.use",
    "compute.globalOperations.get",
    "compute.regionOperations.get",
    "compute.zoneOperations.get",
    "servicenetworking.services.addPeering",
    "servicenetworking.services.deleteConnection",
    "servicenetworking.services.get",
    "servicenetworking.operations.get",
    # GKE cluster and node pools (node pools are cluster updates in GKE's permission model)
    "container.clusters.create",
    "container.clusters.delete",
    "container.clusters.get",
    "container.clusters.update",
    "container.clusters.getCredentials",
    "container.operations.get",
    # In-cluster objects the infra stack owns: namespaces, the app CI RoleBinding, the DB Secret
    "container.namespaces.create",
    "container.namespaces.delete",
    "container.namespaces.get",
    "container.namespaces.update",
    "container.roleBindings.create",
    "container.roleBindings.delete",
    "container.roleBindings.get",
    "container.roleBindings.update",
    "container.clusterRoles.bind",
    "container.secrets.create",
    "container.secrets.delete",
    "container.secrets.get",
    "container.secrets.update",
    # Cloud SQL instance, databases and IAM database users
    "cloudsql.instances.create",
    "cloudsql.instances.delete",
    "cloudsql.instances.get",
    "cloudsql.instances.update",
    "cloudsql.databases.create",
    "cloudsql.databases.delete",
    "cloudsql.databases.get",
    "cloudsql.databases.update",
    "cloudsql.users.create",
    "cloudsql.users.delete",
    "cloudsql.users.list",
    "cloudsql.users.update",
    # the application bucket and its one resource-level grant
    "storage.buckets.create",
    "storage.buckets.delete",
    "storage.buckets.get",
    "storage.buckets.update",
    "storage.buckets.getIamPolicy",
    "storage.buckets.setIamPolicy",
)


def role_id(tier: str) -> str:
    """Custom role ids allow only letters, digits, underscores and dots: camelCase the prefix."""
    words = [w for w in f"{prefix}-{tier}-deployer".replace("_", "-").split("-") if w]
    return words[0] + "".join(w.capitalize() for w in words[1:])


identity_deployer = gcp.projects.IAMCustomRole(
    "identity-deployer",
    project=project,
    role_id=role_id("identity"),
    title="Identity stack deployer",
    description="Manages service accounts, custom roles, project IAM and workload identity federation.",
    permissions=list(IDENTITY_DEPLOYER_PERMISSIONS),
    stage="GA",
    opts=iam_ready,
)
infra_deployer = gcp.projects.IAMCustomRole(
    "infra-deployer",
    project=project,
    role_id=role_id("infra"),
    title="Infra stack deployer",
    description="Manages the VPC, the private GKE cluster, Cloud SQL and the application bucket.",
    permissions=list(INFRA_DEPLOYER_PERMISSIONS),
    stage="GA",
    opts=iam_ready,
)

# --- Service accounts ------------------------------------------------------------------------------
TIER_DESCRIPTIONS = {
    "identity": "CI/CD identity of the identity stack",
    "infra": "CI/CD identity of the infra stack",
    "app": "CI/CD identity of the app stacks",
}
ci_accounts = {
    tier: gcp.serviceaccount.Account(
        f"{tier}-ci",
        project=project,
        account_id=f"{prefix}-{tier}-ci",
        display_name=f"{tier} CI/CD",
        description=description,
        opts=iam_ready,
    )
    for tier, description in TIER_DESCRIPTIONS.items()
}
nodes = gcp.serviceaccount.Account(
    "gke-nodes",
    project=project,
    account_id=f"{prefix}-gke-nodes",
    display_name="GKE nodes",
    description="Node identity of the GKE node pools; workloads use their own service accounts.",
    opts=iam_ready,
)
app_accounts = {
    app: gcp.serviceaccount.Account(
        f"app-{app}",
        project=project,
        account_id=f"{app}-app",
        display_name=f"{app} workload",
        description=f"Google identity of the {app} pods (Kubernetes service account {app}/{app}).",
        opts=iam_ready,
    )
    for app in apps
}


def member(account: gcp.serviceaccount.Account) -> pulumi.Output[str]:
    return account.email.apply(lambda email: f"serviceAccount:{email}")


# --- Project-level grants: custom deployer roles and narrow predefined roles -----------------------
PROJECT_GRANTS: list[tuple[str, pulumi.Input[str], pulumi.Input[str]]] = [
    ("identity-ci-deployer", identity_deployer.name, member(ci_accounts["identity"])),
    ("infra-ci-deployer", infra_deployer.name, member(ci_accounts["infra"])),
    # app CI only needs to find the cluster endpoint; its Kubernetes rights come from a RoleBinding
    # (ClusterRole edit, its own namespace only) that the infra stack creates.
    ("app-ci-cluster-viewer", "roles/container.clusterViewer", member(ci_accounts["app"])),
    ("nodes-default", "roles/container.defaultNodeServiceAccount", member(nodes)),
    # Teams: group grants of predefined roles
    ("database-team-cloudsql", "roles/cloudsql.admin", f"group:{database_team}"),
    ("app-team-gke-developer", "roles/container.developer", f"group:{app_team}"),
]
for app, account in app_accounts.items():
    # Cloud SQL Auth Proxy connection and IAM database login; Cloud SQL has no instance-level IAM.
    PROJECT_GRANTS.append((f"{app}-cloudsql-client", "roles/cloudsql.client", member(account)))
    PROJECT_GRANTS.append((f"{app}-cloudsql-instance-user", "roles/cloudsql.instanceUser", member(account)))

for name, role, who in PROJECT_GRANTS:
    gcp.projects.IAMMember(name, project=project, role=role, member=who, opts=iam_ready)

# The infra stack attaches the node service account to node pools: actAs on that account only.
gcp.serviceaccount.IAMMember(
    "infra-ci-acts-as-nodes",
    service_account_id=nodes.name,
    role="roles/iam.serviceAccountUser",
    member=member(ci_accounts["infra"]),
)

# --- Workload Identity Federation for GitHub Actions -----------------------------------------------
pool = gcp.iam.WorkloadIdentityPool(
    "github",
    project=project,
    workload_identity_pool_id=f"{prefix}-github",
    display_name="GitHub Actions",
    description="OIDC tokens of GitHub Actions runs in the platform repository.",
    opts=pulumi.ResourceOptions(depends_on=[apis[a] for a in IDENTITY_APIS]),
)
provider = gcp.iam.WorkloadIdentityPoolProvider(
    "github-actions",
    project=project,
    workload_identity_pool_id=pool.workload_identity_pool_id,
    workload_identity_pool_provider_id="github-actions",
    display_name="GitHub Actions OIDC",
    attribute_mapping={
        "google.subject": "assertion.sub",
        "attribute.repository": "assertion.repository",
        "attribute.ref": "assertion.ref",
        "attribute.actor": "assertion.actor",
    },
    # Tokens of any other repository are rejected at the token exchange, before any binding applies.
    attribute_condition=f"assertion.repository == '{github_repository}'",
    oidc=gcp.iam.WorkloadIdentityPoolProviderOidcArgs(
        issuer_uri="https://token.actions.githubusercontent.com"
    ),
)
repository_principals = pool.name.apply(
    lambda pool_name: (
        f"principalSet://iam.googleapis.com/{pool_name}/attribute.repository/{github_repository}"
    )
)
for tier, account in ci_accounts.items():
    gcp.serviceaccount.IAMMember(
        f"{tier}-ci-github",
        service_account_id=account.name,
        role="roles/iam.workloadIdentityUser",
        member=repository_principals,
    )

# --- GKE Workload Identity: Kubernetes service account <app>/<app> acts as the app's Google SA ------
if bind_app_workload_identity:
    for app, account in app_accounts.items():
        gcp.serviceaccount.IAMMember(
            f"{app}-workload-identity",
            service_account_id=account.name,
            role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{project}.svc.id.goog[{app}/{app}]",
        )

# --- Exports read by the infra and app stacks ------------------------------------------------------
pulumi.export("projectId", project)
pulumi.export("identityCiServiceAccount", ci_accounts["identity"].email)
pulumi.export("infraCiServiceAccount", ci_accounts["infra"].email)
pulumi.export("appCiServiceAccount", ci_accounts["app"].email)
pulumi.export("nodeServiceAccount", nodes.email)
pulumi.export("appServiceAccounts", {app: account.email for app, account in app_accounts.items()})
pulumi.export("workloadIdentityPool", pool.name)
pulumi.export("workloadIdentityProvider", provider.name)
