"""`tierguard check` end to end: a program run offline, its tier from the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from program_lines import declaration_lines

from tierguard.cli import main

FOUR = Path(__file__).parent / "fixtures" / "programs" / "four-datastores"
NO_STACK_FILE = Path(__file__).parent / "fixtures" / "programs" / "no-stack-file"


def _check(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", str(FOUR), "--stack", "dev", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_four_datastores_are_tier_findings_with_tier_app(capsys) -> None:
    code, doc = _check(capsys, "--tier", "app")
    assert code == 1
    tier = [v for v in doc["violations"] if v["category"] == "tier-boundary"]
    assert sorted(v["urn"].rsplit("::", 1)[-1] for v in tier) == ["kafka", "orders-db", "pg", "sessions"]
    assert {v["policy"] for v in tier} == {"no-datastore-in-app-tier"}
    assert all(v["enforcementLevel"] == "mandatory" for v in tier)
    # each located exactly at the line of its constructor call (not the line after: the name's)
    lines = {v["urn"].rsplit("::", 1)[-1]: v["location"]["line"] for v in tier}
    declared = declaration_lines(FOUR / "__main__.py")
    assert lines == {name: declared[name] for name in ("kafka", "orders-db", "pg", "sessions")}
    assert lines["orders-db"] == 6  # `orders = gcp.sql.DatabaseInstance(`; "orders-db" is on line 7


def test_the_same_stack_in_the_infra_tier_has_no_tier_finding(capsys) -> None:
    _, doc = _check(capsys, "--tier", "infra")
    assert [v for v in doc["violations"] if v["category"] == "tier-boundary"] == []
    assert doc["resources"] == 4


def test_without_a_tier_the_tier_policy_fails_closed(capsys) -> None:
    code, doc = _check(capsys, "--pack", "tier-boundaries")
    assert code == 1
    assert [v["policy"] for v in doc["violations"]] == ["tier-declared"]


def test_bad_input_is_one_line_and_exit_2(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    bad_config = tmp_path / "policy.json"
    bad_config.write_text('{"stack-size-limit": {"limits": "many"}}')
    bad_stack = tmp_path / "bad-stack"
    shutil.copytree(NO_STACK_FILE, bad_stack)
    (bad_stack / "Pulumi.dev.yaml").write_text("config:\n  - [unclosed\n")
    cases = [
        ["check", str(tmp_path / "empty")],  # no Pulumi project under it
        ["check", str(bad_stack), "--stack", "dev"],  # a stack file that exists but is malformed
        ["check", str(FOUR), "--stack", "dev", "--policy-pack-config", str(bad_config)],
        ["check", str(tmp_path / "nope.json")],
    ]
    for args in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "tierguard", *args], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tierguard: "), (args, proc.stderr)
        assert proc.stdout == ""


def test_a_project_with_only_pulumi_yaml_and_main_is_checked_without_stack(capsys) -> None:
    assert sorted(p.name for p in NO_STACK_FILE.iterdir() if p.suffix != ".pyc") == [
        "Pulumi.yaml", "__main__.py"
    ]
    code = main(["check", str(NO_STACK_FILE), "--format", "json"])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert [s["stack"] for s in doc["stacks"]] == ["orders-app/dev"]
    assert doc["stacks"][0]["notes"] and "'dev'" in doc["stacks"][0]["notes"][0]
    (note,) = captured.err.strip().splitlines()
    assert note.startswith("tierguard: note: ") and "no stack config" in note
    # project name suffix -app gives the tier: the Cloud SQL instance is a datastore in an app stack
    assert code == 1
    assert [v["urn"].rsplit("::", 1)[-1] for v in doc["violations"]
            if v["policy"] == "no-datastore-in-app-tier"] == ["orders-db"]


def test_a_project_with_only_pulumi_yaml_and_main_is_checked_with_stack(capsys) -> None:
    code = main(["check", str(NO_STACK_FILE), "--stack", "prod", "--tier", "infra",
                 "--pack", "tier-boundaries", "--format", "json"])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert code == 0
    assert [s["stack"] for s in doc["stacks"]] == ["orders-app/prod"]
    assert "notes" not in doc["stacks"][0] and captured.err == ""
    assert doc["resources"] == 2
    assert not [v for v in doc["violations"] if v["category"] == "tier-boundary"
                and v["enforcementLevel"] == "mandatory"]
