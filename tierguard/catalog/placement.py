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
* a row may also name tiers that **tolerate** the type (a second column, :class:`Placement`): there
  the crossing is reported by the advisory ``resource-in-tolerated-tier`` instead of the mandatory
  ``resource-in-its-tier``. Only crossings that give the stack's CI identity no privilege it must
  not have are tolerated: namespaced application workloads (Deployment, Service, ConfigMap,
  Ingress, HPA ...) in an infra stack are how cluster add-ons such as ingress controllers ship, and
  infra's identity already manages the cluster. The reverse crossings (datastores, cloud IAM or
  cluster-scoped objects in app; project IAM in infra; anything cluster- or data-related in
  identity) widen what a tier's identity must hold, and stay mandatory;
* any tier: providers, ``pulumi:*`` (StackReference, the root Stack if an engine sends it),
  ``random``, ``tls``, ``time``.

Component resources: the Pulumi engine sends every registered resource to the analyzer, components
included, and a policy cannot tell a component from a custom resource. Well-known components are in
the table; a team's own component types show up as *unclassified* (advisory) until the team
classifies them, usually as ``"any"`` (e.g. ``{"placement": {"acme:*": "any"}}``).
"""

from __future__ import annotations

from typing import NamedTuple

ANY = "any"
IDENTITY, INFRA, APP = "identity", "infra", "app"

Tiers = tuple[str, ...]


class Placement(NamedTuple):
    """A row with both columns: the tiers the type belongs to, and the tiers that tolerate it
    (advisory). A plain tuple of tiers (or "any") in a row means "tolerated nowhere"."""

    belongs: Tiers | str
    tolerated: Tiers = ()


def as_placement(value: Tiers | str | Placement) -> Placement:
    return value if isinstance(value, Placement) else Placement(value)


# Namespaced application workloads: app's, tolerated in infra (cluster add-ons ship as these).
APP_WORKLOAD = Placement((APP,), tolerated=(INFRA,))

# Exact type tokens.
PLACEMENT_TYPES: dict[str, Tiers | Placement] = {
    "gcp:projects/service:Service": (IDENTITY, INFRA),
    "gcp:organizations/project:Project": (IDENTITY,),
    "gcp:organizations/folder:Folder": (IDENTITY,),
    "gcp:artifactregistry/repository:Repository": (INFRA,),
    "kubernetes:core/v1:Namespace": (INFRA,),
    "kubernetes:core/v1:PersistentVolume": (INFRA,),
    "kubernetes:core/v1:Secret": (INFRA, APP),
    "kubernetes:core/v1:PersistentVolumeClaim": (INFRA, APP),
    "kubernetes:core/v1:Service": APP_WORKLOAD,
    "kubernetes:core/v1:ServiceAccount": APP_WORKLOAD,
    "kubernetes:core/v1:ConfigMap": APP_WORKLOAD,
    "kubernetes:core/v1:Pod": APP_WORKLOAD,
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": (INFRA, APP),
    "kubernetes:rbac.authorization.k8s.io/v1:Role": APP_WORKLOAD,
}

# Patterns, specific first (first match wins).
PLACEMENT_PATTERNS: tuple[tuple[str, Tiers | str | Placement], ...] = (
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
    # --- AWS (tokens checked against pulumi-aws 7.51.1): identity holds IAM, IAM Identity Center and
    # organisations; infra the network, EKS, datastores, keys, queues and DNS; app serverless and
    # application services. Resource policies (bucket/queue/topic/key policies) belong with their
    # resource (infra); EKS access entries and pod identities are made by infra for each app.
    ("aws:iam/*", (IDENTITY,)),
    ("aws:identitystore/*", (IDENTITY,)),
    ("aws:ssoadmin/*", (IDENTITY,)),
    ("aws:organizations/*", (IDENTITY,)),
    ("aws:ec2/*", (INFRA,)),
    ("aws:ec2transitgateway/*", (INFRA,)),
    ("aws:vpc/*", (INFRA,)),
    ("aws:networkfirewall/*", (INFRA,)),
    ("aws:lb/*", (INFRA,)),
    ("aws:alb/*", (INFRA,)),
    ("aws:route53/*", (INFRA,)),
    ("aws:acm/*", (INFRA,)),
    ("aws:wafv2/*", (INFRA,)),
    ("aws:cloudfront/*", (INFRA,)),
    ("aws:eks/*", (INFRA,)),
    ("aws:ecr/*", (INFRA,)),
    ("aws:ecs/cluster:*", (INFRA,)),
    ("aws:kms/*", (INFRA,)),
    ("aws:secretsmanager/*", (INFRA,)),
    ("aws:rds/*", (INFRA,)),
    ("aws:dynamodb/*", (INFRA,)),
    ("aws:docdb/*", (INFRA,)),
    ("aws:neptune/*", (INFRA,)),
    ("aws:redshift/*", (INFRA,)),
    ("aws:elasticache/*", (INFRA,)),
    ("aws:memorydb/*", (INFRA,)),
    ("aws:opensearch/*", (INFRA,)),
    ("aws:s3/*", (INFRA,)),
    ("aws:efs/*", (INFRA,)),
    ("aws:fsx/*", (INFRA,)),
    ("aws:backup/*", (INFRA,)),
    ("aws:msk/*", (INFRA,)),
    ("aws:sqs/*", (INFRA,)),
    ("aws:sns/*", (INFRA,)),
    ("aws:ssm/*", (INFRA, APP)),
    ("aws:cloudwatch/*", (INFRA, APP)),
    ("aws:lambda/*", (APP,)),
    ("aws:apigateway/*", (APP,)),
    ("aws:apigatewayv2/*", (APP,)),
    ("aws:sfn/*", (APP,)),
    ("aws:apprunner/*", (APP,)),
    ("aws:amplify/*", (APP,)),
    ("aws:ecs/service:*", (APP,)),
    ("aws:ecs/taskDefinition:*", (APP,)),
    ("aws:scheduler/*", (APP,)),
    # --- Azure native (pulumi-azure-native 3.29.0) and classic (pulumi-azure 6.40.1) ---
    # Resource groups hold whatever a stack creates: any tier. Role assignments at broad scope are
    # identity's; on one resource they are made by the infra stack that owns it (as GCP's per-resource
    # IAM). Management locks protect infra's datastores.
    ("azure-native:resources:ResourceGroup", ANY),
    ("azure:core/resourceGroup:*", ANY),
    ("azure-native:authorization:ManagementLock*", (INFRA,)),
    ("azure:management/lock:*", (INFRA,)),
    ("azure-native:authorization:RoleAssignment", (IDENTITY, INFRA)),
    ("azure:authorization/assignment:*", (IDENTITY, INFRA)),
    ("azure-native:authorization:*", (IDENTITY,)),
    ("azure:authorization/*", (IDENTITY,)),
    ("azure-native:managedidentity:*", (IDENTITY,)),
    ("azure:armmsi/*", (IDENTITY,)),
    ("azure-native:management:*", (IDENTITY,)),
    ("azure:management/*", (IDENTITY,)),
    ("azure-native:network:*", (INFRA,)),
    ("azure:network/*", (INFRA,)),
    ("azure:lb/*", (INFRA,)),
    ("azure-native:dns:*", (INFRA,)),
    ("azure:dns/*", (INFRA,)),
    ("azure-native:privatedns:*", (INFRA,)),
    ("azure:privatedns/*", (INFRA,)),
    ("azure-native:containerservice:*", (INFRA,)),
    ("azure:containerservice/group:*", (APP,)),  # container instances
    ("azure:containerservice/*", (INFRA,)),
    ("azure-native:containerregistry:*", (INFRA,)),
    ("azure-native:keyvault:*", (INFRA,)),
    ("azure:keyvault/*", (INFRA,)),
    ("azure-native:sql:*", (INFRA,)),
    ("azure:mssql/*", (INFRA,)),
    ("azure-native:cosmosdb:*", (INFRA,)),
    ("azure:cosmosdb/*", (INFRA,)),
    ("azure-native:dbforpostgresql:*", (INFRA,)),
    ("azure:postgresql/*", (INFRA,)),
    ("azure-native:dbformysql:*", (INFRA,)),
    ("azure:mysql/*", (INFRA,)),
    ("azure-native:redis:*", (INFRA,)),
    ("azure:redis/*", (INFRA,)),
    ("azure-native:storage:*", (INFRA,)),
    ("azure:storage/*", (INFRA,)),
    ("azure-native:servicebus:*", (INFRA,)),
    ("azure-native:eventhub:*", (INFRA,)),
    ("azure-native:operationalinsights:*", (INFRA, APP)),
    ("azure-native:monitor:*", (INFRA, APP)),
    ("azure-native:applicationinsights:*", (INFRA, APP)),
    ("azure:monitoring/*", (INFRA, APP)),
    ("azure-native:web:*", (APP,)),
    ("azure:appservice/*", (APP,)),
    ("azure-native:app:*", (APP,)),
    ("azure:containerapp/*", (APP,)),
    ("azure-native:containerinstance:*", (APP,)),
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
    ("kubernetes:apps/*:Deployment*", APP_WORKLOAD),
    ("kubernetes:apps/*:ReplicaSet*", APP_WORKLOAD),
    ("kubernetes:core/*:Service", APP_WORKLOAD),
    ("kubernetes:core/*:ServicePatch", APP_WORKLOAD),
    ("kubernetes:core/*:ServiceAccount*", APP_WORKLOAD),
    ("kubernetes:core/*:ConfigMap*", APP_WORKLOAD),
    ("kubernetes:core/*:Pod", APP_WORKLOAD),
    ("kubernetes:core/*:PodPatch", APP_WORKLOAD),
    ("kubernetes:core/*:PodTemplate*", APP_WORKLOAD),
    ("kubernetes:core/*:ReplicationController*", APP_WORKLOAD),
    ("kubernetes:core/*:Endpoints*", APP_WORKLOAD),
    ("kubernetes:discovery.k8s.io/*", APP_WORKLOAD),
    ("kubernetes:autoscaling/*", APP_WORKLOAD),
    ("kubernetes:batch/*", APP_WORKLOAD),
    ("kubernetes:policy/*:PodDisruptionBudget*", APP_WORKLOAD),
    ("kubernetes:rbac.authorization.k8s.io/*:Role", APP_WORKLOAD),
    ("kubernetes:rbac.authorization.k8s.io/*:RolePatch", APP_WORKLOAD),
    ("kubernetes:networking.k8s.io/*:Ingress", APP_WORKLOAD),
    ("kubernetes:networking.k8s.io/*:IngressPatch", APP_WORKLOAD),
    ("kubernetes:gateway.networking.k8s.io/*:*Route*", APP_WORKLOAD),
    ("kubernetes:monitoring.coreos.com/*:ServiceMonitor", APP_WORKLOAD),
    ("kubernetes:monitoring.coreos.com/*:PodMonitor", APP_WORKLOAD),
)


def catalog_json() -> dict[str, object]:
    """The table as ``tierguard policies`` shows it (datastores are infra in addition)."""
    def show(value: Tiers | str | Placement) -> str | list[str] | dict[str, object]:
        row = as_placement(value)
        tiers = row.belongs if isinstance(row.belongs, str) else list(row.belongs)
        return {"belongs": tiers, "tolerated": list(row.tolerated)} if row.tolerated else tiers

    return {
        "placementTypes": {k: show(v) for k, v in PLACEMENT_TYPES.items()},
        "placementPatterns": {k: show(v) for k, v in PLACEMENT_PATTERNS},
        "datastoresBelongTo": [INFRA],
    }
