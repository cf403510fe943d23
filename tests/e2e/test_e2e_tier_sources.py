"""Where a pack learns the stack's tier, under the real CLI and offline.

- With no policy config, the tier comes from the project name's suffix under the CLI exactly as in
  `tierguard check` (the pack reads the project the engine sends in ConfigureStack).
- A `tier` stack tag set with `pulumi stack tag set` lives in the backend: the CLI sends it in
  ConfigureStack and the pack uses it, while a program directory does not carry it, so
  `tierguard check` cannot see it (it fails closed with `tier-declared`). `--tier` gives the offline
  check the same verdict as the CLI (documented in the README and the issue 12 note).
"""

from __future__ import annotations

from pathlib import Path

import pulumi_cli
from conftest import PACKS, ROOT, copy_project
from e2e_support import report_violations, tierguard

EXAMPLE = ROOT / "examples" / "violations" / "database-in-app-stack"


def _preview_without_config(ws: pulumi_cli.Workspace, project: Path, tmp: Path) -> set[tuple[str, str, str]]:
    args: list[str] = []
    for pack in PACKS:
        args += ["--policy-pack", str(ROOT / "policypacks" / pack)]
    events = tmp / "events.jsonl"
    result = ws.preview(project, "dev", *args, "--event-log", str(events))
    assert result.returncode != 0
    logged = pulumi_cli.read_events(events)
    assert pulumi_cli.packs_ran(logged) == set(PACKS)
    return pulumi_cli.policy_violations(logged)


def _rename(project: Path, name: str) -> None:
    lines = (project / "Pulumi.yaml").read_text().splitlines()
    lines[0] = f"name: {name}"
    (project / "Pulumi.yaml").write_text("\n".join(lines) + "\n")


def test_tier_from_the_project_name_as_offline(ws, tmp_path: Path) -> None:
    project = copy_project(EXAMPLE, tmp_path)
    ws.run("stack", "init", "dev", cwd=project).check()
    from_cli = _preview_without_config(ws, project, tmp_path)
    offline = tierguard("check", str(project), "-s", "dev", "-f", "json")
    assert from_cli == report_violations(offline.stdout)
    assert any(p == "no-datastore-in-app-tier" for p, _, _ in from_cli)


def test_backend_stack_tag_reaches_the_packs_and_tier_flag_matches_it(ws, tmp_path: Path) -> None:
    project = copy_project(EXAMPLE, tmp_path)
    _rename(project, "shop")  # no tier suffix: only the stack tag says "app"
    ws.run("stack", "init", "dev", cwd=project).check()
    ws.run("stack", "tag", "set", "tier", "app", cwd=project).check()
    from_cli = _preview_without_config(ws, project, tmp_path)
    assert "tier-declared" not in {p for p, _, _ in from_cli}
    assert any(p == "no-datastore-in-app-tier" for p, _, _ in from_cli)
    with_flag = tierguard("check", str(project), "-s", "dev", "--tier", "app", "-f", "json")
    assert from_cli == report_violations(with_flag.stdout)
    # the program directory does not carry the backend's tag: offline fails closed instead
    without = report_violations(tierguard("check", str(project), "-s", "dev", "-f", "json").stdout)
    assert "tier-declared" in {p for p, _, _ in without}
