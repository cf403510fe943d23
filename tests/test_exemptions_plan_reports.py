"""Exemptions in the plan guard, in every report format, and the `tierguard exemptions` command."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from pulumi_json import REPLACE

from tierguard.cli import main
from tierguard.crossguard.packconfig import PackConfig
from tierguard.evaluate.evaluator import Evaluator
from tierguard.policies.exemptions import CLOCK_ENV, STACK_KEY
from tierguard.policies.packs import load_pack
from tierguard.report import render
from tierguard.testing import resource, stack

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CLOCK_ENV, "2026-12-01")


def _item(**over: object) -> dict:
    base = {
        "policy": "plan-protected-destroy",
        "resource": "tested-resource",
        "reason": "moving the bucket to the EU region, data copied (CHG-7)",
        "expires": "2026-12-15",
        "approvedBy": "data-owners",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def _preview(tmp_path: Path, exemptions: list[dict]) -> Path:
    doc = json.loads(REPLACE.read_text())
    doc["config"][STACK_KEY] = json.dumps(exemptions)
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(doc))
    return path


def _plan(capsys, path: Path, *args: str) -> tuple[int, dict]:
    code = main(["plan", str(path), "--plan-only", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


# -- the plan guard -------------------------------------------------------------------------------


def test_an_approved_replacement_of_protected_storage_passes_until_its_date(capsys, tmp_path, monkeypatch):
    code, doc = _plan(capsys, _preview(tmp_path, []))
    assert code == 1 and "plan-protected-destroy" in doc["stacks"][0]["plan"]["blockedBy"]

    code, doc = _plan(capsys, _preview(tmp_path, [_item()]))
    assert code == 0, doc["violations"]
    [ex] = doc["exempted"]
    assert ex["policy"] == "plan-protected-destroy" and ex["urn"].endswith("::tested-resource")
    assert ex["exemption"]["approvedBy"] == "data-owners"
    assert doc["stacks"][0]["plan"]["risky"][0]["exempted"] is True

    monkeypatch.setenv(CLOCK_ENV, "2026-12-16")
    code, doc = _plan(capsys, _preview(tmp_path, [_item()]))
    assert code == 1
    [v] = [v for v in doc["violations"] if v["policy"] == "plan-protected-destroy"]
    assert "expired on 2026-12-15" in v["message"] and "tierguard:exemptions[0]" in v["message"]


def test_an_approved_step_is_left_out_of_the_op_limit_it_names(capsys, tmp_path):
    cfg = tmp_path / "plan.yaml"
    cfg.write_text("plan:\n  defaults:\n    maxReplaces: 0\n    protectedDestroy: disabled\n")
    code, doc = _plan(capsys, _preview(tmp_path, []), "--config", str(cfg))
    assert code == 1 and [v["policy"] for v in doc["violations"]] == ["plan-max-replaces"]

    code, doc = _plan(capsys, _preview(tmp_path, [_item(policy="plan-max-replaces")]), "--config", str(cfg))
    assert code == 0, doc["violations"]
    assert [e["policy"] for e in doc["exempted"]] == ["plan-max-replaces"]


def test_a_stale_plan_exemption_is_a_note(capsys, tmp_path):
    code, doc = _plan(capsys, _preview(tmp_path, [_item(), _item(resource="nothing-here")]))
    assert code == 0
    [note] = [n for n in doc["notes"] if "stale exemption" in n["message"]]
    assert "tierguard:exemptions[1]" in note["message"] and note["enforcementLevel"] == "advisory"


def test_a_malformed_plan_exemption_is_exit_2(capsys, tmp_path):
    assert main(["plan", str(_preview(tmp_path, [_item(reason=None)])), "--plan-only"]) == 2
    err = capsys.readouterr().err
    assert "preview.json: tierguard:exemptions[0]: 'reason' is required" in err


# -- every report format --------------------------------------------------------------------------


def _result():
    st = stack(
        [
            resource("gcp:storage/bucket:Bucket", {"forceDestroy": True}, "media", line=3),
            resource("gcp:storage/bucket:Bucket", {"forceDestroy": True}, "scratch", line=9),
        ]
    )
    st.config = {STACK_KEY: json.dumps([
        {"policy": "storage-deletion-guards", "resource": "media", "reason": "CI teardown (OPS-42)",
         "expires": "2026-12-31", "approvedBy": "platform-team", "ticket": "OPS-42"},
    ])}
    entries = {"storage-protect-option": {"exemptions": [
        {"resource": "*", "reason": "dev data is disposable", "expires": "2027-01-31"}]}}
    return Evaluator([load_pack("storage-protection")], PackConfig(entries=entries)).evaluate(st)


def test_sarif_marks_exempted_results_as_suppressed() -> None:
    doc = json.loads(render("sarif", [_result()]))
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(doc)
    results = doc["runs"][0]["results"]
    suppressed = {(r["ruleId"], r["properties"]["urn"].rsplit("::", 1)[-1]): r["suppressions"][0]
                  for r in results if "suppressions" in r}
    stack_one = suppressed[("storage-deletion-guards", "media")]
    assert stack_one["kind"] == "inSource" and stack_one["status"] == "accepted"
    assert "CI teardown (OPS-42)" in stack_one["justification"] and "2026-12-31" in stack_one["justification"]
    assert suppressed[("storage-protect-option", "media")]["kind"] == "external"
    # the unexempted guard finding on `scratch` is an ordinary result
    assert any(r["ruleId"] == "storage-deletion-guards" and "suppressions" not in r
               and r["properties"]["urn"].endswith("::scratch") for r in results)


def test_junit_skips_a_policy_whose_findings_are_all_exempted() -> None:
    root = ET.fromstring(render("junit", [_result()]))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    protect = cases["storage-protection/storage-protect-option"]
    skipped = protect.find("skipped")
    assert skipped is not None and "dev data is disposable" in skipped.get("message")
    guards = cases["storage-protection/storage-deletion-guards"]
    assert guards.find("failure") is not None and guards.find("skipped") is None  # scratch still fails
    assert "exempted until 2026-12-31: CI teardown (OPS-42)" in guards.find("system-out").text
    assert root.find("testsuite").get("skipped") == "1"


def test_markdown_has_a_collapsed_exempted_section() -> None:
    text = render("markdown", [_result()])
    assert "<details><summary>Exempted (3)</summary>" in text
    assert "platform-team" in text and "tierguard:exemptions[0]" in text


# -- `tierguard exemptions` -----------------------------------------------------------------------


def test_the_exemptions_command_lists_and_warns(capsys, tmp_path: Path, monkeypatch) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  tierguard:exemptions:\n"
        "    - {policy: storage-deletion-guards, resource: media, reason: teardown, expires: '2026-12-31',"
        " approvedBy: platform-team}\n"
    )
    policy = tmp_path / "policy.json"
    grant = {"policy": "gcp-*", "resource": "type:gcp:projects/*", "reason": "legacy grant",
             "expires": "2026-12-05"}
    policy.write_text(json.dumps({"all": {"enforcementLevel": "mandatory", "exemptions": [grant]}}))

    assert main(["exemptions", str(project), "--warn-days", "3", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    [ex] = doc["exemptions"]
    assert ex["daysLeft"] == 30 and ex["approvedBy"] == "platform-team" and ex["status"] == "in force"

    # one expires within --warn-days: exit 1
    assert main(["exemptions", str(project), str(policy), "--warn-days", "7"]) == 1
    out = capsys.readouterr().out
    assert "expires soon" in out and "legacy grant" in out and "platform-team" in out

    monkeypatch.setenv(CLOCK_ENV, "2027-01-02")
    assert main(["exemptions", str(project), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["exemptions"][0]["status"] == "expired"

    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  tierguard:exemptions:\n    - {policy: x, resource: y, expires: '2026-12-31'}\n"
    )
    assert main(["exemptions", str(project)]) == 2
    assert "Pulumi.dev.yaml: tierguard:exemptions[0]: 'reason' is required" in capsys.readouterr().err


def test_compact_and_github_show_exempted_findings_as_notes() -> None:
    compact = render("compact", [_result()]).splitlines()
    exempted = [line for line in compact if "exempted until" in line]
    assert any(": note storage-deletion-guards exempted until 2026-12-31: CI teardown (OPS-42)" in line
               for line in exempted)
    assert not any(" error " in line for line in exempted)
    github = render("github", [_result()]).splitlines()
    notices = [line for line in github if line.startswith("::notice ") and "exempted until" in line]
    assert len(notices) == 3
    assert any("storage-deletion-guards (exempted until 2026-12-31)" in line for line in notices)
