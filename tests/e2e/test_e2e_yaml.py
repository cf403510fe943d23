"""Pulumi YAML programs under the real CLI and the real YAML language host (`pulumi-language-yaml`,
built from pulumi/pulumi-yaml by `make pulumi-cli`, or bundled with a `pulumi` on PATH), with the
stand-in providers answering the stand-in schemas derived from the Python SDKs.

Each YAML violation example's preview, with all four packs and its tier's config from
ci/policy-groups, reports exactly the (policy, enforcement level) pairs its Pulumi.yaml names
(`# tierguard-expect[-advisory]:`), read from the `--event-log` policy events; each compliant twin
reports none. Offline `tierguard check` runs the same programs through the same host against the
offline engine (tierguard/capture/languages/yaml.py), with the workspace's PULUMI_HOME (the
stand-ins as `pulumi plugin install` put them there) and the CLI's directory first on PATH, as a
user with the CLI has them: its (policy, URN, level) set equals the CLI's for every example and
twin, and the URNs it registers -- default providers included, nothing set aside -- are the
engine's. A YAML app reading a Python stack through `pulumi:pulumi:StackReference` is compared too
(the CLI after `pulumi up` of the Python stack; tierguard checking both projects together).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pulumi_cli
import pytest
from conftest import PACKS, copy_project, merged_policy_config, policy_args
from e2e_support import project_name, report_violations, tier_of, tierguard
from example_projects import COMPLIANT, VIOLATIONS, YAML_RUNTIME, expectations, projects

from tierguard.readers.program import read_program

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


def offline_violations(
    ws: pulumi_cli.Workspace, tmp: Path, *projects_: Path, tier: str
) -> tuple[int, set[tuple[str, str, str]]]:
    """`tierguard check` of the projects, offline, in the environment the CLI ran in."""
    config = merged_policy_config(tier, tmp / f"{tier}-policy-config.json")
    out = tierguard("check", *map(str, projects_), "-s", "dev", "--policy-pack-config", str(config),
                    "-f", "json", env=ws.env)
    assert out.returncode in (0, 1), out.stderr
    return out.returncode, report_violations(out.stdout)


def offline_urns(ws: pulumi_cli.Workspace, project: Path, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    for name in ("PATH", "PULUMI_HOME"):
        monkeypatch.setenv(name, ws.env[name])
    (stack,) = read_program(project, stack="dev", references=None, mocks=None, siblings=[], use_cache=False)
    return {r.urn for r in stack.resources}


@pytest.mark.parametrize("example", [*YAML_EXAMPLES, *YAML_TWINS], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_offline_check_reports_what_the_cli_reports(
    ws, tmp_path: Path, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_project(example, tmp_path)
    result, events = preview_events(ws, project, tmp_path)
    assert pulumi_cli.packs_ran(events) == set(PACKS), "not every pack ran"
    from_cli = pulumi_cli.policy_violations(events)
    code, offline = offline_violations(ws, tmp_path, project, tier=tier_of(project))
    assert offline == from_cli
    assert (code != 0) == (result.returncode != 0)
    # every registration the engine made, its default providers too, is one the offline engine made
    engine_urns = {e["resourcePreEvent"]["metadata"]["urn"] for e in events if "resourcePreEvent" in e}
    urns = offline_urns(ws, project, monkeypatch)
    assert any("::pulumi:providers:" in u and u.endswith("::default") for u in urns), urns
    assert urns == engine_urns | {u for u in urns if u.split("::")[2] == "pulumi:pulumi:Stack"}


BASE = """\
\"\"\"The infra tier in Python: the network, and the names the YAML app reads.\"\"\"
import pulumi
import pulumi_gcp as gcp

network = gcp.compute.Network("edge", name="edge", project="acme-shop-dev", auto_create_subnetworks=False)
pulumi.export("network", network.name)
pulumi.export("namespace", "shop")
pulumi.export("databaseConnectionName", "acme-shop-dev:europe-west1:orders")
"""

APP = """\
name: refs-yaml-app
runtime: yaml
resources:
  infra:
    type: pulumi:pulumi:StackReference
    properties:
      name: organization/refs-infra/dev
  shop:
    type: kubernetes:apps/v1:Deployment
    properties:
      metadata:
        name: shop
        namespace: ${infra.outputs["namespace"]}
      spec:
        selector:
          matchLabels: {app: shop}
        template:
          metadata:
            labels: {app: shop}
          spec:
            containers:
              - name: shop
                image: us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0
                env:
                  - name: DB
                    value: ${infra.outputs["databaseConnectionName"]}
  cache:
    type: gcp:redis:Instance
    properties:
      memorySizeGb: 1
      region: europe-west1
"""


def test_a_yaml_app_reading_a_python_stack_is_judged_as_the_cli_judges_it(
    ws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The YAML app's StackReference: the CLI reads the Python stack's state after `pulumi up`;
    offline, tierguard runs the Python project checked with it. Same findings (a datastore in the
    app tier), and the referenced output reached the Deployment's namespace both ways."""
    base, app = tmp_path / "refs-infra", tmp_path / "refs-yaml-app"
    base.mkdir()
    app.mkdir()
    (base / "Pulumi.yaml").write_text("name: refs-infra\nruntime: python\n")
    (base / "__main__.py").write_text(BASE)
    (app / "Pulumi.yaml").write_text(textwrap.dedent(APP))
    for project in (base, app):
        ws.run("stack", "init", "dev", cwd=project).check()
        ws.run("config", "set", "gcp:project", "acme-shop-dev", "--stack", "dev", cwd=project).check()
    ws.up(base, "dev").check()
    events_file = tmp_path / "app.events.jsonl"
    result = ws.preview(app, "dev", *policy_args("app"), "--event-log", str(events_file))
    events = pulumi_cli.read_events(events_file)
    assert pulumi_cli.packs_ran(events) == set(PACKS), result.stdout[-3000:]
    from_cli = pulumi_cli.policy_violations(events)
    assert ("no-datastore-in-app-tier", "urn:pulumi:dev::refs-yaml-app::gcp:redis/instance:Instance::cache",
            "mandatory") in from_cli
    _, offline = offline_violations(ws, tmp_path, base, app, tier="app")
    assert {v for v in offline if "::refs-yaml-app::" in v[1]} == from_cli
    for name in ("PATH", "PULUMI_HOME"):
        monkeypatch.setenv(name, ws.env[name])
    (stack,) = read_program(app, stack="dev", references=None, mocks=None, siblings=[base], use_cache=False)
    (shop,) = [r for r in stack.resources if r.name == "shop"]
    assert shop.inputs["metadata"]["namespace"] == "shop"
    (pre,) = [e["resourcePreEvent"]["metadata"] for e in events
              if e.get("resourcePreEvent", {}).get("metadata", {}).get("urn", "").endswith("::shop")]
    assert pre["new"]["inputs"]["metadata"]["namespace"] == "shop"
