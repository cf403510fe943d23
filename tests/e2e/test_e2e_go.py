"""Go programs under the real CLI: `pulumi preview` with the STAND-IN Go language host
(tools/pulumi/plugins/pulumi-language-go: the real host's module is not served), the stand-in
providers installed at the Go SDKs' versions (pulumi-aws/sdk/v6 v6.83.4, pulumi-kubernetes/sdk/v4
v4.32.0), all four packs and the tier's config. The (policy, URN, level) set of its policy events
equals offline `tierguard check`'s for every Go example and compliant twin, default providers
included, and holds what each example's main.go names.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pulumi_cli
import pytest
from conftest import PACKS, ROOT, merged_policy_config, policy_args
from e2e_support import report_violations, tier_of, tierguard
from example_projects import COMPLIANT, GO_RUNTIME, VIOLATIONS, expectations, projects

GO_PROJECTS = [*projects(VIOLATIONS, GO_RUNTIME), *projects(COMPLIANT, GO_RUNTIME)]
GO = shutil.which("go")
# Go keeps its build cache under $XDG_CACHE_HOME, private to each test: keep the machine's.
GOCACHE = subprocess.run([GO, "env", "GOCACHE"], capture_output=True, text=True).stdout.strip() if GO else ""


@pytest.fixture
def go_ws(cli: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pulumi_cli.Workspace:
    if GO is None:
        pytest.fail("the Go e2e tests need `go` on the PATH (it builds the CLI too)", pytrace=False)
    monkeypatch.setenv("GOCACHE", GOCACHE)
    return pulumi_cli.go_workspace(cli, tmp_path)


def copy_go_project(src: Path, dest_root: Path) -> Path:
    """The project and the module it is in (examples/go.mod, go.sum), as the CLI writes into it."""
    module = dest_root / "examples"
    module.mkdir()
    for name in ("go.mod", "go.sum"):
        shutil.copy(ROOT / "examples" / name, module / name)
    return Path(shutil.copytree(src, module / src.name))


@pytest.mark.parametrize("project", GO_PROJECTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_go_preview_reports_what_tierguard_check_reports(go_ws, tmp_path: Path, project: Path) -> None:
    copy = copy_go_project(project, tmp_path)
    tier = tier_of(project)
    go_ws.run("stack", "init", "dev", cwd=copy).check()
    events_file = tmp_path / "events.jsonl"
    result = go_ws.preview(copy, "dev", *policy_args(tier), "--event-log", str(events_file))
    events = pulumi_cli.read_events(events_file)
    assert pulumi_cli.packs_ran(events) == set(PACKS), result.stdout[-3000:] + result.stderr[-2000:]
    from_cli = pulumi_cli.policy_violations(events)
    config = merged_policy_config(tier, tmp_path / "policy.json")
    offline = tierguard("check", str(project), "--format", "json", "--policy-pack-config", str(config),
                        "--no-cache")
    assert offline.returncode in (0, 1), offline.stderr
    assert report_violations(offline.stdout) == from_cli
    mandatory = {(p, level) for p, _, level in from_cli if level == "mandatory"}
    assert {(p, level) for p, level in expectations(project) if level == "mandatory"} <= mandatory
    assert (result.returncode != 0) == bool(mandatory), result.stdout[-3000:]
    urns = {e["resourcePreEvent"]["metadata"]["urn"] for e in events if "resourcePreEvent" in e}
    assert any("::pulumi:providers:" in u and "::default_" in u for u in urns)  # the engine's own
