"""What the real engine sends a Python policy pack, recorded by a probe pack (tests/e2e/probe_pack).

These are the facts our offline path imitates (tierguard/evaluate/evaluator.py,
tierguard/crossguard/analyzer_host.py, tierguard/crossguard/serve.py); each is checked here against
the real CLI so that a change of Pulumi's shows up as a failing test, not as a silent difference:
- the pack's environment carries no PULUMI_CONFIG / PULUMI_PROJECT / PULUMI_STACK (RunPlugin);
- ConfigureStack carries project, stack, organization, dry-run, the backend's stack tags (on a
  local backend nothing else), and the whole stack config **with secret values in plaintext**,
  their keys listed in configSecretKeys;
- Configure is called only when a policy config is given;
- Remediate and Analyze are called for every resource, the root pulumi:pulumi:Stack and the
  default provider included; AnalyzeStack gets them all, the stack with its outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import copy_project

HERE = Path(__file__).resolve().parent
SECRET = "probe-s3cret-value"
ROOT = "urn:pulumi:dev::orders-infra::pulumi:pulumi:Stack::orders-infra-dev"
PROVIDER = "urn:pulumi:dev::orders-infra::pulumi:providers:gcp::default_"


def test_what_the_engine_sends_a_pack(cli, tmp_path: Path) -> None:
    import pulumi_cli

    out = tmp_path / "probe.json"
    env = {"TIERGUARD_PROBE_OUT": str(out)}
    ws = pulumi_cli.Workspace(cli=cli, root=tmp_path / "pulumi", extra_env=env)
    project = copy_project(HERE / "programs" / "orders-infra", tmp_path)
    ws.run("stack", "init", "dev", cwd=project).check()
    ws.run("config", "set", "--secret", "dbPassword", SECRET, cwd=project).check()
    ws.run("stack", "tag", "set", "tier", "infra", cwd=project).check()
    ws.preview(project, "dev", "--policy-pack", str(HERE / "probe_pack")).check()
    probe = json.loads(out.read_text())

    assert not {"PULUMI_CONFIG", "PULUMI_PROJECT", "PULUMI_STACK"} & set(probe["env"])
    calls: dict[str, list] = {}
    for name, body in probe["calls"]:
        calls.setdefault(name, []).append(body)
    assert "Configure" not in calls  # no --policy-pack-config given
    (stack,) = calls["ConfigureStack"]
    assert (stack["project"], stack["stack"], stack["organization"], stack["dryRun"]) == (
        "orders-infra", "dev", "organization", True
    )
    assert stack["tags"] == {"tier": "infra"}
    assert stack["config"]["orders-infra:dbPassword"] == SECRET
    assert stack["configSecretKeys"] == ["orders-infra:dbPassword"]
    assert stack["config"]["gcp:project"] == "acme-orders-dev"

    analyzed = [c["urn"] for c in calls["Analyze"]]
    assert ROOT in analyzed and any(u.startswith(PROVIDER) for u in analyzed)
    assert sorted(c["urn"] for c in calls["Remediate"]) == sorted(analyzed)
    (whole,) = calls["AnalyzeStack"]
    by_urn = {r["urn"]: r for r in whole["resources"]}
    assert set(by_urn) == set(analyzed)
    assert "mediaBucket" in by_urn[ROOT]["properties"]  # the root stack: its outputs
    media = "urn:pulumi:dev::orders-infra::gcp:storage/bucket:Bucket::media"
    assert by_urn[media]["parent"] == ROOT
