"""A mixed estate (issue 23): a TypeScript app stack (examples/mixed/shop-worker-app) deployed onto the
Python reference infra and identity stacks (reference_stacks/gcp), checked as one by `tierguard check`:
its StackReferences are answered by the Python programs' offline captures, and what they hand it
flows into the resources the guardrails judge.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tierguard.cli import main
from tierguard.readers import load_stacks, program

REPO = Path(__file__).resolve().parents[1]
GCP = REPO / "reference_stacks" / "gcp"
APP = REPO / "examples" / "mixed" / "shop-worker-app"


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", *args, "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else {"err": captured.err}


def test_the_typescript_app_and_the_python_stacks_pass_as_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check(capsys, str(GCP / "identity"), str(GCP / "infra"), str(APP))
    assert code == 0 and report["violations"] == [], report
    app = next(s for s in report["stacks"] if s["project"] == "shop-worker-app")
    assert app["tier"] == "app" and app["resources"] == 6
    referenced = {r["stack"] for r in app["stackReferences"]}
    assert referenced == {"acme/tierguard-infra/dev", "acme/tierguard-identity/dev"}
    projects = {s["project"] for s in report["stacks"]}
    assert projects == {"tierguard-identity", "tierguard-infra", "shop-worker-app"}


def test_alone_it_names_the_reference_it_cannot_answer(capsys: pytest.CaptureFixture[str]) -> None:
    program._RUNS.clear()  # as a fresh process
    code = main(["check", str(APP)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "StackReference 'acme/tierguard-" in err[0] and "together with this one" in err[0]


def test_referenced_outputs_reach_the_typescript_resources(tmp_path: Path) -> None:
    """Known outputs (here from a --stack-references file) flow through requireOutput into the inputs.
    (From a sibling's preview capture, some of whose outputs are unknown, the Node SDK makes all of a
    reference's outputs unknown: see tierguard/capture/languages/nodejs.py.)"""
    references = tmp_path / "refs.json"
    references.write_text(json.dumps({
        "acme/tierguard-infra/dev": {
            "namespaces": {"shop": "shop"}, "databaseSecretName": "database", "kubeconfig": "apiVersion: v1",
            "databaseConnectionName": "acme-shop-dev:europe-west1:tierguard-pg",
        },
        "acme/tierguard-identity/dev": {
            "appServiceAccounts": {"shop": "shop@acme-shop-dev.iam.gserviceaccount.com"},
        },
    }))
    program._RUNS.clear()
    [stack] = load_stacks([APP], references=str(references), use_cache=False)
    by_name = {(r.type, r.name): r for r in stack.resources}
    account = by_name[("kubernetes:core/v1:ServiceAccount", "order-worker")]
    assert account.inputs["metadata"]["namespace"] == "shop"
    assert account.inputs["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "shop@acme-shop-dev.iam.gserviceaccount.com",
    }
    spec = by_name[("kubernetes:apps/v1:Deployment", "order-worker")].inputs["spec"]["template"]["spec"]
    assert spec["initContainers"][0]["args"][-1] == "acme-shop-dev:europe-west1:tierguard-pg"
    assert spec["containers"][0]["envFrom"] == [{"secretRef": {"name": "database"}}]
    assert by_name[("kubernetes:apps/v1:Deployment", "order-worker")].location.file == "index.ts"
