"""The issue's "done when", end to end through `tierguard check` on a program run offline: a stack
config exemption for one storage finding passes with the finding listed as exempted; moving
`expires` into the past fails again naming the exemption; removing `reason` is exit 2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from program_lines import declaration_lines

from tierguard.cli import main
from tierguard.policies.exemptions import CLOCK_ENV
from tierguard.report import FORMATS

FIXTURE = Path(__file__).parent / "fixtures" / "programs" / "exempt-bucket"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CLOCK_ENV, "2026-12-01")
    dest = tmp_path / "exempt-bucket"
    shutil.copytree(FIXTURE, dest)
    return dest


def _set(project: Path, **changes: object) -> None:
    file = project / "Pulumi.dev.yaml"
    doc = yaml.safe_load(file.read_text())
    entry = doc["config"]["tierguard:exemptions"][0]
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    file.write_text(yaml.safe_dump(doc, sort_keys=False))


def _check(capsys, project: Path, *args: str) -> tuple[int, dict]:
    code = main(["check", str(project), "--tier", "infra", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_exempted_finding_passes_and_is_listed(capsys, project: Path) -> None:
    code, doc = _check(capsys, project)
    assert code == 0 and doc["verdict"] == "pass"
    assert not [v for v in doc["violations"] if v["policy"] == "storage-deletion-guards"]
    [ex] = doc["exempted"]
    assert ex["policy"] == "storage-deletion-guards" and ex["enforcementLevel"] == "mandatory"
    assert ex["urn"].endswith("::media")
    assert ex["location"]["line"] == declaration_lines(project / "__main__.py")["media"]
    assert ex["exemption"]["entry"] == "tierguard:exemptions[0]"
    assert ex["exemption"]["source"] == "stack" and ex["exemption"]["daysLeft"] == 30
    assert ex["exemption"]["file"].endswith("Pulumi.dev.yaml")
    assert doc["stacks"][0]["exempted"] == 1
    # the text report counts it and lists it on request
    main(["check", str(project), "--tier", "infra", "--show-exempted"])
    text = capsys.readouterr().out
    assert "1 exempted" in text.splitlines()[-1]
    assert "OPS-42" in text and "platform-team" in text


def test_an_expired_exemption_fails_again_naming_it(capsys, project: Path) -> None:
    _set(project, expires="2026-11-30")
    code, doc = _check(capsys, project)
    assert code == 1 and doc["exempted"] == []
    [v] = [v for v in doc["violations"] if v["policy"] == "storage-deletion-guards"]
    assert "exemption tierguard:exemptions[0] (storage-deletion-guards on media) expired on 2026-11-30" in (
        v["message"]
    )


def test_an_exemption_without_reason_is_exit_2_naming_file_and_entry(project: Path) -> None:
    _set(project, reason=None)
    proc = subprocess.run(
        [sys.executable, "-m", "tierguard", "check", str(project), "--tier", "infra"],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, CLOCK_ENV: "2026-12-01"},
    )
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("tierguard: ") and "Traceback" not in proc.stderr
    assert "Pulumi.dev.yaml: tierguard:exemptions[0]: 'reason' is required" in line
    assert proc.stdout == ""


def test_a_secure_reason_is_never_printed(capsys, project: Path) -> None:
    ciphertext = "v1:5yv7Jd1kWxYq:Zm9vYmFyLXNlY3JldC1yZWFzb24="
    _set(project, reason={"secure": ciphertext})
    for fmt in sorted(FORMATS):  # every report format
        code = main(["check", str(project), "--tier", "infra", "--format", fmt, "--show-exempted"])
        out = capsys.readouterr().out
        assert code == 0, fmt
        assert ciphertext not in out and "Zm9vYmFy" not in out, fmt
    _, doc = _check(capsys, project)
    assert doc["exempted"][0]["exemption"]["reason"] == "[secret]"
    assert doc["exempted"][0]["exemption"]["approvedBy"] == "[secret]"
