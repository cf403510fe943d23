"""A user's pack's own output stays out of the reports: what it prints, at load and inside its
policies, is shown on stderr prefixed with its name, and every report format on stdout parses.
A pack that prints to stdout before it serves fails, as it fails under the CLI (tests/e2e/test_yours.py)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tierguard.cli import main
from tierguard.report import FORMATS

MARK = "PACK-SAYS"

PRINTING = f"""
import sys
from pulumi_policy import PolicyPack, ResourceValidationPolicy, StackValidationPolicy

print("{MARK} loading", file=sys.stderr)


def no_open_buckets(args, report_violation):
    print("{MARK} looking at", args.name)
    sys.stderr.write("{MARK} partial line without its end")
    if args.props.get("forceDestroy"):
        report_violation("force destroy is on")


def whole_stack(args, report_violation):
    print("{MARK} stack of", len(args.resources), "resources")


PolicyPack(
    name="printing-pack",
    policies=[
        ResourceValidationPolicy(name="no-open-buckets", description="No open buckets.",
                                 validate=no_open_buckets),
        StackValidationPolicy(name="whole-stack", description="The whole stack.", validate=whole_stack),
    ],
)
"""

PROJECT = "shop"
ROOT = f"urn:pulumi:dev::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-dev"


def _export(tmp_path: Path) -> Path:
    bucket = "gcp:storage/bucket:Bucket"
    doc = {
        "version": 3,
        "deployment": {
            "resources": [
                {"urn": ROOT, "type": "pulumi:pulumi:Stack", "custom": False},
                {
                    "urn": f"urn:pulumi:dev::{PROJECT}::{bucket}::open",
                    "type": bucket,
                    "custom": True,
                    "inputs": {"location": "EU", "forceDestroy": True},
                    "parent": ROOT,
                },
            ]
        },
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    return path


def _pack(tmp_path: Path, source: str, name: str = "printing-pack") -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (d / "__main__.py").write_text(source)
    return d


def tierguard_says(err: str) -> list[str]:
    """tierguard's own lines on stderr: all but the pack's (which carry its name)."""
    return [ln for ln in err.splitlines() if not ln.startswith("tierguard: pack ")]


def _parses(fmt: str, out: str) -> None:
    """``out`` is a whole document of format ``fmt``, and nothing else."""
    if fmt in {"json", "sarif"}:
        doc = json.loads(out)
        assert ("violations" in doc) if fmt == "json" else ("runs" in doc)
    elif fmt == "junit":
        assert ET.fromstring(out).tag in {"testsuites", "testsuite"}
    elif fmt in {"compact", "github"}:  # one line per finding, then the verdict line
        *findings, verdict = out.splitlines()
        line = r"^\S+:\d+: (warning|error|note) " if fmt == "compact" else r"^::(warning|error|notice) "
        assert findings and all(re.match(line, ln) for ln in findings), findings
        assert re.match(r"^tierguard: (passed|failed)", verdict), verdict
    elif fmt == "markdown":
        assert out.lstrip().startswith("#"), out[:200]
    elif fmt == "mermaid":
        assert out.startswith("flowchart LR\n") and "classDef " in out, out[:200]
    else:
        assert "no-open-buckets" in out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_printing_pack_leaves_every_format_parseable(fmt: str, tmp_path: Path, capsys) -> None:
    pack = _pack(tmp_path, PRINTING)
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(pack), "--format", fmt])
    captured = capsys.readouterr()
    assert code == 0  # the pack is advisory
    assert MARK not in captured.out
    _parses(fmt, captured.out)
    prefix = "tierguard: pack printing-pack: "
    said = [ln[len(prefix) :] for ln in captured.err.splitlines() if ln.startswith(prefix)]
    # loading is said once per process (the pack is cached), so only when this test loaded it
    assert f"{MARK} looking at open" in said and f"{MARK} stack of 2 resources" in said
    assert f"{MARK} partial line without its end" in said
    assert all(MARK in ln for ln in captured.err.splitlines() if MARK in ln and ln.startswith(prefix))
    assert not [ln for ln in captured.err.splitlines() if MARK in ln and not ln.startswith(prefix)]


def test_what_a_pack_prints_while_loading_is_on_stderr_under_its_name(tmp_path: Path, capsys) -> None:
    pack = _pack(tmp_path, PRINTING.replace("printing-pack", "loud-pack"), name="loud")
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(pack), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0
    json.loads(captured.out)
    assert f"tierguard: pack loud-pack: {MARK} loading\n" in captured.err


def test_printing_to_stdout_before_serving_fails_as_under_the_cli(tmp_path: Path, capsys) -> None:
    source = PRINTING.replace(f'print("{MARK} loading", file=sys.stderr)', f'print("{MARK} loading")')
    pack = _pack(tmp_path, source.replace("printing-pack", "stdout-pack"), name="stdout-pack")
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(pack), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    (line,) = tierguard_says(captured.err)
    assert "policy pack stdout-pack: prints to stdout while it loads" in line
    assert "wrote an invalid port to stdout" in line


# -- a pack that fails ------------------------------------------------------------------------------

FAILING = """
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def judge(args, report_violation):
    if args.resource_type == "gcp:storage/bucket:Bucket":
        {body}


