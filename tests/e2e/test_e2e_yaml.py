"""Pulumi YAML programs under the real CLI and the real YAML language host (`pulumi-language-yaml`,
built from pulumi/pulumi-yaml by `make pulumi-cli`, or bundled with a `pulumi` on PATH), with the
stand-in providers answering the stand-in schemas derived from the Python SDKs.

Each YAML violation example's preview, with all four packs and its tier's config from
ci/policy-groups, reports exactly the (policy, enforcement level) pairs its Pulumi.yaml names
(`# tierguard-expect[-advisory]:`), read from the `--event-log` policy events; each compliant twin
reports none. Offline `tierguard check` of YAML lands with the offline engine (issue 23 item 2);
until then these events are the reference it will be compared with.
"""

from __future__ import annotations

from pathlib import Path

import pulumi_cli
import pytest
from conftest import PACKS, copy_project, policy_args
from e2e_support import project_name, tier_of
from example_projects import COMPLIANT, VIOLATIONS, YAML_RUNTIME, expectations, projects

YAML_EXAMPLES = projects(VIOLATIONS, YAML_RUNTIME)
YAML_TWINS = projects(COMPLIANT, YAML_RUNTIME)


def preview_events(ws: pulumi_cli.Workspace, project: Path, tmp: Path) -> tuple[pulumi_cli.Result, list]:
    """`pulumi preview --policy-pack ...` of a fresh `dev` stack, and its event log."""
    ws.run("stack", "init", "dev", cwd=project).check()
    events = tmp / f"{project.name}.events.jsonl"
    result = ws.preview(project, "dev", *policy_args(tier_of(project)), "--event-log", str(events))
    return result, pulumi_cli.read_events(events)


def registered_types(events: list[dict]) -> set[str]:
    """The type tokens the program registered (from the URNs of the engine's resource events)."""
    urns = {e["resourcePreEvent"]["metadata"]["urn"] for e in events if "resourcePreEvent" in e}
    return {urn.split("::")[2].rsplit("$", 1)[-1] for urn in urns}


def test_the_yaml_host_is_the_real_one(cli: Path) -> None:
    host = pulumi_cli.yaml_host(cli)
    assert host is not None and host.name == "pulumi-language-yaml"
    assert host.stat().st_size > 1_000_000  # a Go binary, not a script standing in for it


@pytest.mark.parametrize("example", YAML_EXAMPLES, ids=lambda p: p.name)
def test_yaml_violation_reports_exactly_what_it_names(ws, tmp_path: Path, example: Path) -> None:
    project = copy_project(example, tmp_path)
    result, events = preview_events(ws, project, tmp_path)
    assert pulumi_cli.packs_ran(events) == set(PACKS), "not every pack ran"
    found = pulumi_cli.policy_violations(events)
    assert {(policy, level) for policy, _, level in found} == expectations(example), result.stdout[-3000:]
    assert result.returncode != 0, f"the CLI's preview passed:\n{result.stdout[-3000:]}"
    prefix = f"urn:pulumi:dev::{project_name(project)}::"
    assert all(urn.startswith(prefix) for _, urn, _ in found), found
    # the YAML host resolved the short tokens the programs write (gcp:sql:DatabaseInstance) to the
    # schema's canonical ones, as against the real provider schema
    assert all("/" in t for t in registered_types(events) if t.startswith("gcp:")), registered_types(events)


@pytest.mark.parametrize("twin", YAML_TWINS, ids=lambda p: p.name)
def test_yaml_compliant_twin_passes_with_no_finding(ws, tmp_path: Path, twin: Path) -> None:
    project = copy_project(twin, tmp_path)
    result, events = preview_events(ws, project, tmp_path)
    assert pulumi_cli.packs_ran(events) == set(PACKS), "not every pack ran"
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    assert pulumi_cli.policy_violations(events) == set()
    assert len(registered_types(events)) >= 2  # the stack and its resources really registered


def test_the_stand_in_schema_makes_the_host_reject_a_misspelt_property(ws, tmp_path: Path) -> None:
    """The stand-in schema names each resource's real properties: pulumi-yaml's type checker
    refuses one the Python SDK does not have, before anything registers, as with the real schema."""
    project = tmp_path / "typo-yaml-infra"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: typo-yaml-infra\nruntime: yaml\nresources:\n  media:\n    type: gcp:storage:Bucket\n"
        "    properties:\n      location: EU\n      forceDestroyy: true\n"
    )
    (project / "Pulumi.dev.yaml").write_text("config:\n  gcp:project: acme-shop-dev\n")
    result, events = preview_events(ws, project, tmp_path)
    assert result.returncode != 0
    assert "Property forceDestroyy does not exist on 'gcp:storage/bucket:Bucket'" in result.stdout
    assert "forceDestroy" in result.stdout.split("Existing properties are:", 1)[1]
    assert "gcp:storage/bucket:Bucket" not in registered_types(events)
