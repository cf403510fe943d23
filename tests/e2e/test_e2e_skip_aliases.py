"""`allowedResources` and its old names under the real CLI: the schema the packs serve still takes
`allowedDatastoreTypes`, `exemptTypes` and `excludeTypes` (`--policy-pack-config` is validated
against it), a skipped resource gets no violation, and the events are exactly what `tierguard check`
reports with the same pack and config."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi_cli
import pytest
from conftest import ROOT, copy_project
from e2e_support import report_violations, tier_of, tierguard

DATASTORE = ("database-in-app-stack", "tier-boundaries", "no-datastore-in-app-tier")
GUARDS = ("bucket-force-destroy", "storage-protection", "storage-deletion-guards")
SIZE = ("oversized-stack", "plan-size", "stack-size-limit")
# (example, pack, policy), config key, entries
CASES = [
    (*DATASTORE, "allowedDatastoreTypes", ["gcp:sql/*"]),
    (*DATASTORE, "allowedResources", ["gcp:SQL/*"]),  # a type token matches whatever its case
    (*GUARDS, "exemptTypes", ["gcp:storage/*"]),
    (*GUARDS, "allowedResources", ["media"]),  # the new name also takes a Pulumi name
    (*SIZE, "excludeTypes", ["*"]),  # the old name replaces the default list: nothing counted
]


@pytest.mark.parametrize(("example", "pack", "policy", "key", "entries"), CASES, ids=lambda v: str(v))
def test_skip_list_by_any_name_decides_alike(
    ws: pulumi_cli.Workspace,
    tmp_path: Path,
    example: str,
    pack: str,
    policy: str,
    key: str,
    entries: list[str],
) -> None:
    project = copy_project(ROOT / "examples" / "violations" / example, tmp_path)
    tier = tier_of(project)
    config = json.loads((ROOT / "ci" / "policy-groups" / tier / f"{pack}.json").read_text())
    config[policy][key] = entries
    config_file = tmp_path / "policy-config.json"
    config_file.write_text(json.dumps(config))

    ws.run("stack", "init", "dev", cwd=project).check()
    events = tmp_path / "events.jsonl"
    result = ws.preview(
        project, "dev", "--policy-pack", str(ROOT / "policypacks" / pack),
        "--policy-pack-config", str(config_file), "--event-log", str(events),
    )
    logged = pulumi_cli.read_events(events)
    assert pulumi_cli.packs_ran(logged) == {pack}, result.stderr[-2000:] + result.stdout[-2000:]
    from_cli = pulumi_cli.policy_violations(logged)
    assert policy not in {name for name, _, _ in from_cli}, from_cli

    out = tierguard(
        "check", str(project), "-s", "dev", "--pack", pack, "--policy-pack-config", str(config_file),
        "-f", "json",
    )
    assert out.returncode in (0, 1), out.stderr
    assert report_violations(out.stdout) == from_cli
