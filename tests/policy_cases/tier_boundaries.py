"""tier-boundaries: the tier declared, no datastore in app, each resource in (or tolerated in) its tier,
every type classified."""

from __future__ import annotations

from policy_cases import NOTE, UNKNOWN, A, M, case, r, secret

SQL = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS = "gcp:redis/instance:Instance"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
NAMESPACE = "kubernetes:core/v1:Namespace"
CLUSTER = "gcp:container/cluster:Cluster"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
UNCLASSIFIED = "acme:widgets/widget:Widget"

DECLARED = "tier-declared"
DATASTORE = "no-datastore-in-app-tier"
ITS_TIER = "resource-in-its-tier"
TOLERATED = "resource-in-tolerated-tier"
CLASSIFIED = "resource-tier-classified"

CONFIG = {"data": {"url": secret("postgres://u:p@db/x")}, "immutable": UNKNOWN}

CASES = [
    # -- tier-declared: the stack's tier from config, tag or project suffix, else one stack finding
    case(DECLARED, "no-tier-anywhere", [r(CONFIGMAP, "cm", CONFIG)], [(DECLARED, "proj-dev", M)], tier=None),
    case(DECLARED, "tier-from-config", [r(CONFIGMAP, "cm", CONFIG)], tier="app"),
    case(DECLARED, "tier-from-project-suffix", [r(CONFIGMAP, "cm", CONFIG)], tier=None, project="shop-app"),
    case(DECLARED, "tier-from-stack-tag", [r(CONFIGMAP, "cm", CONFIG)], tier=None, tags={"tier": "app"}),
    case(
        DECLARED,
        "unknown-tier-tag",
        [r(CONFIGMAP, "cm", CONFIG)],
        [(DECLARED, "proj-dev", M)],
        tier=None,
        tags={"tier": "backend"},
    ),
    # -- no-datastore-in-app-tier
    case(
        DATASTORE,
        "cloud-sql-in-app",
        [r(SQL, "db", {"databaseVersion": "POSTGRES_16"})],
        [(DATASTORE, "db", M)],
        tier="app",
    ),
    case(DATASTORE, "cloud-sql-in-infra", [r(SQL, "db", {"databaseVersion": "POSTGRES_16"})]),
    case(
        DATASTORE,
        "statefulset-with-claims-in-app",
        [
            r(STATEFULSET, "kafka", {"spec": {"volumeClaimTemplates": [{"metadata": {"name": "d"}}]}}),
            r(STATEFULSET, "web", {"spec": {"serviceName": "web", "volumeClaimTemplates": []}}),
        ],
        [(DATASTORE, "kafka", M)],
        tier="app",
    ),
    case(
        DATASTORE,
        "statefulset-unknown-claims-in-app",
        [r(STATEFULSET, "maybe", {"spec": {"volumeClaimTemplates": UNKNOWN}})],
        [(DATASTORE, "maybe", NOTE)],
        tier="app",
    ),
    case(
        DATASTORE,
        "helm-postgres-in-app-secret-values",
        [
            r(
                RELEASE,
                "pg",
                {
                    "chart": "postgresql",
                    "values": secret({"auth": {"password": "pw"}}),
                    "repositoryOpts": {"repo": "https://charts.bitnami.com/bitnami"},
                },
            ),
            r(RELEASE, "ingress", {"chart": "ingress-nginx", "values": secret({"x": 1})}),
        ],
        [(DATASTORE, "pg", M)],
        tier="app",
    ),
    case(
        DATASTORE,
        "allowed-datastore-type",
        [r(REDIS, "cache", {"memorySizeGb": 1, "authString": secret("x")})],
        tier="app",
        config={DATASTORE: {"allowedDatastoreTypes": [REDIS]}},
    ),
    # -- resource-in-its-tier
    case(
        ITS_TIER,
        "namespace-in-app",
        [r(NAMESPACE, "ns", {"metadata": {"name": UNKNOWN}})],
        [(ITS_TIER, "ns", M)],
        tier="app",
    ),
    case(
        ITS_TIER,
        "project-iam-in-infra",
        [r(PROJECT_MEMBER, "grant", {"project": "p", "role": "roles/viewer", "member": secret("user:a@x")})],
        [(ITS_TIER, "grant", M)],
    ),
    case(
        ITS_TIER,
        "cluster-in-infra",
        [r(CLUSTER, "gke", {"masterAuth": secret({"x": 1}), "network": UNKNOWN})],
    ),
    case(
        ITS_TIER,
        "cluster-in-identity",
        [r(CLUSTER, "gke", {"network": UNKNOWN})],
        [(ITS_TIER, "gke", M)],
        tier="identity",
    ),
    case(
        ITS_TIER,
        "placement-config-allows",
        [r(NAMESPACE, "ns", {"metadata": {"name": secret("n")}})],
        tier="app",
        config={ITS_TIER: {"placement": {NAMESPACE: ["infra", "app"]}}},
    ),
    # -- resource-in-tolerated-tier: app workloads in infra are advisory
    case(
        TOLERATED,
        "deployment-in-infra",
        [r(DEPLOYMENT, "nginx", {"spec": {"replicas": UNKNOWN}})],
        [(TOLERATED, "nginx", A)],
    ),
    case(
        TOLERATED,
        "deployment-in-app",
        [r(DEPLOYMENT, "web", {"spec": {"replicas": UNKNOWN}}), r(CONFIGMAP, "cm", CONFIG)],
        tier="app",
    ),
    case(TOLERATED, "configmap-in-infra-secret", [r(CONFIGMAP, "cm", CONFIG)], [(TOLERATED, "cm", A)]),
    case(
        TOLERATED,
        "made-mandatory",
        [r(DEPLOYMENT, "nginx")],
        [(TOLERATED, "nginx", M)],
        config={TOLERATED: "mandatory"},
    ),
    # -- resource-tier-classified
    case(
        CLASSIFIED,
        "unknown-type",
        [r(UNCLASSIFIED, "w", {"size": UNKNOWN, "token": secret("t")})],
        [(CLASSIFIED, "w", A)],
    ),
    case(
        CLASSIFIED,
        "classified-by-config",
        [r(UNCLASSIFIED, "w", {"size": UNKNOWN, "token": secret("t")})],
        config={CLASSIFIED: {"placement": {"acme:*": "any"}}},
    ),
]
