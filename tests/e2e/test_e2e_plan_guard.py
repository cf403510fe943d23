"""The plan guard on genuine previews: `pulumi up` the orders-infra fixture on a local backend, change
its program (through its stack config), and pipe `pulumi preview --json` and the engine event log to
`tierguard plan`. Removing a protected Cloud SQL instance, forcing a bucket's replacement (by
`--replace` and by a replace-forcing property) and renaming a bucket without an alias must block,
naming the resource, the forcing property, and carrying the CLI's own protect error; a label change
passes. After the `up`, `pulumi stack export` checked by `tierguard check` gives the program check's
findings, and a `pulumi config set --secret` value never reaches any tierguard output."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi_cli
import pytest
from conftest import copy_project
from e2e_support import report_violations, tierguard

PROGRAM = Path(__file__).resolve().parent / "programs" / "orders-infra"
SECRET = "s3cr3t-orders-pg-Pa55"  # the plaintext of `pulumi config set --secret dbPassword`
SQL = "urn:pulumi:dev::orders-infra::gcp:sql/databaseInstance:DatabaseInstance::orders-db"
MEDIA = "urn:pulumi:dev::orders-infra::gcp:storage/bucket:Bucket::media"
EXPORTS = "urn:pulumi:dev::orders-infra::gcp:storage/bucket:Bucket::exports"


@pytest.fixture
def deployed(ws: pulumi_cli.Workspace, tmp_path: Path) -> Path:
    project = copy_project(PROGRAM, tmp_path)
    ws.run("stack", "init", "dev", cwd=project).check()
    ws.run("config", "set", "--secret", "dbPassword", SECRET, cwd=project).check()
    ws.up(project, "dev").check()
    return project


def preview_files(ws: pulumi_cli.Workspace, project: Path, tmp: Path, *extra: str) -> tuple[int, str, Path]:
    """(exit code, `pulumi preview --json` document, event log path) of one genuine preview."""
    events = tmp / "preview.events.jsonl"
    events.unlink(missing_ok=True)
    result = ws.preview(project, "dev", "--json", "--event-log", str(events), *extra)
    return result.returncode, result.stdout, events


def plan(*, stdin: str | None = None, path: Path | None = None) -> tuple[int, dict, str]:
    """`tierguard plan` on a preview document (from standard input) or an event log (a file)."""
    args = ["plan", "-" if path is None else str(path), "--tier", "infra", "--format", "json"]
    out = tierguard(*args, stdin=stdin)
    assert out.returncode in (0, 1), out.stderr
    return out.returncode, json.loads(out.stdout), out.stdout + out.stderr


def blocking(report: dict) -> list[dict]:
    return [v for v in report["violations"] if v["enforcementLevel"] in ("mandatory", "remediate")]


def assert_blocks_on_both(ws, project: Path, tmp: Path, urn: str, *needles: str, extra: tuple[str, ...] = ()):
    code, document, events = preview_files(ws, project, tmp, *extra)
    for name, source in (("stdin", {"stdin": document}), ("events", {"path": events})):
        verdict, report, text = plan(**source)
        assert verdict == 1, f"{name}: tierguard plan passed:\n{text[-3000:]}"
        mine = [v for v in blocking(report) if v.get("urn") == urn]
        assert mine, f"{name}: nothing blocks {urn}: {blocking(report)}"
        messages = " ".join(v["message"] for v in mine)
        for needle in needles:
            assert needle in messages, f"{name}: {needle!r} not in {messages!r}"
        assert SECRET not in text
    return code, document


def test_removing_a_protected_sql_instance_blocks(ws, deployed: Path, tmp_path: Path) -> None:
    ws.run("config", "set", "withDatabase", "false", cwd=deployed).check()
    code, document = assert_blocks_on_both(ws, deployed, tmp_path, SQL, "no longer declared")
    assert code != 0  # the CLI itself refuses: the instance is protected
    _, report, _ = plan(stdin=document)
    engine = [v for v in blocking(report) if v["policy"] == "pulumi-engine-error"]
    assert any("protect" in v["message"] for v in engine), report["violations"]


def test_replace_forced_by_a_property_blocks_naming_it(ws, deployed: Path, tmp_path: Path) -> None:
    ws.run("config", "set", "mediaLocation", "US", cwd=deployed).check()
    code, document = assert_blocks_on_both(ws, deployed, tmp_path, MEDIA, "`location`")
    assert code != 0
    _, report, _ = plan(stdin=document)
    assert any("protect" in v["message"] for v in blocking(report) if v["policy"] == "pulumi-engine-error")


def test_replace_requested_with_replace_flag_blocks(ws, deployed: Path, tmp_path: Path) -> None:
    code, document = assert_blocks_on_both(ws, deployed, tmp_path, MEDIA, extra=("--replace", MEDIA))
    assert code != 0
    _, report, _ = plan(stdin=document)
    assert any("protect" in v["message"] for v in blocking(report) if v["policy"] == "pulumi-engine-error")


def test_rename_without_alias_blocks(ws, deployed: Path, tmp_path: Path) -> None:
    ws.run("config", "set", "exportsName", "exports-v2", cwd=deployed).check()
    code, _ = assert_blocks_on_both(ws, deployed, tmp_path, EXPORTS, "no longer declared")
    assert code == 0  # not protected: the CLI alone would let this delete through


def test_innocuous_change_passes(ws, deployed: Path, tmp_path: Path) -> None:
    ws.run("config", "set", "team", "payments", cwd=deployed).check()
    code, document, events = preview_files(ws, deployed, tmp_path)
    assert code == 0
    ops = {s["op"] for s in json.loads(document)["steps"]}
    assert "update" in ops and not ops & {"delete", "replace", "create-replacement", "delete-replaced"}
    for source in ({"stdin": document}, {"path": events}):
        verdict, _, text = plan(**source)
        assert verdict == 0, text[-3000:]
        assert SECRET not in text


def test_stack_export_gives_the_program_checks_findings(ws, deployed: Path, tmp_path: Path) -> None:
    exported = tmp_path / "export.json"
    exported.write_text(ws.run("stack", "export", cwd=deployed).check().stdout)
    from_export = tierguard("check", str(exported), "--tier", "infra", "--format", "json")
    from_program = tierguard("check", str(deployed), "--stack", "dev", "--format", "json")
    assert from_export.returncode == from_program.returncode == 0, from_export.stderr + from_program.stderr
    assert report_violations(from_export.stdout) == report_violations(from_program.stdout)
    assert report_violations(from_program.stdout)  # the advisory on the unprotected exports bucket


def test_secret_config_never_in_tierguard_output(ws, deployed: Path, tmp_path: Path) -> None:
    files = {}
    for name, args in {
        "export": ("stack", "export"),
        "export-shown": ("stack", "export", "--show-secrets"),
    }.items():
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(ws.run(*args, cwd=deployed).check().stdout)
    assert SECRET in files["export-shown"].read_text()  # the file does hold the plaintext
    ws.run("config", "set", "team", "payments", cwd=deployed).check()
    _, shown, events = preview_files(ws, deployed, tmp_path, "--show-secrets")
    files["preview-shown"] = tmp_path / "preview-shown.json"
    files["preview-shown"].write_text(shown)
    files["events"] = events
    outputs = [tierguard("check", str(deployed), "--stack", "dev", "-f", fmt) for fmt in ("json", "text")]
    for path in files.values():
        for fmt in ("json", "text", "sarif", "markdown", "junit"):
            command = "check" if path.name.startswith("export") else "plan"
            outputs.append(tierguard(command, str(path), "--tier", "infra", "--format", fmt))
    for out in outputs:
        assert out.returncode in (0, 1), out.stderr
        assert SECRET not in out.stdout + out.stderr