def fix(args):
    if args.resource_type == "gcp:storage/bucket:Bucket":
        return {returned}


PolicyPack(
    name="failing-pack",
    enforcement_level=EnforcementLevel.{level},
    policies=[ResourceValidationPolicy(name="judge-buckets", description="Judge buckets.",
                                       validate=judge, remediate=fix)],
)
"""
BUCKET = f"urn:pulumi:dev::{PROJECT}::gcp:storage/bucket:Bucket::open"


def _fails(tmp_path: Path, capsys, fmt: str, body: str = "pass", returned: str = "None",
           level: str = "ADVISORY") -> str:
    source = FAILING.format(body=body, returned=returned, level=level)
    pack = _pack(tmp_path, source, name="failing")
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(pack), "--format", fmt])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""  # never a partial document
    (line,) = tierguard_says(captured.err)
    assert "Traceback" not in captured.err
    return line


def _traceback_of(line: str) -> str:
    match = re.search(r"\(traceback: (\S+)\)$", line)
    assert match, line
    return Path(match[1]).read_text()


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "text"])
def test_a_policy_that_raises_exits_2_with_one_line(tmp_path: Path, capsys, fmt: str) -> None:
    line = _fails(tmp_path, capsys, fmt, body="raise ValueError('no rule for ' + args.name)")
    assert f"__main__.py:7: policy pack failing-pack: policy judge-buckets: resource {BUCKET}: " in line
    assert "ValueError: no rule for open (traceback: " in line
    trace = _traceback_of(line)
    assert trace.startswith("Traceback (most recent call last):") and "in judge" in trace


def test_a_violation_the_sdk_rejects(tmp_path: Path, capsys) -> None:
    line = _fails(tmp_path, capsys, "json", body="report_violation(42)")
    assert f"policy judge-buckets: resource {BUCKET}: TypeError: Expected message to be a string" in line


def test_a_remediation_that_returns_no_properties(tmp_path: Path, capsys) -> None:
    line = _fails(tmp_path, capsys, "json", returned="'not properties'", level="REMEDIATE")
    assert "policy judge-buckets: resource" in line
    assert "TypeError: remediate returned a str, not a dict of properties" in line


def test_raising_at_load_names_the_line_and_keeps_the_traceback(tmp_path: Path, capsys) -> None:
    source = "import pulumi_policy\n\nraise RuntimeError('rules table\\nis broken')\n"
    pack = _pack(tmp_path, source, name="broken")
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(pack), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    (line,) = tierguard_says(captured.err)
    assert "__main__.py:3: policy pack broken: RuntimeError: rules table is broken (traceback: " in line
    assert "RuntimeError: rules table" in _traceback_of(line)


def test_a_secret_in_the_message_is_redacted(tmp_path: Path, capsys) -> None:
    doc = json.loads(_export(tmp_path).read_text())
    doc["deployment"]["resources"][1]["inputs"]["password"] = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "plaintext": json.dumps("hunter2-secret"),
    }
    (tmp_path / "export.json").write_text(json.dumps(doc))
    source = FAILING.format(body="raise ValueError(str(args.props['password']))", returned="None",
                            level="ADVISORY")
    pack = _pack(tmp_path, source, name="leaky")
    code = main(["check", str(tmp_path / "export.json"), "--policy-pack", str(pack), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    (line,) = tierguard_says(captured.err)
    assert "ValueError: [secret]" in line, line
    assert "hunter2-secret" not in captured.err and "hunter2-secret" not in _traceback_of(line)
