"""A user's pack built with `tierguard.PolicyPack` under the real CLI (issue 25 item 5): one stack-config
and one policy-config exemption reach it (tierguard's servicer keeps ConfigureStack's config), so the
exempted findings are advisory and the preview passes -- and `tierguard check` on the same files
decides the same: its (policy, URN, level) set and its exempted set equal the CLI's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pulumi_cli
import pytest
import yaml
from conftest import ROOT, copy_project
from e2e_support import tierguard

FIXTURES = ROOT / "tests" / "fixtures"
EXEMPTION = {"resource": "media", "reason": "EU data stays put until OPS-7", "expires": "2026-12-20"}


@pytest.mark.parametrize(("today", "blocks"), [("2026-12-01", False), ("2027-01-05", True)])
def test_a_tierguard_policy_pack_honours_exemptions_under_the_cli(
    cli, tmp_path: Path, monkeypatch, today: str, blocks: bool
) -> None:
    monkeypatch.setenv("TIERGUARD_TODAY", today)  # the CLI's pack and tierguard check read the same clock
    ws = pulumi_cli.Workspace(cli=cli, root=tmp_path / "pulumi")
    project = copy_project(FIXTURES / "programs" / "exempt-bucket", tmp_path)
    stack_file = project / "Pulumi.dev.yaml"
    doc = yaml.safe_load(stack_file.read_text())
    doc["config"]["tierguard:exemptions"][0]["policy"] = "bucket-team-label"
    stack_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    ws.run("stack", "init", "dev", cwd=project).check()
    pack = tmp_path / "exempting"
    shutil.copytree(FIXTURES / "packs" / "user" / "exempting", pack)
    config = tmp_path / "exempting.json"
    config.write_text(json.dumps({"bucket-location": {"allowed": ["US"], "exemptions": [EXEMPTION]}}))

    events = tmp_path / "events.jsonl"
    preview = ws.preview(project, "dev", "--policy-pack", str(pack), "--policy-pack-config", str(config),
                         "--event-log", str(events))
    logged = pulumi_cli.read_events(events)
    assert pulumi_cli.packs_ran(logged) == {"acme-buckets"}, preview.stdout[-3000:] + preview.stderr[-3000:]
    from_cli = pulumi_cli.policy_violations(logged)
    exempted_cli = {
        (e["policyEvent"]["policyName"], e["policyEvent"].get("resourceUrn", ""))
        for e in logged
        if "policyEvent" in e and "\nexempted until " in e["policyEvent"]["message"]
    }

    out = tierguard("check", str(project), "--stack", "dev", "--policy-pack", str(pack),
                    "--policy-pack-config", str(config), "--format", "json", cwd=project)
    assert (preview.returncode != 0) == blocks, preview.stdout[-3000:]
    assert out.returncode == (1 if blocks else 0), out.stderr[-3000:]
    report = json.loads(out.stdout)
    shown = {(v["policy"], v.get("urn") or "", v["enforcementLevel"]) for v in report["violations"]}
    shown |= {(e["policy"], e.get("urn") or "", "advisory") for e in report["exempted"]}
    assert from_cli == shown
    assert exempted_cli == {(e["policy"], e["urn"]) for e in report["exempted"]}

    media = "urn:pulumi:dev::media-infra::gcp:storage/bucket:Bucket::media"
    levels = {(p, lvl) for p, urn, lvl in from_cli if urn == media}
    if blocks:  # both exemptions expired: the findings are violations again, under both
        assert levels == {("bucket-team-label", "mandatory"), ("bucket-location", "mandatory")}
        assert exempted_cli == set()
    else:
        assert levels == {("bucket-team-label", "advisory"), ("bucket-location", "advisory")}
        assert exempted_cli == {("bucket-team-label", media), ("bucket-location", media)}
