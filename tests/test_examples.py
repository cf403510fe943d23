"""Every example under examples/violations/ breaks a guardrail, and the policy it names catches it.

Each example's ``__main__.py`` states the policies that must fire in machine-readable lines
(``# tierguard-expect: <policy>``); ``tierguard check <dir> --format json`` must exit 1 with each of
them among the blocking violations.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tierguard.cli import main
from tierguard.policies.packs import all_packs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "violations"
EXPECT = re.compile(r"^#\s*tierguard-expect:\s*([A-Za-z0-9_.-]+)\s*$", re.MULTILINE)
EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if (p / "Pulumi.yaml").is_file())
COMPLIANT = ROOT / "examples" / "compliant"
COMPLIANT_DIRS = sorted(p for p in COMPLIANT.iterdir() if (p / "Pulumi.yaml").is_file())
CLOUD_EXAMPLES = [p for p in EXAMPLE_DIRS if p.name.startswith(("aws-", "azure-"))]


def expected_policies(example: Path) -> list[str]:
    return EXPECT.findall((example / "__main__.py").read_text(encoding="utf-8"))


def test_examples_cover_each_guardrail() -> None:
    """Issue 5's list: datastore in app, editor for CI, cluster-admin, forceDestroy, unprotected SQL,
    an oversized stack -- one example each, across all four categories."""
    assert len(EXAMPLE_DIRS) >= 6
    policies = {p.name: p for pack in all_packs() for p in pack.policies}
    expected = [name for example in EXAMPLE_DIRS for name in expected_policies(example)]
    categories = {tag for name in expected for tag in policies[name].tags or []}
    assert categories >= {"tier-boundary", "iam", "deletion-protection", "plan-size"}


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_expect_lines_name_real_policies(example: Path) -> None:
    names = {p.name for pack in all_packs() for p in pack.policies}
    expected = expected_policies(example)
    assert expected, f"{example.name}/__main__.py has no `# tierguard-expect: <policy>` line"
    assert set(expected) <= names, f"unknown policies: {set(expected) - names}"


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_example_is_caught(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(example), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1, f"exit {code}; stderr: {captured.err}"
    report = json.loads(captured.out)
    blocking = {
        v["policy"] for v in report["violations"] if v["enforcementLevel"] in ("mandatory", "remediate")
    }
    missing = set(expected_policies(example)) - blocking
    assert not missing, f"expected blocking findings of {sorted(missing)}; got {sorted(blocking)}"


def test_aws_and_azure_examples_cover_each_kind_of_violation_and_have_twins() -> None:
    """Issue 16: an AWS and an Azure example of each kind (IAM, storage protection, datastore in app),
    each with a compliant twin of the same name under examples/compliant/."""
    policies = {p.name: p for pack in all_packs() for p in pack.policies}
    for cloud in ("aws", "azure"):
        examples = [e for e in CLOUD_EXAMPLES if e.name.startswith(f"{cloud}-")]
        expected = {name for e in examples for name in expected_policies(e)}
        tags = {tag for name in expected for tag in policies[name].tags or []}
        assert tags >= {"iam", "deletion-protection", "tier-boundary"}, (cloud, tags)
        assert "no-datastore-in-app-tier" in expected
    assert {p.name for p in COMPLIANT_DIRS} == {p.name for p in CLOUD_EXAMPLES}


@pytest.mark.parametrize("twin", COMPLIANT_DIRS, ids=lambda p: p.name)
def test_compliant_twin_passes(twin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(twin), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, f"exit {code}; stderr: {captured.err}\n{captured.out[-2000:]}"
    report = json.loads(captured.out)
    assert report["resources"] >= 1
    blocking = [v for v in report["violations"] if v["enforcementLevel"] in ("mandatory", "remediate")]
    assert blocking == []
    # Same project (and so the same tier) as the violation it corrects.
    violation = EXAMPLES / twin.name / "Pulumi.yaml"
    assert (twin / "Pulumi.yaml").read_text().splitlines()[0] == violation.read_text().splitlines()[0]
