"""`runtime: yaml` offline: the real pulumi-language-yaml host driven through `LanguageRuntime.Run`
against the offline engine (tierguard/capture/languages/yaml.py), with the stand-in providers
(tests/yaml_offline.py): what it registers, where each finding points, what it refuses in one line,
what the capture cache keys on, and a StackReference to a Python stack checked together with it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from yaml_offline import HOST, ROOT, standin_home, yaml_runtime  # noqa: F401  (fixtures)

from tierguard.capture.languages import yaml as launcher
from tierguard.cli import main
from tierguard.model import wire
from tierguard.model.records import InputError, Stack
from tierguard.readers import program
from tierguard.readers.program import Session, load_project, read_program

EXAMPLE = ROOT / "examples" / "violations" / "yaml-database-in-app-stack"
GCP_DEFAULT = "urn:pulumi:dev::shop-yaml-app::pulumi:providers:gcp::default"
K8S_DEFAULT = "urn:pulumi:dev::shop-yaml-app::pulumi:providers:kubernetes::default"

pytestmark = pytest.mark.usefixtures("yaml_runtime")  # the host first on PATH, the stand-ins installed


def read(path: Path, **kwargs) -> list[Stack]:
    return read_program(path, stack=None, references=None, mocks=None, siblings=[], **kwargs)


def project(tmp_path: Path, text: str, name: str = "probe-yaml-infra", main: str | None = None) -> Path:
    """A YAML project in tmp_path: Pulumi.yaml (the program unless `main` names another file) and a
    dev stack."""
    directory = tmp_path / name
    directory.mkdir()
    head = f"name: {name}\nruntime: yaml\n" + (f"main: {main}\n" if main else "")
    (directory / "Pulumi.yaml").write_text(head + ("" if main else textwrap.dedent(text)))
    (directory / "Pulumi.dev.yaml").write_text(
        "config:\n  gcp:project: acme-dev\n  gcp:region: europe-west1\n")
    return directory


def refusal(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def test_the_host_is_the_real_one_and_the_pin_is_the_makefiles() -> None:
    assert HOST is not None and HOST.name == "pulumi-language-yaml" and HOST.stat().st_size > 1_000_000
    go_mod = (ROOT / "tools" / "pulumi" / "go.mod").read_text()
    assert re.search(r"github.com/pulumi/pulumi/pkg/v3 (v\S+)", go_mod)[1] == launcher.PINNED_CLI


def test_the_host_is_found_on_path_then_beside_pulumi_then_in_the_tierguard_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if HOST is None:
        pytest.skip("no host to place")
    cache_bin = tmp_path / "xdg" / "tierguard" / "pulumi" / launcher.PINNED_CLI / "bin"
    cache_bin.mkdir(parents=True)
    (cache_bin / launcher.HOST).symlink_to(HOST)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert launcher.find_host() == cache_bin / launcher.HOST
    cli_bin = tmp_path / "cli"
    cli_bin.mkdir()
    (cli_bin / "pulumi").write_text("#!/bin/sh\n")
    (cli_bin / "pulumi").chmod(0o755)
    (tmp_path / "beside").mkdir()
    (tmp_path / "beside" / launcher.HOST).symlink_to(HOST)
    (tmp_path / "beside" / "pulumi").symlink_to(cli_bin / "pulumi")
    monkeypatch.setenv("PATH", str(tmp_path / "beside"))
    assert launcher.find_host() == tmp_path / "beside" / launcher.HOST  # on PATH wins
    os.remove(tmp_path / "beside" / launcher.HOST)
    (cli_bin / launcher.HOST).symlink_to(HOST)
    assert launcher.find_host() == cli_bin / launcher.HOST  # beside the resolved `pulumi`


def test_registrations_are_the_engines_with_default_providers() -> None:
    (stack,) = read(EXAMPLE, use_cache=False)
    assert stack.tags["pulumi:runtime"] == "yaml"  # the tag Pulumi Cloud gives the stack
    by_urn = {r.urn: r for r in stack.resources}
    instance = by_urn["urn:pulumi:dev::shop-yaml-app::gcp:sql/databaseInstance:DatabaseInstance::carts"]
    # the host resolved the short token to the schema's canonical one, as against the real schema
    assert instance.type == "gcp:sql/databaseInstance:DatabaseInstance"
    assert instance.protect and instance.inputs["databaseVersion"] == "POSTGRES_16"
    assert instance.inputs["region"] == "europe-west1"  # ${gcp:region} from the stack config
    # pulumi-yaml sends no package version: the engine's default provider is `default`, with the
    # package's config as inputs, and every gcp resource uses it
    provider = by_urn[GCP_DEFAULT]
    assert provider.inputs == {"project": "acme-shop-dev", "region": "europe-west1"}
    assert instance.provider == f"{GCP_DEFAULT}::{wire.UNKNOWN_STRING}"
    deployment = by_urn["urn:pulumi:dev::shop-yaml-app::kubernetes:apps/v1:Deployment::shop"]
    assert deployment.inputs["kind"] == "Deployment"  # a schema constant, added by the host
    assert deployment.provider == f"{K8S_DEFAULT}::{wire.UNKNOWN_STRING}"
    root = by_urn["urn:pulumi:dev::shop-yaml-app::pulumi:pulumi:Stack::shop-yaml-app-dev"]
    assert instance.parent == root.urn


def test_each_resource_points_at_its_key_in_the_program_file(tmp_path: Path) -> None:
    """Positions are the key's line under `resources:` (the host's own are Go frames); a `name:`
    renames the resource; `main:` naming a directory makes its Main.yaml the program."""
    directory = project(tmp_path, "", main="infra")
    (directory / "infra").mkdir()
    (directory / "infra" / "Main.yaml").write_text(textwrap.dedent("""\
        resources:
          media:
            type: gcp:storage:Bucket
            properties:
              location: EU
          logs:
            type: gcp:storage:Bucket
            name: audit-logs
            properties:
              location: EU
    """))
    (stack,) = read(directory, use_cache=False)
    where = {r.name: (r.location.file, r.location.line) if r.location else None for r in stack.resources}
    assert where["media"] == ("infra/Main.yaml", 2)
    assert where["audit-logs"] == ("infra/Main.yaml", 6)
    assert where["probe-yaml-infra-dev"] is None and where["default"] is None  # stack, default provider


@pytest.mark.parametrize(("program", "says"), [
    ("resources:\n  media:\n    type: gcp:storage:Bucket\n    properties:\n      location: EU\n"
     "      forceDestroyy: true\n",
     "Pulumi.yaml line 8: Property forceDestroyy does not exist on 'gcp:storage/bucket:Bucket'"),
    ("resources:\n  media:\n    type: gcp:storage:Buckit\n",
     'Pulumi.yaml line 5: error resolving type of resource media: unable to find resource type '
     '"gcp:storage:Buckit"'),
    ("resources:\n  media:\n    type: gcp:storage:Bucket\n    properties:\n      location: ${nowhere.id}\n",
     'Pulumi.yaml line 7: resource, variable, or config value "nowhere" not found'),
], ids=["misspelt-property", "unknown-type", "unknown-reference"])
def test_a_program_the_host_rejects_is_one_line_naming_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], program: str, says: str
) -> None:
    directory = project(tmp_path, program)
    line = refusal(["check", str(directory)], capsys)
    assert line.startswith(f"tierguard: {directory}: ") and says in line, line


def test_a_package_without_a_provider_plugin_is_refused_naming_the_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = project(tmp_path, "resources:\n  pet:\n    type: random:index:RandomPet\n")
    line = refusal(["check", str(directory)], capsys)
    assert line == (f"tierguard: {directory}: no provider plugin random for the YAML host (it reads each "
                    "package's schema from its provider): run `pulumi plugin install resource random`")


def test_no_host_is_refused_saying_how_to_get_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = project(tmp_path, "resources: {}\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # and the private XDG cache has no build
    line = refusal(["check", str(directory)], capsys)
    assert line == (f"tierguard: {directory}: no pulumi-language-yaml (the Pulumi YAML language host): "
                    "build it with `make pulumi-cli`, or install the Pulumi CLI (it bundles the host) "
                    "on the PATH")


def test_a_host_that_hangs_is_stopped_with_its_plugins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider that never answers GetSchema: the run is stopped at TIERGUARD_CAPTURE_TIMEOUT, and
    the provider the host started (in a process group of its own) is stopped with it."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    marker = tmp_path / "started"
    (plugins / "pulumi-resource-slow").write_text(f"#!/bin/sh\necho $$ > {marker}\nexec sleep 600\n")
    (plugins / "pulumi-resource-slow").chmod(0o755)
    monkeypatch.setenv("PATH", os.pathsep.join([str(plugins), os.environ["PATH"]]))
    monkeypatch.setenv("TIERGUARD_CAPTURE_TIMEOUT", "5")
    directory = project(tmp_path, "resources:\n  thing:\n    type: slow:index:Thing\n")
    line = refusal(["check", str(directory), "--no-cache"], capsys)
    assert line.startswith(f"tierguard: {directory}: ") and "did not finish within 5 s" in line, line
    assert "TIERGUARD_CAPTURE_TIMEOUT" in line
    pid = int(marker.read_text())
    state = Path(f"/proc/{pid}/stat")
    assert not state.exists() or state.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_the_cache_key_holds_the_host_and_the_provider_plugins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pulumi.yaml is in the project digest; the host binary and each plugin (version and binary)
    join the key: a newer provider installed is a new capture, an unchanged setup is served warm."""
    directory = project(tmp_path, "resources:\n  media:\n    type: gcp:storage:Bucket\n")
    def cached() -> bool:
        program._RUNS.clear()  # the per-process memo: only the capture cache on disk may answer
        with Session(None, None, [], use_cache=True) as session:
            return session.run(load_project(directory), "dev").cached

    assert not cached()
    assert cached()
    tool = launcher.toolchain(directory, ".", {})
    assert set(tool.identity["plugins"]) == {"gcp"}
    assert tool.identity["host"][0] == os.path.realpath(HOST)
    home = tmp_path / "home"
    shutil.copytree(os.environ["PULUMI_HOME"], home, symlinks=True)
    (gcp,) = (home / "plugins").glob("resource-gcp-v*")
    newer = gcp.with_name("resource-gcp-v99.0.0")
    shutil.copytree(gcp, newer)
    monkeypatch.setenv("PULUMI_HOME", str(home))
    assert launcher.toolchain(directory, ".", {}).identity["plugins"]["gcp"][0] == "99.0.0"
    assert not cached()


