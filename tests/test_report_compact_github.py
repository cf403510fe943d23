"""--format compact (`path:line: level policy message`) and --format github (workflow-command
annotations on the program line)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from program_lines import declaration_lines

from tierguard.cli import main
from tierguard.model.records import Finding, Location, Resource, Result, Stack
from tierguard.report import FORMATS, compact, github

FOUR = Path(__file__).parent / "fixtures" / "programs" / "four-datastores"
PREVIEW = Path(__file__).parent / "fixtures" / "pulumi-json" / "derived_gcp-protected-delete_preview.json"


@pytest.fixture(autouse=True)
def repo_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Locations are relative to the working directory (the repository root in CI)."""
    (tmp_path / "stacks" / "app").mkdir(parents=True)
    (tmp_path / "stacks" / "app" / "__main__.py").write_text("\n" * 20)
    (tmp_path / "stacks" / "app" / "Pulumi.yaml").write_text("name: shop-app\nruntime: python\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


MESSAGE = "Datastores live in infra.\nCloud SQL instance in an app stack, 50%: move it"


def finding(level: str = "mandatory", kind: str = "violation", location: Location | None = None,
            message: str = MESSAGE) -> Finding:
    return Finding(
        policy="no-datastore-in-app-tier", pack="tier-boundaries", category="tier-boundary", severity="high",
        enforcement_level=level, message=message,
        urn="urn:pulumi:dev::shop-app::gcp:sql/databaseInstance:DatabaseInstance::orders",
        type="gcp:sql/databaseInstance:DatabaseInstance", location=location, stack="shop-app/dev", kind=kind,
    )


def result(*findings: Finding) -> Result:
    res = [Resource(urn="urn:pulumi:dev::shop-app::t::r", type="t", name="r")]
    st = Stack(project="shop-app", stack="dev", resources=res, kind="program", source="stacks/app",
               project_file="stacks/app/Pulumi.yaml")
    return Result(st, list(findings))


def test_both_formats_are_registered() -> None:
    assert {"compact", "github"} <= set(FORMATS)


def test_compact_is_one_line_per_finding() -> None:
    text = compact.render([result(
        finding(location=Location("__main__.py", 12)),
        finding("advisory", location=Location("__main__.py", 3)),
        finding("advisory", kind="note"),
    )])
    lines = text.splitlines()
    assert lines[:3] == [  # ordered by file, then line
        "stacks/app/Pulumi.yaml:1: note no-datastore-in-app-tier Cloud SQL instance in an app stack, "
        "50%: move it [orders (gcp:sql/databaseInstance:DatabaseInstance)]",
        "stacks/app/__main__.py:3: warning no-datastore-in-app-tier Cloud SQL instance in an app stack, "
        "50%: move it [orders (gcp:sql/databaseInstance:DatabaseInstance)]",
        "stacks/app/__main__.py:12: error no-datastore-in-app-tier Cloud SQL instance in an app stack, "
        "50%: move it [orders (gcp:sql/databaseInstance:DatabaseInstance)]",
    ]
    assert lines[3].startswith("tierguard: FAILED") and len(lines) == 4
    assert re.fullmatch(r"[^:\s]+:\d+: (error|warning|note) \S+ .+", lines[0])


def test_github_annotations_are_escaped_workflow_commands() -> None:
    text = github.render([result(
        finding(location=Location("__main__.py", 12)),
        finding("advisory", location=Location("__main__.py", 3), message="d\nline one\nline, two: 100%"),
        finding("advisory", kind="note"),
    )])
    lines = text.splitlines()
    assert lines[0] == (
        "::error file=stacks/app/__main__.py,line=12,title=no-datastore-in-app-tier (mandatory)::"
        "Cloud SQL instance in an app stack, 50%25: move it "
        "[orders (gcp:sql/databaseInstance:DatabaseInstance), stack shop-app/dev]"
    )
    assert lines[1].startswith("::warning file=stacks/app/__main__.py,line=3,title=")
    assert "::line one line, two: 100%25 [" in lines[1]
    assert lines[2].startswith("::notice file=stacks/app/Pulumi.yaml,line=1,")
    assert lines[3].startswith("tierguard: FAILED")


def test_github_property_escaping() -> None:
    assert github._property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_check_writes_annotations_on_the_program_line(capsys, repo_root) -> None:
    code = main(["check", str(FOUR), "--stack", "dev", "--tier", "app", "--pack", "tier-boundaries",
                 "--format", "github"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    errors = [line for line in out if line.startswith("::error ")]
    assert len(errors) == 4
    lines = []
    for line in errors:
        match = re.match(r"::error file=([^,]+),line=(\d+),title=no-datastore-in-app-tier", line)
        assert match, line
        assert Path(match.group(1)).resolve() == (FOUR / "__main__.py").resolve()
        lines.append(int(match.group(2)))
    # each error at the line of its resource's constructor call, exactly
    declared = declaration_lines(FOUR / "__main__.py")
    assert sorted(lines) == sorted(declared[name] for name in ("orders-db", "sessions", "kafka", "pg"))


def test_check_compact_and_json_agree(capsys) -> None:
    main(["check", str(FOUR), "--stack", "dev", "--tier", "app", "--format", "compact"])
    lines = capsys.readouterr().out.splitlines()[:-1]
    main(["check", str(FOUR), "--stack", "dev", "--tier", "app", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert len(lines) == len(doc["violations"]) + len(doc["notes"])
    assert sum(" error " in line for line in lines) == sum(
        v["enforcementLevel"] == "mandatory" for v in doc["violations"])


def test_plan_compact_from_a_preview(capsys) -> None:
    assert main(["plan", str(PREVIEW), "--format", "compact"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(" error " in line for line in lines)
    assert all(re.fullmatch(r"[^\s]+:\d+: (error|warning|note) \S+ .+", line) for line in lines[:-1])


def test_precommit_hook_defaults_to_compact(tmp_path) -> None:
    from tierguard.integrations.precommit import check_args

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Pulumi.yaml").write_text("name: a\nruntime: python\n")
    assert check_args(["app/__main__.py"], tmp_path)[:3] == ["check", "--format", "compact"]
    args = check_args(["--format", "text", "app/__main__.py"], tmp_path)
    assert args[:3] == ["check", "--format", "text"]
    hooks = (Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text()
    assert "compact" in hooks
    proc = subprocess.run([sys.executable, "-m", "tierguard.integrations.precommit", "--help"],
                          capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[1])
    assert "compact" in proc.stdout
