"""tier-boundaries: no datastore in an app stack, every resource in the stack of its tier."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pulumi_gcp
import pytest

from tierguard.catalog.datastores import DATASTORE_TYPES
from tierguard.catalog.placement import PLACEMENT_PATTERNS, PLACEMENT_TYPES
from tierguard.model import wire
from tierguard.model.records import InputError
from tierguard.policies.packs import load_pack
from tierguard.testing import UNKNOWN, findings, resource, run, stack

PACK = "tier-boundaries"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS = "gcp:redis/instance:Instance"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def _on(tier: str, *resources) -> list:
    return findings(PACK, stack(resources, tier=tier))


def _policies(found) -> list[str]:
    return sorted(f.policy for f in found)


# -- the "done when" -------------------------------------------------------------------------


def _four_datastores() -> list:
    return [
        resource(
            SQL, {"databaseVersion": "POSTGRES_16", "settings": {"tier": "db-custom-1-3840"}}, "orders-db"
        ),
        resource(REDIS, {"memorySizeGb": 1, "tier": "BASIC"}, "sessions"),
        resource(
            STATEFULSET,
            {"spec": {"serviceName": "kafka", "volumeClaimTemplates": [{"metadata": {"name": "data"}}]}},
            "kafka",
        ),
        resource(
            RELEASE,
            {"chart": "postgresql", "repositoryOpts": {"repo": "https://charts.bitnami.com/bitnami"}},
            "pg",
        ),
    ]


def test_four_datastores_are_tier_findings_in_app_and_not_in_infra():
    app = findings(PACK, stack(_four_datastores(), tier="app"))
    assert _policies(app) == ["no-datastore-in-app-tier"] * 4
    assert {f.urn.rsplit("::", 1)[-1] for f in app} == {"orders-db", "sessions", "kafka", "pg"}
    assert all(f.category == "tier-boundary" and f.enforcement_level == "mandatory" for f in app)
    assert run(PACK, stack(_four_datastores(), tier="app")).blocked

    infra = run(PACK, stack(_four_datastores(), tier="infra"))
    assert [f for f in infra.findings if f.kind == "violation"] == []
    assert not infra.blocked


# -- no-datastore-in-app-tier ------------------------------------------------------------------------


@pytest.mark.parametrize("type_", [t for t in DATASTORE_TYPES if t.startswith("gcp:")])
def test_every_gcp_datastore_is_refused_in_app(type_):
    found = _on("app", resource(type_, {}, "store"))
    assert _policies(found) == ["no-datastore-in-app-tier"]
    assert DATASTORE_TYPES[type_] in found[0].message
    assert _on("infra", resource(type_, {}, "store")) == []


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        ("kubernetes:core/v1:PersistentVolumeClaim", {"spec": {"accessModes": ["ReadWriteOnce"]}}),
        ("kubernetes:helm.sh/v4:Chart", {"chart": "oci://registry-1.docker.io/bitnamicharts/mongodb"}),
        (RELEASE, {"chart": "bitnami/redis", "version": "19.0.1"}),
        (RELEASE, {"chart": "./charts/mysql-9.4.1.tgz"}),
        (
            RELEASE,
            {"chart": "cluster", "repositoryOpts": {"repo": "https://cloudnative-pg.github.io/charts"}},
        ),
        ("kubernetes:postgresql.cnpg.io/v1:Cluster", {"spec": {"instances": 3}}),
        ("kubernetes:mysql.oracle.com/v2:InnoDBCluster", {}),
        ("kubernetes:acid.zalan.do/v1:postgresql", {}),
        ("aws:rds/cluster:Cluster", {"engine": "aurora-postgresql"}),
        ("aws:dynamodb/table:Table", {}),
        ("azure-native:cosmosdb:DatabaseAccount", {}),
        ("azure-native:sql:Server", {}),
        ("gcp:oracledatabase/autonomousDatabase:AutonomousDatabase", {}),
    ],
)
def test_in_cluster_and_other_cloud_datastores_are_refused_in_app(type_, inputs):
    assert _policies(_on("app", resource(type_, inputs, "store"))) == ["no-datastore-in-app-tier"]


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        (STATEFULSET, {"spec": {"serviceName": "web", "template": {}}}),
        (STATEFULSET, {"spec": {"volumeClaimTemplates": []}}),
        (
            RELEASE,
            {
                "chart": "ingress-nginx",
                "repositoryOpts": {"repo": "https://kubernetes.github.io/ingress-nginx"},
            },
        ),
        (RELEASE, {"chart": "cluster", "repositoryOpts": {"repo": "https://example.com/charts"}}),
        ("kubernetes:helm.sh/v4:Chart", {"chart": "oci://ghcr.io/acme/charts/shop-frontend"}),
        (DEPLOYMENT, {"spec": {"replicas": 2}}),
        ("kubernetes:core/v1:ConfigMap", {"data": {"postgresql": "host"}}),
    ],
)
def test_workloads_that_are_not_datastores_pass_in_app(type_, inputs):
    assert _on("app", resource(type_, inputs, "thing")) == []


# -- application charts that bundle a database (catalog: HELM_BUNDLED_DATABASES) ----------------------

CHART4 = "kubernetes:helm.sh/v4:Chart"
# chart, values that leave the bundled store(s) on, values that turn every one off. Written out by
# hand: a row removed from the catalog makes its "bundles" case pass and this test fail.
BUNDLING = [
    ("bitnami/wordpress", {}, {"mariadb": {"enabled": False}}),
    ("oci://registry-1.docker.io/bitnamicharts/drupal", {"mariadb": {"enabled": True}},
     {"mariadb": {"enabled": False}}),
    ("bitnami/ghost", {"mysql": {"enabled": "false"}}, {"mysql": {"enabled": False}}),  # "false" is truthy
    ("bitnami/keycloak", {"postgresql": {"auth": {"database": "kc"}}}, {"postgresql": {"enabled": False}}),
    ("gitlab/gitlab", {"postgresql": {"install": False}},  # redis still installed
     {"postgresql": {"install": False}, "redis": {"install": False}}),
    ("harbor/harbor", {"database": {"type": "internal"}},
     {"database": {"type": "external"}, "redis": {"type": "external"}}),
    ("apache-airflow/airflow", {"redis": {"enabled": False}},
     {"postgresql": {"enabled": False}, "redis": {"enabled": False}}),
    ("./charts/mattermost-team-edition-6.6.0.tgz", {}, {"mysql": {"enabled": False}}),
]


@pytest.mark.parametrize(("chart", "on", "off"), BUNDLING)
@pytest.mark.parametrize("type_", [RELEASE, CHART4])
def test_application_charts_bundling_a_database_are_datastores_in_app(type_, chart, on, off):
    (finding,) = _on("app", resource(type_, {"chart": chart, "values": on}, "site"))
    assert finding.policy == "no-datastore-in-app-tier" and finding.enforcement_level == "mandatory"
    assert "bundling" in finding.message and "values." in finding.message
    assert _on("app", resource(type_, {"chart": chart, "values": off}, "site")) == []
    assert _on("infra", resource(type_, {"chart": chart, "values": on}, "site")) == []


def test_bundled_database_with_unknown_values_is_the_preview_note():
    result = run(PACK, stack([
        resource(RELEASE, {"chart": "bitnami/wordpress", "values": {"mariadb": {"enabled": UNKNOWN}}}, "wp"),
        resource(RELEASE, {"chart": "bitnami/wordpress", "values": UNKNOWN}, "wp2"),
        # one store known on decides although another is unknown
        resource(RELEASE, {"chart": "gitlab", "values": {"redis": {"install": UNKNOWN}}}, "gl"),
    ], tier="app"))
    violations = [f.urn.rsplit("::", 1)[-1] for f in result.findings if f.kind == "violation"]
    assert violations == ["gl"]
    notes = [f for f in result.findings if f.kind == "note"]
    assert len(notes) == 2 and all("during preview" in n.message for n in notes)
    assert ".values.mariadb.enabled" in notes[0].message


def test_bundled_database_charts_are_configurable_and_secrets_stay_out():
    cfg = {"no-datastore-in-app-tier": {"extraBundledDatabaseCharts": {"shop": {"db.enabled": False}}}}
    values = {"db": {"password": wire.secret("hunter22")}}
    res = resource(RELEASE, {"chart": "acme/shop", "values": values}, "s")
    (finding,) = findings(PACK, stack([res], tier="app"), cfg, policy="no-datastore-in-app-tier")
    assert "values.db.enabled" in finding.message and "hunter22" not in finding.message
    off = resource(RELEASE, {"chart": "acme/shop", "values": {"db": {"enabled": False}}}, "s")
    assert findings(PACK, stack([off], tier="app"), cfg, policy="no-datastore-in-app-tier") == []
    assert findings(PACK, stack([res], tier="app"), policy="no-datastore-in-app-tier") == []


def test_unknown_claims_or_chart_give_the_preview_note_not_a_verdict():
    result = run(
        PACK,
        stack(
            [
                resource(STATEFULSET, {"spec": {"volumeClaimTemplates": UNKNOWN}}, "maybe-db"),
                resource(STATEFULSET, {"spec": UNKNOWN}, "maybe-db2"),
                resource(RELEASE, {"chart": UNKNOWN}, "maybe-chart"),
            ],
            tier="app",
        ),
    )
    assert [f for f in result.findings if f.kind == "violation"] == []
    notes = [f for f in result.findings if f.kind == "note"]
    assert len(notes) == 3
    assert all(n.enforcement_level == "advisory" and "during preview" in n.message for n in notes)
    assert ".spec.volumeClaimTemplates" in notes[0].message
    assert ".chart" in notes[2].message


def test_type_decides_even_when_every_input_is_unknown():
    found = _on("app", resource(SQL, {"settings": UNKNOWN, "databaseVersion": UNKNOWN}, "db"))
    assert _policies(found) == ["no-datastore-in-app-tier"]
    # a known claim list decides even when its elements are unknown
    found = _on("app", resource(STATEFULSET, {"spec": {"volumeClaimTemplates": [UNKNOWN]}}, "ss"))
    assert _policies(found) == ["no-datastore-in-app-tier"]


def test_secret_inputs_never_reach_the_message():
    found = _on(
        "app",
        resource(
            SQL, {"name": wire.secret("payroll-db-7f3a"), "rootPassword": wire.secret("hunter22")}, "db"
        ),
    )
    assert _policies(found) == ["no-datastore-in-app-tier"]
    assert "payroll-db-7f3a" not in found[0].message and "hunter22" not in found[0].message
    # a secret chart name is still read (the value decides) but only the catalog name is shown
    found = _on("app", resource(RELEASE, {"chart": wire.secret("bitnami/postgresql")}, "pg"))
    assert _policies(found) == ["no-datastore-in-app-tier"]
    assert "bitnami/postgresql" not in found[0].message


def test_datastore_catalog_extends_and_allows_through_config():
    st = stack(
        [
            resource("acme:db:Database", {}, "acme"),
            resource("gcp:storage/bucket:Bucket", {}, "assets"),
            resource(RELEASE, {"chart": "acme-graphdb"}, "graph"),
        ],
        tier="app",
    )
    config = {
        "no-datastore-in-app-tier": {
            "extraDatastoreTypes": {"acme:db:*": "Acme database"},
            "allowedDatastoreTypes": ["gcp:storage/bucket:Bucket"],
            "extraDatabaseCharts": ["acme-graphdb"],
        },
        "resource-tier-classified": {"placement": {"acme:*": "any"}},
        "resource-in-its-tier": {"placement": {"gcp:storage/bucket:Bucket": ["infra", "app"]}},
    }
    found = findings(PACK, st, config)
    assert {f.urn.rsplit("::", 1)[-1] for f in found} == {"acme", "graph"}
    assert any("Acme database" in f.message for f in found)
    # without the config the bucket is a datastore and the others pass unnoticed by this rule
    plain = findings(PACK, st, policy="no-datastore-in-app-tier")
    assert {f.urn.rsplit("::", 1)[-1] for f in plain} == {"assets"}


@pytest.mark.parametrize(
    "config",
    [
        {"no-datastore-in-app-tier": {"extraDatastoreTypes": ["acme:db:Database"]}},
        {"no-datastore-in-app-tier": {"allowedDatastoreTypes": "gcp:storage/bucket:Bucket"}},
        {"resource-in-its-tier": {"placement": {"gcp:foo/bar:Bar": "prod"}}},
        {"resource-in-its-tier": {"placement": {"gcp:foo/bar:Bar": []}}},
    ],
)
def test_wrong_config_is_bad_input(config):
    with pytest.raises(InputError):
        run(PACK, stack([], tier="app"), config)


# -- resource-in-its-tier ----------------------------------------------------------------------------

IDENTITY_TYPES = [
    "gcp:serviceaccount/account:Account",
    "gcp:serviceaccount/key:Key",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iamMemberRemove:IamMemberRemove",
    "gcp:organizations/iAMCustomRole:IAMCustomRole",
    "gcp:folder/iamAuditConfig:IamAuditConfig",
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
]
INFRA_TYPES = [
    "gcp:compute/network:Network",
    "gcp:compute/subnetwork:Subnetwork",
    "gcp:compute/routerNat:RouterNat",
    "gcp:compute/firewall:Firewall",
    "gcp:container/cluster:Cluster",
    "gcp:container/nodePool:NodePool",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:dns/managedZone:ManagedZone",
    "kubernetes:core/v1:Namespace",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "kubernetes:storage.k8s.io/v1:StorageClass",
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    "kubernetes:scheduling.k8s.io/v1:PriorityClass",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
]
# Namespaced application workloads: app's, tolerated (advisory) in infra, where add-ons ship as them.
APP_TYPES_K8S = [
    DEPLOYMENT,
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:batch/v1:CronJob",
]
APP_TYPES = [*APP_TYPES_K8S, "gcp:cloudrunv2/service:Service"]
BOTH_INFRA_AND_APP = [
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:core/v1:Secret",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    RELEASE,
]
ANY_TIER = [
    "pulumi:providers:gcp",
    "pulumi:providers:kubernetes",
    "pulumi:pulumi:StackReference",
    "random:index/randomPassword:RandomPassword",
]


@pytest.mark.parametrize(
    ("types", "home"),
    [
        (IDENTITY_TYPES, {"identity"}),
        (INFRA_TYPES, {"infra"}),
        (APP_TYPES_K8S, {"app"}),
        (["gcp:cloudrunv2/service:Service", "gcp:cloudfunctionsv2/function:Function"], {"app"}),
        (BOTH_INFRA_AND_APP, {"infra", "app"}),
        (ANY_TIER, {"identity", "infra", "app"}),
    ],
)
def test_placement_table(types, home):
    tolerated = {"infra"} if types is APP_TYPES_K8S else set()
    for tier in ("identity", "infra", "app"):
        found = findings(PACK, stack([resource(t, {}, f"r{i}") for i, t in enumerate(types)], tier=tier))
        misplaced = [f for f in found if f.policy == "resource-in-its-tier"]
        soft = [f for f in found if f.policy == "resource-in-tolerated-tier"]
        hard = 0 if tier in home | tolerated else len(types)
        assert len(misplaced) == hard, (tier, [f.type for f in misplaced])
        assert len(soft) == (len(types) if tier in tolerated else 0), (tier, [f.type for f in soft])
        assert all(f.enforcement_level == "advisory" for f in soft)
        assert not [f for f in found if f.policy == "resource-tier-classified"]
    sample = findings(
        PACK,
        stack([resource(types[0], {}, "x")], tier=next(iter({"identity", "infra", "app"} - home), "app")),
    )
    if home != {"identity", "infra", "app"}:
        assert "belongs in the" in sample[0].message and "`placement`" in sample[0].message


def test_datastores_are_infra_and_judged_once_in_app():
    # identity: outside its tier; app: only the more specific no-datastore-in-app-tier speaks
    assert _policies(_on("identity", resource(SQL, {}, "db"))) == ["resource-in-its-tier"]
    assert _policies(_on("app", resource(SQL, {}, "db"))) == ["no-datastore-in-app-tier"]


def test_placement_decides_with_unknown_and_secret_inputs():
    found = _on(
        "identity",
        resource(DEPLOYMENT, {"spec": UNKNOWN, "metadata": {"name": wire.secret("stealth-svc")}}, "web"),
    )
    assert _policies(found) == ["resource-in-its-tier"]
    assert "stealth-svc" not in found[0].message
    found = _on(
        "infra",
        resource(DEPLOYMENT, {"spec": UNKNOWN, "metadata": {"name": wire.secret("stealth-svc")}}, "web"),
    )
    assert _policies(found) == ["resource-in-tolerated-tier"]
    assert "stealth-svc" not in found[0].message


def test_placement_overrides_through_config():
    st = stack(
        [resource(DEPLOYMENT, {}, "ingress-controller"), resource("gcp:pubsub/topic:Topic", {}, "events")],
        tier="infra",
    )
    assert findings(PACK, st, policy="resource-in-its-tier") == []
    assert len(findings(PACK, st, policy="resource-in-tolerated-tier")) == 1
    config = {"resource-in-tolerated-tier": {"placement": {"kubernetes:apps/*:Deployment": ["infra", "app"]}}}
    assert findings(PACK, st, config, policy="resource-in-tolerated-tier") == []
    # an override can also forbid what the table allows (a user's row tolerates nothing)
    config = {"resource-in-its-tier": {"placement": {"gcp:pubsub/*": "app", "kubernetes:apps/*": "app"}}}
    assert len(findings(PACK, st, config, policy="resource-in-its-tier")) == 2


def test_an_ingress_controller_in_infra_passes_with_an_advisory_note():
    """Issue 11: an add-on's Deployment + ConfigMap in infra pass; app holding cluster objects fails."""
    addon = [
        resource(DEPLOYMENT, {"metadata": {"namespace": "ingress-nginx"}}, "ingress-nginx-controller"),
        resource("kubernetes:core/v1:ConfigMap", {"data": {"use-forwarded-headers": "true"}}, "nginx-conf"),
        resource("kubernetes:core/v1:Service", {}, "ingress-nginx"),
        resource("kubernetes:core/v1:Namespace", {}, "ingress-nginx-ns"),
    ]
    result = run(PACK, stack(addon, tier="infra"))
    assert not result.blocked
    notes = [f for f in result.findings if f.policy == "resource-in-tolerated-tier"]
    assert sorted(f.urn.rsplit("::", 1)[-1] for f in notes) == [
        "ingress-nginx", "ingress-nginx-controller", "nginx-conf"
    ]
    assert all(f.enforcement_level == "advisory" and "Tolerated here" in f.message for f in notes)
    # made mandatory by config, the same stack blocks
    strict = run(PACK, stack(addon, tier="infra"), {"resource-in-tolerated-tier": "mandatory"})
    assert strict.blocked
    # the privilege-relevant crossings stay mandatory
    for tier, token in [
        ("app", "kubernetes:core/v1:Namespace"),
        ("app", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
        ("app", "gcp:projects/iAMMember:IAMMember"),
        ("app", "gcp:storage/bucketIAMMember:BucketIAMMember"),
        ("infra", "gcp:projects/iAMMember:IAMMember"),
        ("identity", "kubernetes:core/v1:Namespace"),
        ("identity", DEPLOYMENT),
        ("identity", "gcp:container/cluster:Cluster"),
    ]:
        res = run(PACK, stack([resource(token, {}, "x")], tier=tier))
        assert res.blocked, (tier, token)
        policies = [f.policy for f in res.findings if f.kind == "violation"]
        assert policies == ["resource-in-its-tier"], (tier, token)


def test_tolerated_is_a_column_of_the_table():
    from tierguard.catalog import placement as pl

    tolerant = {k for k, v in pl.PLACEMENT_PATTERNS if pl.as_placement(v).tolerated}
    assert "kubernetes:apps/*:Deployment*" in tolerant and "kubernetes:core/*:ConfigMap*" in tolerant
    # nothing cluster-scoped, no IAM, no datastore is tolerated anywhere
    for key, value in [*pl.PLACEMENT_PATTERNS, *pl.PLACEMENT_TYPES.items()]:
        row = pl.as_placement(value)
        if row.tolerated:
            assert key.startswith("kubernetes:") and "Cluster" not in key and "Namespace" not in key, key
            assert row.tolerated == ("infra",), key


def test_tier_from_stack_tag_and_project_suffix():
    res = [resource("kubernetes:core/v1:Namespace", {}, "shop", project="shop-app")]
    assert _policies(findings(PACK, stack(res, project="shop-app"))) == ["resource-in-its-tier"]
    res = [resource("kubernetes:core/v1:Namespace", {}, "shop", project="shop")]
    assert findings(PACK, stack(res, project="shop", tags={"tier": "infra"})) == []


# -- resource-tier-classified ------------------------------------------------------------------------


def test_unknown_type_is_advisory_and_names_the_config_key():
    result = run(PACK, stack([resource("acme:index:Frontend", {"x": UNKNOWN}, "web")], tier="app"))
    (finding,) = [f for f in result.findings if f.kind == "violation"]
    assert finding.policy == "resource-tier-classified"
    assert finding.enforcement_level == "advisory"
    assert '"placement": {"acme:index:Frontend": "infra"}' in finding.message
    assert not result.blocked
    config = {"resource-tier-classified": {"placement": {"acme:*": "any"}}}
    assert findings(PACK, stack([resource("acme:index:Frontend", {}, "web")], tier="app"), config) == []


# -- catalog honesty ---------------------------------------------------------------------------------


def _gcp_tokens_in(module: str) -> set[str]:
    root = Path(pulumi_gcp.__file__).parent / module
    tokens: set[str] = set()
    for path in root.glob("*.py"):
        tokens.update(re.findall(r"'(gcp:[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+)'", path.read_text()))
    return tokens


def test_gcp_tokens_in_the_tables_exist_in_pulumi_gcp():
    tokens = {
        t
        for t in [*DATASTORE_TYPES, *PLACEMENT_TYPES, *IDENTITY_TYPES, *INFRA_TYPES, *APP_TYPES]
        if t.startswith("gcp:")
    }
    by_module: dict[str, set[str]] = {}
    for t in tokens:
        by_module.setdefault(t.split(":")[1].split("/")[0], set()).add(t)
    missing = sorted(t for module, ts in by_module.items() for t in ts - _gcp_tokens_in(module))
    assert missing == []


def test_pack_metadata_and_catalogs():
    pack = load_pack(PACK)
    assert [r.name for r in pack.rules()] == [
        "tier-declared",
        "no-datastore-in-app-tier",
        "resource-in-its-tier",
        "resource-in-tolerated-tier",
        "resource-tier-classified",
    ]
    for rule in pack.rules():
        assert rule.category == "tier-boundary" and rule.remediation and rule.description
        assert [p.tags for p in pack.policies if p.name == rule.name] == [["tier-boundary"]]
    json.dumps(pack.catalogs)  # JSON-ready for `tierguard policies`
    assert pack.catalogs["datastoreTypes"][SQL] == "Cloud SQL instance"
    assert "kubernetes:core/*:Secret*" in pack.catalogs["placementPatterns"]
    assert pack.catalogs["placementPatterns"]["kubernetes:apps/*:Deployment*"] == {
        "belongs": ["app"], "tolerated": ["infra"]
    }
    assert len(PLACEMENT_PATTERNS) == len(pack.catalogs["placementPatterns"])
