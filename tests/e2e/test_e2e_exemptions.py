"""Exemptions in the stack's own config (`tierguard:exemptions` in Pulumi.<stack>.yaml) under the
real CLI: the packs read them from ConfigureStack, so an exempted finding shows as an advisory event
and the preview passes; once expired it blocks again -- as `tierguard check` decides on the same
files (its violations, plus each exempted finding at `advisory`, equal the CLI's policy events)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pulumi_cli
import pytest
from conftest import PACKS, ROOT, copy_project, merged_policy_config, policy_args

EXEMPTION = """  tierguard:exemptions:
    - policy: storage-deletion-guards
      resource: media
      reason: "CI teardown empties the dev bucket until OPS-42 lands"
      expires: "2026-12-31"
"""


@pytest.mark.parametrize(("today", "blocks"), [("2026-12-01", False), ("2027-01-05", True)])
def test_stack_config_exemption_under_the_cli(cli, tmp_path: Path, today: str, blocks: bool) -> None:
    ws = pulumi_cli.Workspace(cli=cli, root=tmp_path / "pulumi", extra_env={"TIERGUARD_TODAY": today})
    project = copy_project(ROOT / "examples" / "violations" / "bucket-force-destroy", tmp_path)
    with (project / "Pulumi.dev.yaml").open("a") as f:
        f.write(EXEMPTION)
    ws.run("stack", "init", "dev", cwd=project).check()
    events = tmp_path / "events.jsonl"
    result = ws.preview(project, "dev", *policy_args("infra"), "--event-log", str(events))
    logged = pulumi_cli.read_events(events)
    assert pulumi_cli.packs_ran(logged) == set(PACKS)
    from_cli = pulumi_cli.policy_violations(logged)
    assert (result.returncode != 0) == blocks, result.stdout[-3000:]

    config = merged_policy_config("infra", tmp_path / "infra.json")
    offline = subprocess.run(
        [sys.executable, "-m", "tierguard", "check", str(project), "-s", "dev",
         "--policy-pack-config", str(config), "-f", "json"],
        capture_output=True, text=True, env={**os.environ, "TIERGUARD_TODAY": today}, timeout=600,
    )
    assert offline.returncode == (1 if blocks else 0), offline.stdout[-2000:] + offline.stderr
    report = json.loads(offline.stdout)
    shown = {(v["policy"], v.get("urn") or "", v["enforcementLevel"]) for v in report["violations"]}
    shown |= {(e["policy"], e.get("urn") or "", "advisory") for e in report.get("exempted", [])}
    assert from_cli == shown
    media = "urn:pulumi:dev::media-infra::gcp:storage/bucket:Bucket::media"
    levels = {lvl for policy, urn, lvl in from_cli if policy == "storage-deletion-guards" and urn == media}
    assert levels == ({"mandatory"} if blocks else {"advisory"})
