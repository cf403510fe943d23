"""Which tier(s) each kind of resource belongs to: the data behind ``resource-in-its-tier``.

Keys are type tokens or ``fnmatch`` patterns (matched case-insensitively, because pulumi-gcp spells
the same word ``iAM``, ``iam`` and ``Iam``); values are the tiers allowed to hold the resource, or
``"any"``. Lookup order: exact token, then patterns in the order written (specific before general),
then the datastore catalog (every datastore belongs to infra). Users override or extend the table
with the ``placement`` config key -- their entries are consulted first.

Notes on the choices (the three-tier architecture of the reference stacks):

* identity holds who-may-do-what: service accounts and their keys, project/folder/organization IAM,
  custom roles, workload identity pools and providers;
* infra holds what outlives an application: network, GKE, datastores, KMS, DNS, cluster-scoped
  Kubernetes objects -- and, per application namespace, the RoleBinding that lets the app's CI
  identity deploy there and a Secret with the database connection, so RoleBinding and Secret are
  allowed in infra *and* app;
* app holds namespaced workloads; Helm releases/charts and YAML bundles may be cluster add-ons
  (infra) or applications (app);
* any tier: providers, ``pulumi:*`` (StackReference, the root Stack if an engine sends it),
  ``random``, ``tls``, ``time``.

Component resources: the Pulumi engine sends every registered resource to the analyzer, components
included, and a policy cannot tell a component from a custom resource. Well-known components are in
the table; a team's own component types show up as *unclassified* (advisory) until the team
classifies them, usually as ``"any"`` (e.g. ``{"placement": {"acme:*": "any"}}``).
"""

from __future__ import annotations

ANY = "any"
IDENTITY, INFRA, APP = "identity", "infra", "app"

Tiers = tuple[str, ...]

# Exact type tokens.
PLACEMENT_TYPES: dict[str, Tiers] = {
    "gcp:projects/service:Service": (IDENTITY, INFRA),
    "gcp:organizations/project:Project": (IDENTITY,),
    "gcp:organizations/folder:Folder": (IDENTITY,),
    "gcp:artifactregistry/repository:Repository": (INFRA,),
    "kubernetes:core/v1:Namespace": (INFRA,),
    "kubernetes:core/v1:PersistentVolume": (INFRA,),
    "kubernetes:core/v1:Secret": (INFRA, APP),
    "kubernetes:core/v1:PersistentVolumeClaim": (INFRA, APP),
    "kubernetes:core/v1:Service": (APP,),
    "kubernetes:core/v1:ServiceAccount": (APP,),
    "kubernetes:core/v1:ConfigMap": (APP,),
    "kubernetes:core/v1:Pod": (APP,),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": (INFRA, APP),
    "kubernetes:rbac.authorization.k8s.io/v1:Role": (APP,),
}

