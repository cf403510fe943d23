"""The in-process evaluator must agree with pulumi-policy's real analyzer server, launched the way
the Pulumi CLI's Python host launches a pack, on the same resources and the same config."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tierguard.crossguard.analyzer_host import analyze_over_grpc, comparable, launch_pack
from tierguard.crossguard.packconfig import PackConfig
from tierguard.evaluate.evaluator import Evaluator
from tierguard.model import wire
from tierguard.model.records import Finding
from tierguard.testing import UNKNOWN, resource, stack, urn

PACK_DIR = Path(__file__).parent / "fixtures" / "packs" / "parity"
sys.path.insert(0, str(PACK_DIR))
from parity_policies import PACK  # noqa: E402

COMPONENT = resource("my:component:Thing", {}, "thing", custom=False)
PROVIDER = resource("pulumi:providers:gcp", {"project": "p-1", "region": "europe-west1"}, "gcp-eu")


def _stack():
    prov_ref = f"{PROVIDER.urn}::0b7e1e5c-6c3e-4c5e-9d76-4f1d2d5f0a11"
    return stack(
        [
            PROVIDER,
            COMPONENT,
            resource(
                "gcp:storage/bucket:Bucket",
                {"forceDestroy": True, "labels": {"team": "a"}},
                "logs",
                provider=prov_ref,
                protect=True,
            ),
            resource(
                "gcp:storage/bucket:Bucket",
                {"forceDestroy": UNKNOWN},
                "scratch",
                parent=COMPONENT.urn,
                dependencies=[COMPONENT.urn],
                urn=urn("gcp:storage/bucket:Bucket", "scratch", parent_type="my:component:Thing"),
            ),
            resource(
                "gcp:storage/bucket:Bucket",
                {"forceDestroy": False, "labels": wire.secret({"env": "x"})},
                "archive",
                ignore_changes=["labels"],
                custom_timeouts={"delete": 600.0},
                delete_before_replace=True,
            ),
            resource(
                "gcp:pubsub/topic:Topic",
                {"name": "needs-env", "labels": {"team": "b", "env": UNKNOWN}},
                "topic",
                additional_secret_outputs=["name"],
                aliases=["urn:pulumi:dev::proj::x::old"],
            ),
        ],
        project="parity-proj",
        name="dev",
    )


CONFIGS = {
    "defaults": {},
    "all-mandatory-with-props": {"all": "mandatory", "required-labels": {"required": ["team", "env"]}},
    "remediate": {"bucket-force-destroy": "remediate", "stack-shape": {"limit": 3}},
    "disabled": {"bucket-force-destroy": "disabled", "required-labels": {"enforcementLevel": "disabled"}},
}


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_in_process_matches_grpc_server(name: str, env: str) -> None:
    st = _stack()
    st.config = {"app:env": env}
    config = PackConfig(entries=CONFIGS[name])
    local = Evaluator([PACK], config).evaluate(st)
    with launch_pack(PACK_DIR, project=st.project, stack=st.stack, config=st.config) as client:
        info = client.get_info()
        assert [p.name for p in info.policies] == [p.name for p in PACK.policies]
        remote = analyze_over_grpc(client, st, config.reconcile([PACK]))
    remote_findings = [
        Finding(d.policy, d.pack, "", d.enforcement_level, d.message, urn=d.urn) for d in remote
    ]
    assert comparable(local.findings) == comparable(remote_findings)
    # the comparison is not vacuous: every config produces something to compare
    assert local.findings


def test_semantics_the_parity_relies_on() -> None:
    st = _stack()
    st.config = {"app:env": "prod"}
    result = Evaluator([PACK], PackConfig(entries=CONFIGS["remediate"])).evaluate(st)
    by_policy: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_policy.setdefault(f.policy, []).append(f)
    # remediate ran before analyze: the forceDestroy=True bucket was fixed, so no violation for it,
    # and the unknown one became the analyzer's advisory preview note
    bucket = by_policy["bucket-force-destroy"]
    assert [f.kind for f in bucket] == ["note"]
    assert (
        "can't run policy 'bucket-force-destroy' from policy pack 'parity@v0.0.1' during preview"
        in bucket[0].message
    )
    assert [r.policy for r in result.remediations] == ["bucket-force-destroy"]
    # config reached the stack policy; the component child was reported at its own URN
    shape = by_policy["stack-shape"]
    # numbers reach policies as floats, as they do through protobuf Structs
    assert any(f.message.endswith("limit 3.0") for f in shape)
    assert any("scratch is inside thing" in f.message and f.urn.endswith("::scratch") for f in shape)
    # under today's CLI (RunPlugin) a pack gets no PULUMI_CONFIG: the stack's config is not there
    assert any("env is None" in f.message for f in by_policy["runtime-config"])
    # not_applicable is recorded for resources without labels
    assert any(na[0] == "required-labels" for na in result.not_applicable)


# -- tierguard's own packs, served from policypacks/ exactly as `pulumi preview --policy-pack` does --

REPO = Path(__file__).resolve().parents[1]
PROJECT = "shop-app"


def _r(type_: str, inputs: dict, name: str, **fields):
    return resource(type_, inputs, name, project=PROJECT, **fields)


def _mixed_stack():
    """Resources that touch every pack: violations, compliant ones, unknowns and secrets."""
    sa_email = UNKNOWN
    return stack(
        [
            _r(
                "gcp:sql/databaseInstance:DatabaseInstance",
                {
                    "databaseVersion": "POSTGRES_16",
                    "region": "europe-west1",
                    "deletionProtection": False,
                    "settings": {"tier": "db-custom-2-7680", "deletionProtectionEnabled": False},
                },
                "orders-db",
            ),
            _r(
                "gcp:sql/user:User",
                {"instance": UNKNOWN, "name": "app", "password": wire.secret("hunter2-pw")},
                "orders-user",
            ),
            _r(
                "gcp:storage/bucket:Bucket",
                {"location": "EU", "forceDestroy": True, "uniformBucketLevelAccess": False},
                "uploads",
            ),
            _r("gcp:storage/bucket:Bucket", {"location": "EU", "forceDestroy": UNKNOWN}, "tmp", protect=True),
            _r(
                "gcp:projects/iAMMember:IAMMember",
                {"project": "p-1", "role": "roles/editor", "member": f"serviceAccount:{sa_email}"},
                "ci-editor",
            ),
            _r(
                "gcp:projects/iAMMember:IAMMember",
                {
                    "project": "p-1",
                    "role": "roles/logging.logWriter",
                    "member": "serviceAccount:app@p-1.iam.gserviceaccount.com",
                },
                "log-writer",
            ),
            _r("gcp:serviceaccount/key:Key", {"serviceAccountId": UNKNOWN}, "sa-key"),
            _r(
                "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
                {
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "cluster-admin",
                    },
                    "subjects": [{"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"}],
                },
                "devs-admin",
            ),
            _r(
                "kubernetes:apps/v1:StatefulSet",
                {
                    "metadata": {"namespace": "shop"},
                    "spec": {
                        "serviceName": "pg",
                        "selector": {"matchLabels": {"app": "pg"}},
                        "template": {"metadata": {"labels": {"app": "pg"}}, "spec": {"containers": []}},
                        "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
                    },
                },
                "pg",
            ),
            _r(
                "kubernetes:apps/v1:Deployment",
                {"metadata": {"namespace": "shop"}, "spec": {"replicas": 2}},
                "web",
            ),
            _r("kubernetes:core/v1:Namespace", {"metadata": {"name": "shop"}}, "shop-ns"),
            _r("gcp:compute/network:Network", {"autoCreateSubnetworks": False}, "vpc"),
        ],
        project=PROJECT,
        name="prod",
    )


PACK_NAMES = ["tier-boundaries", "storage-protection", "plan-size", "least-privilege-iam"]


@pytest.mark.parametrize("pack_name", PACK_NAMES)
@pytest.mark.parametrize("config_name", ["defaults", "remediate-all"])
def test_tierguard_packs_over_grpc_match_in_process(pack_name: str, config_name: str) -> None:
    from tierguard.policies.packs import load_pack

    pack = load_pack(pack_name)
    entries = {"all": "remediate"} if config_name == "remediate-all" else {}
    config = PackConfig(entries=entries)
    st = _mixed_stack()
    local = Evaluator([pack], config).evaluate(st)
    with launch_pack(REPO / "policypacks" / pack_name, project=st.project, stack=st.stack) as client:
        info = client.get_info()
        assert info.name == pack_name
        assert sorted(p.name for p in info.policies) == sorted(p.name for p in pack.policies)
        for p in info.policies:
            assert len(p.tags) == 1, f"{p.name} must carry exactly one category tag"
        remote = analyze_over_grpc(client, st, config.reconcile([pack]))
    remote_findings = [
        Finding(d.policy, d.pack, "", d.enforcement_level, d.message, urn=d.urn) for d in remote
    ]
    assert comparable(local.findings) == comparable(remote_findings)
    if pack_name != "plan-size":  # a 12-resource stack is within every size limit
        assert any(f.blocking for f in local.findings), "the mixed stack breaks every other pack"
    assert not any("hunter2-pw" in f.message for f in local.findings)
