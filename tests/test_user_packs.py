"""Users' own Python policy packs (issue 13): loaded from their directory without serving, evaluated
with the analyzer's semantics, and -- for every pack and every semantic -- the same findings as the
real pulumi-policy server launched the way today's CLI launches it (RunPlugin)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tierguard.crossguard.analyzer_host import analyze_over_grpc, comparable, launch_pack
from tierguard.crossguard.packconfig import PackConfig
from tierguard.evaluate.evaluator import Evaluator
from tierguard.evaluate.userpack import load_policy_pack
from tierguard.model import wire
from tierguard.model.records import Finding, InputError, Stack
from tierguard.policies.base import rule_of
from tierguard.testing import UNKNOWN, resource, stack

USER = Path(__file__).parent / "fixtures" / "packs" / "user"
GCP, K8S, CLOUDS, SEMANTICS = (
    USER / n for n in ("gcp-python", "k8s-python", "aws-azure-python", "semantics")
)
PROJECT = "shop"
ROOT_URN = f"urn:pulumi:dev::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-dev"


def _r(type_: str, inputs: dict, name: str, **fields):
    fields.setdefault("parent", ROOT_URN)
    return resource(type_, inputs, name, project=PROJECT, **fields)


def _root(outputs: dict | None = None):
    return resource(
        "pulumi:pulumi:Stack",
        {},
        f"{PROJECT}-dev",
        project=PROJECT,
        urn=ROOT_URN,
        custom=False,
        outputs=outputs,
    )


def _both(pack_dir: Path, st: Stack, entries: dict | None = None) -> tuple[list[Finding], list[Finding]]:
    """Findings in-process and over the analyzer protocol, with the same reconciled config."""
    pack = load_policy_pack(pack_dir)
    evaluator = Evaluator([pack], PackConfig(), [PackConfig(entries=entries or {})])
    local = evaluator.evaluate(st).findings
    with launch_pack(pack_dir) as client:
        assert client.get_info().name == pack.name
        remote = analyze_over_grpc(client, st, evaluator.policy_configs(st)[0])
    # tierguard redacts secret plaintext from every message it reports; so do we for the server's
    secrets = {v for r in st.resources for v in wire.secret_strings({**r.inputs, **(r.outputs or {})})}
    remote_findings = [
        Finding(d.policy, d.pack, "", d.enforcement_level, wire.redact(d.message, secrets), urn=d.urn)
        for d in remote
    ]
    assert comparable(local) == comparable(remote_findings)
    return local, remote_findings


def _by_policy(findings: list[Finding]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        out.setdefault(f.policy, []).append(f.message.partition("\n")[2])
    return {k: sorted(v) for k, v in out.items()}


# -- the analyzer's semantics, each in-process AND over the protocol ---------------------------------


def _semantics_stack() -> Stack:
    dyn = _r("pulumi-nodejs:dynamic:Resource", {"__provider": "serialized-js", "value": 1}, "dyn-thing")
    bucket = _r("gcp:storage/bucket:Bucket", {"name": "b", "location": "EU"}, "logs")
    child = _r(
        "gcp:storage/bucketObject:BucketObject",
        {"bucket": UNKNOWN, "name": "o"},
        "obj",
        parent=bucket.urn,
        dependencies=[bucket.urn],
        property_dependencies={"bucket": [bucket.urn], "name": []},
    )
    st = stack(
        [_root({"url": "https://x", "token": wire.secret("s3cr3t-token")}), dyn, bucket, child],
        project=PROJECT,
    )
    st.tags = {"tier": "app"}
    st.config = {"app:env": "prod"}  # never reaches a pack under today's CLI
    return st


def test_semantics_in_process_match_the_analyzer() -> None:
    local, _ = _both(SEMANTICS, _semantics_stack())
    seen = _by_policy(local)
    # the root stack is analyzed like any resource, internal `__` keys are stripped
    assert seen["props-seen"] == [
        "pulumi-nodejs:dynamic:Resource dyn-thing props ['value']",
        "pulumi:pulumi:Stack shop-dev props []",
    ]
    stack_seen = seen["stack-seen"]
    # stack policies receive the root, children point at it, see its outputs (stack exports), and
    # property dependencies with no dependency are dropped
    assert "1 root stack(s) among 4" in stack_seen
    assert "shop-dev: parent None, property deps [], props ['token', 'url']" in stack_seen
    assert "logs: parent pulumi:pulumi:Stack, property deps [], props ['location', 'name']" in stack_seen
    obj = "obj: parent gcp:storage/bucket:Bucket, property deps ['bucket'], props ['bucket', 'name']"
    assert obj in stack_seen
    # what a policy sees of its stack under today's CLI: no project/stack/config/dry-run from the engine
    assert seen["runtime-seen"] == [
        f"stack 'stack' project 'project' config None env {os.environ.get('PULUMI_STACK')!r} "
        "dry-run False tags {'tier': 'app'}"
    ]
    # schema defaults plus initial_config; a required property with a default is satisfied
    assert seen["configured"] == ["config [('limit', 5.0), ('mode', 'lax'), ('owner', 'platform')]"]
    # a pack-level `disabled` applies to the policy without a level of its own
    assert "pack-disabled" not in seen
    levels = {f.policy: f.enforcement_level for f in local}
    assert levels["runtime-seen"] == "mandatory" and levels["configured"] == "advisory"
    assert not any("s3cr3t-token" in f.message for f in local)


def test_config_file_over_initial_config_and_pack_level() -> None:
    entries = {"all": "mandatory", "configured": {"mode": "strict", "limit": 2}}
    local, _ = _both(SEMANTICS, _semantics_stack(), entries)
    seen = _by_policy(local)
    assert seen["configured"] == ["config [('limit', 2.0), ('mode', 'strict'), ('owner', 'platform')]"]
    # `all` reaches the policy that the pack-level `disabled` kept quiet
    assert seen["pack-disabled"]
    assert {f.enforcement_level for f in local} == {"mandatory"}


def test_config_validation_lists_every_error_of_every_policy() -> None:
    pack = load_policy_pack(SEMANTICS)
    bad = PackConfig(
        entries={"configured": {"mode": "bogus", "limit": 0}, "props-seen": {"verbose": "yes"}},
        source="c.json",
    )
    with pytest.raises(InputError) as err:
        bad.reconcile([pack])
    message = str(err.value)
    assert "\n" not in message
    assert message == (
        "c.json: invalid policy config: configured: limit: 0 is less than the minimum of 1; "
        "configured: mode: 'bogus' is not one of ['strict', 'lax']; "
        "props-seen: verbose: 'yes' is not of type 'boolean'"
    )


def test_required_property_without_default_or_initial_config_is_an_error() -> None:
    pack = load_policy_pack(SEMANTICS)
    bare = type(pack)(pack.name, pack.description, pack.policies, enforcement_level=pack.enforcement_level)
    with pytest.raises(InputError, match="configured: 'mode' is a required property"):
        PackConfig().reconcile([bare])


# -- packs written as Pulumi's templates write them -------------------------------------------------


def test_gcp_template_pack_findings_remediation_and_levels() -> None:
    st = stack(
        [
            _root(),
            _r("gcp:storage/bucket:Bucket", {"location": "US", "forceDestroy": True}, "wide-open"),
            _r("gcp:storage/bucket:Bucket", {"location": "EU", "uniformBucketLevelAccess": True}, "good"),
            _r("gcp:storage/bucket:Bucket", {"location": UNKNOWN, "uniformBucketLevelAccess": True}, "later"),
        ],
        project=PROJECT,
    )
    local, _ = _both(GCP, st)
    seen = _by_policy([f for f in local if f.kind == "violation"])
    assert seen["gcp-bucket-uniform-access"] == ["Enable uniform bucket-level access on storage buckets."]
    assert seen["gcp-allowed-regions"] == ["wide-open is in US; allowed: EU, europe-west1"]
    assert seen["gcp-bucket-no-force-destroy"] == ["forceDestroy deletes every object with the bucket."]
    notes = [f for f in local if f.kind == "note"]
    assert [(f.policy, f.enforcement_level) for f in notes] == [("gcp-allowed-regions", "advisory")]
    levels = {f.policy: f.enforcement_level for f in local if f.kind == "violation"}
    # the pack's MANDATORY applies where a policy sets none; the policy's own ADVISORY wins
    assert levels == {
        "gcp-bucket-uniform-access": "mandatory",
        "gcp-allowed-regions": "advisory",
        "gcp-bucket-no-force-destroy": "mandatory",
    }
    assert {f.category for f in local} == {"gcp-python"}  # no category tag: the pack's name
    # remediate: the engine fixes forceDestroy before analysis, both paths agree
    entries = {"gcp-bucket-no-force-destroy": "remediate", "gcp-allowed-regions": {"allowedRegions": ["US"]}}
    fixed, _ = _both(GCP, st, entries)
    assert "gcp-bucket-no-force-destroy" not in _by_policy(fixed)
    assert _by_policy([f for f in fixed if f.kind == "violation"])["gcp-allowed-regions"] == [
        "good is in EU; allowed: US"
    ]


def test_kubernetes_pack_initial_config_stack_policy_and_categories() -> None:
    def svc(name: str, kind: str):
        return _r("kubernetes:core/v1:Service", {"spec": {"type": kind}}, name)

    privileged = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "app", "securityContext": {"privileged": True}}]}}
        }
    }
    st = stack(
        [
            _root(),
            _r("kubernetes:apps/v1:Deployment", privileged, "web"),
            _r("kubernetes:apps/v1:Deployment", {"spec": {"template": {"spec": {"containers": []}}}}, "ok"),
            _r(
                "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
                {"roleRef": {"name": "cluster-admin"}},
                "admins",
            ),
            svc("lb-1", "LoadBalancer"),
            svc("lb-2", "LoadBalancer"),
            svc("internal", "ClusterIP"),
        ],
        project=PROJECT,
    )
    local, _ = _both(K8S, st)
    by = {f.policy: f for f in local}
    assert by["k8s-no-privileged-containers"].enforcement_level == "mandatory"  # from initial_config
    assert by["k8s-no-privileged-containers"].urn.endswith("::web")
    assert by["k8s-no-cluster-admin-binding"].category == "iam"  # one of tierguard's categories
    assert by["k8s-no-privileged-containers"].category == "k8s-python"  # "security" is not one
    assert by["k8s-max-load-balancers"].urn.endswith("::lb-2")
    assert "at most 1.0" in by["k8s-max-load-balancers"].message
    assert len(local) == 3
    assert rule_of(load_policy_pack(K8S).policies[0]).remediation == "Drop securityContext.privileged."


def test_aws_and_azure_flavoured_pack() -> None:
    st = stack(
        [
            _root(),
            _r("aws:s3/bucket:Bucket", {"acl": "public-read"}, "site"),
            _r("aws:s3/bucket:Bucket", {"acl": "private"}, "private"),
            _r("azure-native:storage:StorageAccount", {"allowBlobPublicAccess": True}, "sa"),
            _r("azure-native:storage:StorageAccount", {"allowBlobPublicAccess": False}, "locked"),
            _r("aws:s3/bucket:Bucket", {"acl": wire.secret("public-read")}, "secret-acl"),
        ],
        project=PROJECT,
    )
    local, _ = _both(CLOUDS, st)
    assert sorted((f.policy, f.urn.rsplit("::", 1)[1], f.enforcement_level) for f in local) == [
        ("azure-storage-no-public-blob", "sa", "advisory"),
        ("s3-no-public-read", "secret-acl", "mandatory"),
        ("s3-no-public-read", "site", "mandatory"),
    ]
    assert {f.category for f in local if f.policy == "azure-storage-no-public-blob"} == {
        "deletion-protection"
    }


def test_legacy_env_reproduces_the_retired_analyzer_route() -> None:
    # launch_pack(legacy_env=True) still imitates `pulumi-analyzer-policy-python`, which set the
    # stack's PULUMI_* variables; the default (RunPlugin) sets none -- the difference is visible
    st = _semantics_stack()
    evaluator = Evaluator([load_policy_pack(SEMANTICS)], PackConfig())
    configured = evaluator.policy_configs(st)[0]
    with launch_pack(SEMANTICS, project=PROJECT, stack="dev", config=st.config, legacy_env=True) as client:
        seen = [d.message for d in analyze_over_grpc(client, st, configured) if d.policy == "runtime-seen"]
    assert len(seen) == 1
    assert "stack 'dev' project 'shop' config 'prod' env 'dev' dry-run True" in seen[0]
