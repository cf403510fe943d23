"""Exemptions under the real CLI, beyond the verdicts (test_e2e_exemptions.py): a reason made secret
with `pulumi config set --secret --path` reaches the pack decrypted through ConfigureStack and is
never printed; a malformed entry is the CLI's config error, with the pack's one-line message."""

from __future__ import annotations

from pathlib import Path

import pulumi_cli
from conftest import ROOT, copy_project
from e2e_support import tierguard

FIXTURE = ROOT / "tests" / "fixtures" / "programs" / "exempt-bucket"
PACK = str(ROOT / "policypacks" / "storage-protection")
SECRET = "s3cr3t-reason-e2e"


def _preview(ws: pulumi_cli.Workspace, project: Path, events: Path) -> tuple[int, list[dict], str]:
    result = ws.preview(project, "dev", "--policy-pack", PACK, "--event-log", str(events))
    logged = [e["policyEvent"] for e in pulumi_cli.read_events(events) if "policyEvent" in e]
    return result.returncode, logged, result.stdout + result.stderr


def test_a_secret_reason_is_never_printed_under_the_cli(ws, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TIERGUARD_TODAY", "2026-12-01")
    project = copy_project(FIXTURE, tmp_path)
    ws.run("stack", "init", "dev", cwd=project).check()
    path = "tierguard:exemptions[0].reason"
    ws.run("config", "set", "--secret", "--path", path, SECRET, cwd=project).check()
    events = tmp_path / "events.jsonl"
    code, logged, output = _preview(ws, project, events)
    assert code == 0, output[-3000:]
    [guard] = [e for e in logged if e["policyName"] == "storage-deletion-guards"]
    assert guard["enforcementLevel"] == "advisory"
    assert "exempted until 2026-12-31: [secret]" in guard["message"]
    assert SECRET not in output and SECRET not in events.read_text()


def test_a_malformed_exemption_is_a_config_error_under_the_cli(ws, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TIERGUARD_TODAY", "2026-12-01")
    project = copy_project(FIXTURE, tmp_path)
    stack_file = project / "Pulumi.dev.yaml"
    lines = stack_file.read_text().splitlines(True)
    stack_file.write_text("".join(line for line in lines if "reason:" not in line))
    ws.run("stack", "init", "dev", cwd=project).check()
    code, _, output = _preview(ws, project, tmp_path / "events.jsonl")
    assert code != 0
    assert "Pulumi.dev.yaml: tierguard:exemptions[0]: 'reason' is required" in output
    checked = tierguard("check", str(project), "-s", "dev", "--pack", "storage-protection")
    assert checked.returncode == 2 and "tierguard:exemptions[0]: 'reason' is required" in checked.stderr
