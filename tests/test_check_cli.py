"""`tierguard check` end to end: a program run offline, its tier from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tierguard.cli import main

FOUR = Path(__file__).parent / "fixtures" / "programs" / "four-datastores"


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
    # each located at its declaring line in the program
    lines = {v["urn"].rsplit("::", 1)[-1]: v["location"]["line"] for v in tier}
    source = (FOUR / "__main__.py").read_text().splitlines()
    for name, line in lines.items():
        assert f'"{name}"' in source[line - 1] or f'"{name}",' in source[line], (name, line)


def test_the_same_stack_in_the_infra_tier_has_no_tier_finding(capsys) -> None:
    _, doc = _check(capsys, "--tier", "infra")
    assert [v for v in doc["violations"] if v["category"] == "tier-boundary"] == []
    assert doc["resources"] == 4


def test_without_a_tier_the_tier_policy_fails_closed(capsys) -> None:
    code, doc = _check(capsys, "--pack", "tier-boundaries")
    assert code == 1
    assert [v["policy"] for v in doc["violations"]] == ["tier-declared"]


def test_bad_input_is_one_line_and_exit_2(tmp_path) -> None:
    bad_config = tmp_path / "policy.json"
    bad_config.write_text('{"stack-size-limit": {"limits": "many"}}')
    cases = [
        ["check", str(tmp_path)],  # no Pulumi.yaml
        ["check", str(FOUR), "--stack", "staging"],  # missing stack config file
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
