"""Every violation example under the real CLI: its preview fails, and the set of (policy, resource,
enforcement level) in its `--event-log` policy events is exactly what `tierguard check` reports for
the same program, stack and policy config. The packs `tierguard pack build` writes (what
`pulumi policy publish` uploads) give the same events as the source packs."""

from __future__ import annotations

from pathlib import Path

import pulumi_cli
import pytest
from conftest import PACKS, ROOT, copy_project, merged_policy_config, policy_args
from e2e_support import report_violations, tier_of, tierguard
from example_projects import PYTHON_RUNTIME, VIOLATIONS, projects

# the Python ones, which `tierguard check` runs offline (the YAML ones: test_e2e_yaml.py)
EXAMPLES = projects(VIOLATIONS, PYTHON_RUNTIME)


def cli_violations(ws: pulumi_cli.Workspace, project: Path, tier: str, tmp: Path, packs_root=None):
    ws.run("stack", "init", "dev", cwd=project).check()
    events = tmp / f"{project.name}.{'built' if packs_root else 'source'}.events.jsonl"
    result = ws.preview(project, "dev", *policy_args(tier, packs_root), "--event-log", str(events))
    logged = pulumi_cli.read_events(events)
    assert pulumi_cli.packs_ran(logged) == set(PACKS), "not every pack ran"
    return result, pulumi_cli.policy_violations(logged)


def check_violations(
    project: Path, tier: str, tmp: Path, capture: str = "mocks"
) -> set[tuple[str, str, str]]:
    config = merged_policy_config(tier, tmp / f"{tier}-policy-config.json")
    out = tierguard("check", str(project), "-s", "dev", "--policy-pack-config", str(config), "-f", "json",
                    "--capture", capture)
    assert out.returncode == 1, out.stderr
    return report_violations(out.stdout)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_cli_preview_fails_with_the_findings_of_tierguard_check(ws, tmp_path: Path, example: Path) -> None:
    project = copy_project(example, tmp_path)
    tier = tier_of(project)
    result, from_cli = cli_violations(ws, project, tier, tmp_path)
    assert result.returncode != 0, f"the CLI's preview passed:\n{result.stdout[-3000:]}"
    assert any(level == "mandatory" for _, _, level in from_cli), from_cli
    assert from_cli == check_violations(project, tier, tmp_path)
    # the protocol path (the engine's default providers registered offline too) decides the same
    assert from_cli == check_violations(project, tier, tmp_path, "engine")


@pytest.mark.parametrize("example", ["database-in-app-stack", "ci-editor-role"])
def test_built_packs_behave_like_the_source_packs(ws, tmp_path: Path, example: str) -> None:
    built = tmp_path / "built"
    for pack in ("tier-boundaries", "storage-protection", "least-privilege-iam", "plan-size"):
        out = tierguard("pack", "build", pack, "--output", str(built / pack))
        assert out.returncode == 0, out.stderr
    project = copy_project(ROOT / "examples" / "violations" / example, tmp_path)
    tier = tier_of(project)
    source_result, from_source = cli_violations(ws, project, tier, tmp_path)
    built_result, from_built = cli_violations_again(ws, project, tier, tmp_path, built)
    assert source_result.returncode != 0 and built_result.returncode != 0
    assert from_built == from_source
    assert from_built


def cli_violations_again(ws, project: Path, tier: str, tmp: Path, packs_root: Path):
    """A second preview of the same (already initialised) stack with other packs."""
    events = tmp / f"{project.name}.built.events.jsonl"
    result = ws.preview(project, "dev", *policy_args(tier, packs_root), "--event-log", str(events))
    logged = pulumi_cli.read_events(events)
    assert pulumi_cli.packs_ran(logged) == set(PACKS), "not every built pack ran"
    return result, pulumi_cli.policy_violations(logged)
