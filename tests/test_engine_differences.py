"""Regression tests, needing no Pulumi CLI, for each difference the real engine showed against our
offline path (tests/e2e found them; tools/pulumi/README.md and the issue 12 note list them).

1. A stack policy's violation on no resource (or on a URN not in the stack) is filed by the engine
   under the root `pulumi:pulumi:Stack` resource (`resolveStackPolicyViolationURN` in
   pkg/resource/deploy): its `--event-log` policy event carries that URN, never an empty one.
"""

from __future__ import annotations

from pathlib import Path

from tierguard.crossguard.analyzer_host import analyze_over_grpc, launch_pack
from tierguard.crossguard.packconfig import PackConfig
from tierguard.evaluate.evaluator import Evaluator
from tierguard.policies.packs import load_pack
from tierguard.testing import resource, stack

REPO = Path(__file__).resolve().parents[1]
ROOT_URN = "urn:pulumi:dev::edge-firewall-infra::pulumi:pulumi:Stack::edge-firewall-infra-dev"
FIREWALL = "gcp:compute/firewall:Firewall"


def _oversized():
    project = "edge-firewall-infra"
    return stack(
        [resource(FIREWALL, {"name": f"fw-{i}"}, f"fw-{i}", project=project) for i in range(130)],
        project=project,
    )


def test_stack_level_violation_carries_the_root_stack_urn_in_process() -> None:
    st = _oversized()
    assert st.root_urn == ROOT_URN
    found = Evaluator([load_pack("plan-size")]).evaluate(st).findings
    assert [(f.policy, f.urn) for f in found if f.blocking] == [("stack-size-limit", ROOT_URN)]


def test_stack_level_violation_carries_the_root_stack_urn_over_grpc() -> None:
    st = _oversized()
    pack = load_pack("plan-size")
    with launch_pack(REPO / "policypacks" / "plan-size", project=st.project, stack=st.stack) as client:
        found = analyze_over_grpc(client, st, PackConfig().reconcile([pack]))
    assert [(d.policy, d.urn) for d in found if d.enforcement_level == "mandatory"] == [
        ("stack-size-limit", ROOT_URN)
    ]
