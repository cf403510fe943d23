"""Every example under examples/violations/ breaks a guardrail, and the policy it names catches it.

Each example's program file (``__main__.py``; Pulumi.yaml for a Pulumi YAML one) states the policies
that must fire in machine-readable lines (``# tierguard-expect: <policy>``); for the Python examples
``tierguard check <dir> --format json`` must exit 1 with each of them among the blocking
violations. The Pulumi YAML examples run offline through the real YAML language host
(tests/yaml_offline.py) and must report exactly the (policy, level) pairs their Pulumi.yaml names;
tests/e2e/test_e2e_yaml.py compares them with the real CLI's findings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from example_projects import (
    COMPLIANT,
    NODEJS_RUNTIME,
    PROGRAM_FILE,
    PYTHON_RUNTIME,
    VIOLATIONS,
    YAML_RUNTIME,
    expectations,
    program_file,
    projects,
)
from yaml_offline import standin_home, yaml_runtime  # noqa: F401  (fixtures)

from tierguard.cli import main
from tierguard.policies.packs import all_packs

EXAMPLES = VIOLATIONS
ALL_EXAMPLES = projects(EXAMPLES)
EXAMPLE_DIRS = projects(EXAMPLES, PYTHON_RUNTIME)  # the Python ones (the YAML ones: their own tests)
COMPLIANT_DIRS = projects(COMPLIANT, PYTHON_RUNTIME)
CLOUD_EXAMPLES = [p for p in EXAMPLE_DIRS if p.name.startswith(("aws-", "azure-"))]
YAML_EXAMPLES = projects(EXAMPLES, YAML_RUNTIME)
YAML_TWINS = projects(COMPLIANT, YAML_RUNTIME)
NODE_EXAMPLES = projects(EXAMPLES, NODEJS_RUNTIME)  # TypeScript and JavaScript, run offline
NODE_TWINS = projects(COMPLIANT, NODEJS_RUNTIME)


def expected_policies(example: Path) -> list[str]:
    return sorted(policy for policy, _ in expectations(example))


def test_examples_cover_each_guardrail() -> None:
    """Issue 5's list: datastore in app, editor for CI, cluster-admin, forceDestroy, unprotected SQL,
    an oversized stack -- one example each, across all four categories."""
    assert len(EXAMPLE_DIRS) >= 6
    policies = {p.name: p for pack in all_packs() for p in pack.policies}
    expected = [name for example in EXAMPLE_DIRS for name in expected_policies(example)]
    categories = {tag for name in expected for tag in policies[name].tags or []}
    assert categories >= {"tier-boundary", "iam", "deletion-protection", "plan-size"}


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda p: p.name)
def test_expect_lines_name_real_policies(example: Path) -> None:
    names = {p.name for pack in all_packs() for p in pack.policies}
    expected = expected_policies(example)
    assert expected, f"{example.name} has no `# tierguard-expect: <policy>` line in its program file"
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


def test_yaml_examples_cover_the_four_kinds_and_have_twins() -> None:
    """Issue 23: Pulumi YAML versions of datastore in app, broad IAM, unprotected storage and an
    oversized plan, each with a compliant twin of the same name and project."""
    policies = {p.name: p for pack in all_packs() for p in pack.policies}
    expected = {name for e in YAML_EXAMPLES for name in expected_policies(e)}
    assert {tag for name in expected for tag in policies[name].tags or []} >= {
        "tier-boundary", "iam", "deletion-protection", "plan-size",
    }
    assert {p.name for p in YAML_TWINS} == {p.name for p in YAML_EXAMPLES}
    for twin in YAML_TWINS:
        assert not (twin / PROGRAM_FILE[PYTHON_RUNTIME]).exists()
        violation = EXAMPLES / twin.name / "Pulumi.yaml"
        assert (twin / "Pulumi.yaml").read_text().splitlines()[0] == violation.read_text().splitlines()[0]


@pytest.mark.usefixtures("yaml_runtime")
@pytest.mark.parametrize("example", YAML_EXAMPLES, ids=lambda p: p.name)
def test_yaml_example_offline_reports_exactly_what_it_names(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Offline check runs the YAML program through the real YAML host (issue 23): exit 1, and the
    (policy, level) pairs found are exactly those its Pulumi.yaml names, each at its resource's line."""
    code = main(["check", str(example), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1, f"exit {code}; stderr: {captured.err}"
    report = json.loads(captured.out)
    found = {(v["policy"], v["enforcementLevel"]) for v in report["violations"]}
    assert found == expectations(example)
    lines = (example / "Pulumi.yaml").read_text().splitlines()
    for v in report["violations"]:
        if v["urn"].split("::")[2] == "pulumi:pulumi:Stack":
            continue  # a stack-level finding (the plan size) has no one resource to point at
        assert v["location"]["file"] == "Pulumi.yaml", v
        assert lines[v["location"]["line"] - 1].strip() == v["urn"].rsplit("::", 1)[1] + ":", v


@pytest.mark.usefixtures("yaml_runtime")
@pytest.mark.parametrize("twin", YAML_TWINS, ids=lambda p: p.name)
def test_yaml_compliant_twin_passes_offline_with_no_finding(
    twin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", str(twin), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, f"exit {code}; stderr: {captured.err}\n{captured.out[-2000:]}"
    report = json.loads(captured.out)
    assert report["resources"] >= 2
    assert report["violations"] == []


# -- TypeScript and JavaScript (runtime: nodejs), run offline against examples/node_modules -----------


def test_node_examples_cover_the_four_kinds_with_typescript_and_javascript_and_have_twins() -> None:
    """Issue 23: TypeScript versions of datastore in app, broad IAM, unprotected storage and an
    oversized plan, a JavaScript example, each with a compliant twin of the same name and project."""
    policies = {p.name: p for pack in all_packs() for p in pack.policies}
    typescript = [e for e in NODE_EXAMPLES if program_file(e).suffix == ".ts"]
    expected = {name for e in typescript for name in expected_policies(e)}
    assert {tag for name in expected for tag in policies[name].tags or []} >= {
        "tier-boundary", "iam", "deletion-protection", "plan-size",
    }
    assert any(program_file(e).suffix == ".js" for e in NODE_EXAMPLES)
    assert {p.name for p in NODE_TWINS} == {p.name for p in NODE_EXAMPLES}
    for twin in NODE_TWINS:
        violation = EXAMPLES / twin.name / "Pulumi.yaml"
        assert (twin / "Pulumi.yaml").read_text().splitlines()[0] == violation.read_text().splitlines()[0]


@pytest.mark.parametrize("example", NODE_EXAMPLES, ids=lambda p: p.name)
def test_node_example_reports_exactly_what_it_expects_at_its_lines(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", str(example), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1, f"exit {code}; stderr: {captured.err}"
    report = json.loads(captured.out)
    assert {(v["policy"], v["enforcementLevel"]) for v in report["violations"]} == expectations(example)
    lines = program_file(example).read_text(encoding="utf-8").splitlines()
    for finding in report["violations"]:
        if finding["policy"] == "stack-size-limit":
            continue  # a finding on the stack points at its Pulumi.yaml
        loc = finding["location"]
        assert loc["file"] == program_file(example).name, finding
        # the line that declares the resource (`new <Type>(` with the resource's name on it)
        name = finding["urn"].rsplit("::", 1)[1]
        assert "new " in lines[loc["line"] - 1] and f'"{name}"' in lines[loc["line"] - 1], (finding, loc)


@pytest.mark.parametrize("twin", NODE_TWINS, ids=lambda p: p.name)
def test_node_twin_is_clean(twin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(twin), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, f"exit {code}; stderr: {captured.err}\n{captured.out[-2000:]}"
    report = json.loads(captured.out)
    assert report["resources"] >= 2 and report["violations"] == []