def test_a_yaml_stack_reads_a_python_stack_checked_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pulumi:pulumi:StackReference` in YAML resolves against the sibling Python project's offline
    run: known outputs arrive, a secret stays secret (never printed), an unknown one stays unknown."""
    base = tmp_path / "ref-base"
    shutil.copytree(ROOT / "tests" / "fixtures" / "programs" / "ref-base", base)
    app = project(tmp_path, """\
        resources:
          base:
            type: pulumi:pulumi:StackReference
            properties:
              name: acme/ref-base/dev
          data:
            type: gcp:storage:Bucket
            properties:
              location: EU
              labels:
                namespace: ${base.outputs["namespace"]}
                key: ${base.outputs["apiKey"]}
                email: ${base.outputs["accountEmail"]}
    """, name="ref-yaml-app")
    (stack,) = read(app, use_cache=False)
    by_name = {r.name: r for r in stack.resources}
    ref = by_name["base"]
    assert ref.type == "pulumi:pulumi:StackReference" and ref.op == "read"
    assert ref.inputs["name"] == "acme/ref-base/dev"
    assert (ref.location.file, ref.location.line) == ("Pulumi.yaml", 4)
    labels = by_name["data"].inputs["labels"]
    assert labels["namespace"] == "shop"
    assert wire.is_secret(labels["key"])
    assert labels["email"] == wire.UNKNOWN_STRING
    code = main(["check", str(base), str(app), "--format", "json"])
    out = capsys.readouterr().out
    assert code in (0, 1) and "AKeyCiphertext" not in out
    assert {s["stack"] for s in json.loads(out)["stacks"]} == {"ref-base/dev", "ref-yaml-app/dev"}


def test_a_program_directory_without_a_program_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "empty-yaml"
    (directory / "src").mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text("name: empty-yaml\nruntime: yaml\nmain: src\n")
    with pytest.raises(InputError, match=r"no Main\.yaml, Main\.json or Pulumi\.yaml"):
        launcher.toolchain(directory, "src", {})