# Patterns, specific first (first match wins).
PLACEMENT_PATTERNS: tuple[tuple[str, Tiers | str], ...] = (
    # --- any tier ---
    ("pulumi:*", ANY),
    ("random:*", ANY),
    ("tls:*", ANY),
    ("time:*", ANY),
    # --- identity ---
    ("gcp:serviceaccount/*", (IDENTITY,)),
    ("gcp:projects/iam*", (IDENTITY,)),
    ("gcp:folder/iam*", (IDENTITY,)),
    ("gcp:organizations/iam*", (IDENTITY,)),
    ("gcp:iam/*", (IDENTITY,)),
    ("gcp:cloudidentity/*", (IDENTITY,)),
    ("gcp:projects/serviceIdentity:*", (IDENTITY, INFRA)),
    # Grants on one resource (bucket, dataset, secret, topic...): made by identity or by the infra
    # stack that owns the resource -- never by an app stack (app stacks hold no cloud IAM).
    ("gcp:*/*iammember:*", (IDENTITY, INFRA)),
    ("gcp:*/*iambinding:*", (IDENTITY, INFRA)),
    ("gcp:*/*iampolicy:*", (IDENTITY, INFRA)),
    # --- infra: network, cluster, data, keys, names ---
    ("gcp:compute/*", (INFRA,)),
    ("gcp:container/*", (INFRA,)),
    ("gcp:gkehub/*", (INFRA,)),
    ("gcp:servicenetworking/*", (INFRA,)),
    ("gcp:vpcaccess/*", (INFRA,)),
    ("gcp:networkconnectivity/*", (INFRA,)),
    ("gcp:networksecurity/*", (INFRA,)),
    ("gcp:networkservices/*", (INFRA,)),
    ("gcp:certificatemanager/*", (INFRA,)),
    ("gcp:kms/*", (INFRA,)),
    ("gcp:dns/*", (INFRA,)),
    ("gcp:secretmanager/*", (INFRA,)),
    ("gcp:pubsub/*", (INFRA,)),
    ("gcp:sql/*", (INFRA,)),
    ("gcp:spanner/*", (INFRA,)),
    ("gcp:bigtable/*", (INFRA,)),
    ("gcp:bigquery/*", (INFRA,)),
    ("gcp:redis/*", (INFRA,)),
    ("gcp:memcache/*", (INFRA,)),
    ("gcp:memorystore/*", (INFRA,)),
    ("gcp:alloydb/*", (INFRA,)),
    ("gcp:firestore/*", (INFRA,)),
    ("gcp:filestore/*", (INFRA,)),
    ("gcp:storage/*", (INFRA,)),
    ("gcp:monitoring/*", (INFRA, APP)),
    ("gcp:logging/*", (INFRA, APP)),
    # --- app: serverless workloads ---
    ("gcp:cloudrun/*", (APP,)),
    ("gcp:cloudrunv2/*", (APP,)),
    ("gcp:cloudfunctions/*", (APP,)),
    ("gcp:cloudfunctionsv2/*", (APP,)),
    ("gcp:cloudscheduler/*", (APP,)),
    # --- Kubernetes, cluster-scoped: infra ---
    ("kubernetes:core/*:Namespace*", (INFRA,)),
    ("kubernetes:core/*:PersistentVolume", (INFRA,)),
    ("kubernetes:core/*:PersistentVolumePatch", (INFRA,)),
    ("kubernetes:core/*:Node*", (INFRA,)),
    ("kubernetes:rbac.authorization.k8s.io/*:ClusterRole*", (INFRA,)),
    ("kubernetes:storage.k8s.io/*", (INFRA,)),
    ("kubernetes:apiextensions.k8s.io/*", (INFRA,)),
    ("kubernetes:scheduling.k8s.io/*", (INFRA,)),
    ("kubernetes:admissionregistration.k8s.io/*", (INFRA,)),
    ("kubernetes:apiregistration.k8s.io/*", (INFRA,)),
    ("kubernetes:flowcontrol.apiserver.k8s.io/*", (INFRA,)),
    ("kubernetes:certificates.k8s.io/*", (INFRA,)),
    ("kubernetes:node.k8s.io/*", (INFRA,)),
    ("kubernetes:networking.k8s.io/*:IngressClass*", (INFRA,)),
    ("kubernetes:policy/*:PodSecurityPolicy*", (INFRA,)),
    ("kubernetes:gateway.networking.k8s.io/*:GatewayClass*", (INFRA,)),
    ("kubernetes:gateway.networking.k8s.io/*:Gateway", (INFRA,)),
    ("kubernetes:gateway.networking.k8s.io/*:GatewayPatch", (INFRA,)),
    # --- Kubernetes, namespaced: infra prepares each app namespace, app deploys into it ---
    ("kubernetes:core/*:Secret*", (INFRA, APP)),
    ("kubernetes:core/*:ResourceQuota*", (INFRA, APP)),
    ("kubernetes:core/*:LimitRange*", (INFRA, APP)),
    ("kubernetes:core/*:PersistentVolumeClaim*", (INFRA, APP)),
    ("kubernetes:rbac.authorization.k8s.io/*:RoleBinding*", (INFRA, APP)),
    ("kubernetes:networking.k8s.io/*:NetworkPolicy*", (INFRA, APP)),
    ("kubernetes:apps/*:StatefulSet*", (INFRA, APP)),
    ("kubernetes:apps/*:DaemonSet*", (INFRA, APP)),
    ("kubernetes:helm.sh/*", (INFRA, APP)),
    ("kubernetes:yaml*", (INFRA, APP)),
    ("kubernetes:kustomize*", (INFRA, APP)),
    # --- Kubernetes, namespaced workloads: app ---
    ("kubernetes:apps/*:Deployment*", (APP,)),
    ("kubernetes:apps/*:ReplicaSet*", (APP,)),
    ("kubernetes:core/*:Service", (APP,)),
    ("kubernetes:core/*:ServicePatch", (APP,)),
    ("kubernetes:core/*:ServiceAccount*", (APP,)),
    ("kubernetes:core/*:ConfigMap*", (APP,)),
    ("kubernetes:core/*:Pod", (APP,)),
    ("kubernetes:core/*:PodPatch", (APP,)),
    ("kubernetes:core/*:PodTemplate*", (APP,)),
    ("kubernetes:core/*:ReplicationController*", (APP,)),
    ("kubernetes:core/*:Endpoints*", (APP,)),
    ("kubernetes:discovery.k8s.io/*", (APP,)),
    ("kubernetes:autoscaling/*", (APP,)),
    ("kubernetes:batch/*", (APP,)),
    ("kubernetes:policy/*:PodDisruptionBudget*", (APP,)),
    ("kubernetes:rbac.authorization.k8s.io/*:Role", (APP,)),
    ("kubernetes:rbac.authorization.k8s.io/*:RolePatch", (APP,)),
    ("kubernetes:networking.k8s.io/*:Ingress", (APP,)),
    ("kubernetes:networking.k8s.io/*:IngressPatch", (APP,)),
    ("kubernetes:gateway.networking.k8s.io/*:*Route*", (APP,)),
    ("kubernetes:monitoring.coreos.com/*:ServiceMonitor", (APP,)),
    ("kubernetes:monitoring.coreos.com/*:PodMonitor", (APP,)),
)


def catalog_json() -> dict[str, object]:
    """The table as ``tierguard policies`` shows it (datastores are infra in addition)."""
    def show(tiers: Tiers | str) -> str | list[str]:
        return tiers if isinstance(tiers, str) else list(tiers)

    return {
        "placementTypes": {k: show(v) for k, v in PLACEMENT_TYPES.items()},
        "placementPatterns": {k: show(v) for k, v in PLACEMENT_PATTERNS},
        "datastoresBelongTo": [INFRA],
    }
