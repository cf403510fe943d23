"""From the installed wheel to the real CLI (issue 22 §3): `tierguard pack build` run from the wheel
writes a pack that `pulumi preview --policy-pack` runs with the findings `tierguard check` (the
wheel's) gives for the same program and policy config.

Nothing of the repository is reachable: the CLI's PATH has the wheel's virtualenv first and not the
suite's interpreter, so the pack runs under the wheel's python3 (its own vendored tierguard first on
its path); the program runs in its own virtualenv, which has the SDKs and no tierguard.
"""

from __future__ import annotations

from pathlib import Path

import pulumi_cli
import pytest
from conftest import ROOT
from e2e_support import report_violations, tier_of
from installed_wheel import Installed, installed_tierguard
from test_wheel import EXAMPLE, with_own_venv


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return installed_tierguard(tmp_path_factory)


def test_a_pack_built_from_the_wheel_gives_the_wheels_findings_under_the_cli(
    cli: Path, wheel: Installed, tmp_path: Path
) -> None:
    built = tmp_path / "built" / "tier-boundaries"
    out = wheel.run("pack", "build", "tier-boundaries", "-o", str(built), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    project = with_own_venv(ROOT / "examples" / "violations" / EXAMPLE, tmp_path / "programs")
    tier = tier_of(project)
    config = ROOT / "ci" / "policy-groups" / tier / "tier-boundaries.json"

    ws = pulumi_cli.Workspace(cli=cli, root=tmp_path / "pulumi", extra_env={"PATH": wheel.env()["PATH"]})
    ws.run("stack", "init", "dev", cwd=project).check()
    events = tmp_path / "events.jsonl"
    result = ws.preview(project, "dev", "--policy-pack", str(built), "--policy-pack-config", str(config),
                        "--event-log", str(events))
    logged = pulumi_cli.read_events(events)
    assert pulumi_cli.packs_ran(logged) == {"tier-boundaries"}, result.stdout[-3000:] + result.stderr[-3000:]
    from_cli = pulumi_cli.policy_violations(logged)
    assert result.returncode != 0 and any(level == "mandatory" for _, _, level in from_cli), from_cli

    checked = wheel.run("check", str(project), "-s", "dev", "--pack", "tier-boundaries",
                        "--policy-pack-config", str(config), "-f", "json", cwd=tmp_path)
    assert checked.returncode == 1, checked.stderr
    assert report_violations(checked.stdout) == from_cli
