"""TypeScript and JavaScript programs under the real CLI: the STAND-IN Node.js language host
(tools/pulumi/plugins/pulumi-language-nodejs, written because the module proxy does not serve the real
one) runs each example with the project's own @pulumi/pulumi run entry, against the real engine and the
stand-in providers, with all four packs and the tier's config from ci/policy-groups.

The (policy, URN, enforcement level) set of the preview's policy events equals what offline
`tierguard check` reports for the same program, stack and config; each compliant twin gives none.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pulumi_cli
import pytest
from conftest import PACKS, ROOT, merged_policy_config, policy_args
from e2e_support import report_violations, tier_of, tierguard
from example_projects import COMPLIANT, NODEJS_RUNTIME, VIOLATIONS, expectations, projects

NODE_EXAMPLES = projects(VIOLATIONS, NODEJS_RUNTIME)
NODE_TWINS = projects(COMPLIANT, NODEJS_RUNTIME)
EXAMPLES = ROOT / "examples"


def copy_node_project(src: Path, tmp: Path) -> Path:
    """A private copy at the same depth, beside a link to examples/node_modules and the shared
    tsconfig.base.json, so that Node and TypeScript resolve as in the repository."""
    root = tmp / "examples"
    if not root.exists():
        root.mkdir()
        (root / "node_modules").symlink_to(EXAMPLES / "node_modules", target_is_directory=True)
        shutil.copy(EXAMPLES / "tsconfig.base.json", root)
        shutil.copy(EXAMPLES / "package-lock.json", root)
    dest = root / src.parent.name / src.name
    shutil.copytree(src, dest)
    return dest


def cli_findings(ws: pulumi_cli.Workspace, project: Path, tmp: Path) -> tuple[pulumi_cli.Result, set]:
    ws.run("stack", "init", "dev", cwd=project).check()
    events = tmp / f"{project.name}.events.jsonl"
    result = ws.preview(project, "dev", *policy_args(tier_of(project)), "--event-log", str(events))
    logged = pulumi_cli.read_events(events)
    assert pulumi_cli.packs_ran(logged) == set(PACKS), f"not every pack ran:\n{result.stdout[-3000:]}"
    return result, pulumi_cli.policy_violations(logged)


def check_findings(project: Path, tmp: Path, code: int) -> set[tuple[str, str, str]]:
    config = merged_policy_config(tier_of(project), tmp / "policy-config.json")
    out = tierguard("check", str(project), "-s", "dev", "--policy-pack-config", str(config), "-f", "json",
                    "--no-cache")
    assert out.returncode == code, out.stderr
    return report_violations(out.stdout)


def test_the_nodejs_host_is_the_stand_in(cli: Path, ws) -> None:
    host = cli.resolve().parent / "pulumi-language-nodejs"
    assert host.is_file() and "STAND-IN" in host.read_text()
    assert (EXAMPLES / "node_modules" / "@pulumi" / "pulumi").is_dir(), "run `make node-examples`"


@pytest.mark.parametrize("example", NODE_EXAMPLES, ids=lambda p: p.name)
def test_cli_preview_reports_what_tierguard_check_reports(ws, tmp_path: Path, example: Path) -> None:
    project = copy_node_project(example, tmp_path)
    result, from_cli = cli_findings(ws, project, tmp_path)
    assert result.returncode != 0, f"the CLI's preview passed:\n{result.stdout[-3000:]}"
    assert {(policy, level) for policy, _, level in from_cli} == expectations(example)
    assert from_cli == check_findings(project, tmp_path, 1)


@pytest.mark.parametrize("twin", NODE_TWINS, ids=lambda p: p.name)
def test_cli_preview_of_a_twin_has_no_finding(ws, tmp_path: Path, twin: Path) -> None:
    project = copy_node_project(twin, tmp_path)
    result, from_cli = cli_findings(ws, project, tmp_path)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    assert from_cli == set() == check_findings(project, tmp_path, 0)
