"""The reference stacks of every cloud under the real CLI, in deploy order (identity, infra, app),
for each stack config: `pulumi preview` with all four packs and their tier's `ci/policy-groups`
config succeeds with no mandatory violation, and reports what `tierguard check` reports for the
same program, stack, policy config and StackReference outputs (read back from the local backend
after each `up`)."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi_cli
import pytest
import yaml
from conftest import PACKS, ROOT, copy_project, merged_policy_config, policy_args
from e2e_support import report_violations, tierguard

TIERS = ("identity", "infra", "app")
REFERENCE = ROOT / "reference_stacks"
ESTATES = sorted(
    (cloud.name, p.name.split(".")[1])
    for cloud in REFERENCE.iterdir()
    if cloud.is_dir()
    for p in (cloud / "identity").glob("Pulumi.*.yaml")
)


@pytest.mark.parametrize(("cloud", "stack"), ESTATES, ids=[f"{c}-{s}" for c, s in ESTATES])
def test_reference_stacks_pass_under_the_cli(
    ws: pulumi_cli.Workspace, tmp_path: Path, cloud: str, stack: str
) -> None:
    outputs: dict[str, dict] = {}
    for tier in TIERS:
        project = copy_project(REFERENCE / cloud / tier, tmp_path)
        ws.run("stack", "init", stack, cwd=project).check()
        if tier != "identity":
            # A local backend's organization is always `organization` (the stacks' `org` option).
            ws.run("config", "set", "org", "organization", cwd=project).check()
        events = tmp_path / f"{tier}.events.jsonl"
        result = ws.preview(project, stack, *policy_args(tier), "--event-log", str(events))
        where = f"{cloud}/{tier}/{stack}"
        assert result.returncode == 0, f"{where}: {result.stdout[-4000:]}\n{result.stderr[-2000:]}"
        logged = pulumi_cli.read_events(events)
        assert pulumi_cli.packs_ran(logged) == set(PACKS), f"{tier}/{stack}: not every pack ran"
        from_cli = pulumi_cli.policy_violations(logged)
        assert not [v for v in from_cli if v[2] == "mandatory"], from_cli

        refs = tmp_path / "stack-references.json"
        refs.write_text(json.dumps(outputs))
        config = merged_policy_config(tier, tmp_path / f"{tier}-policy-config.json")
        offline = tierguard(
            "check", str(project), "--stack", stack, "--policy-pack-config", str(config),
            "--stack-references", str(refs), "--format", "json",
        )
        assert offline.returncode == 0, offline.stdout[-3000:] + offline.stderr
        assert from_cli == report_violations(offline.stdout), f"{tier}/{stack}"

        if tier != "app":
            ws.up(project, stack).check()
            shown = ws.run("stack", "output", "--json", "--show-secrets", "-s", stack, cwd=project).check()
            name = yaml.safe_load((project / "Pulumi.yaml").read_text())["name"]
            outputs[f"organization/{name}/{stack}"] = json.loads(shown.stdout)
