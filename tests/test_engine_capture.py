"""``--capture engine``: Python programs run as the Pulumi CLI runs them, against the offline engine
(tierguard/capture/engine_host.py), give the same records as the mocks path; and the engine answers
each part of the protocol as a preview does (default providers, URNs, aliases, components, unknown
outputs, logs, shutdown, a program that hangs).

Every Python program of the repository is found by globbing for Pulumi.yaml, so a stack added or
moved is compared too.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tierguard.capture import engine_host
from tierguard.cli import main
from tierguard.model import wire
from tierguard.model.files import load_yaml
from tierguard.model.records import InputError, Resource, Stack
from tierguard.readers import program
from tierguard.readers.program import Session, load_project, read_program

ROOT = Path(__file__).resolve().parent.parent
PLACES = ("reference_stacks", "examples", "tests/fixtures", "tests/e2e/programs")


def python_programs() -> list[Path]:
    found = []
    for place in PLACES:
        for file in sorted((ROOT / place).glob("**/Pulumi.yaml")):
            doc = load_yaml(file, file.name) or {}
            runtime = doc.get("runtime")
            if (runtime.get("name") if isinstance(runtime, dict) else runtime) == "python":
                found.append(file.parent)
    return found


def is_default_provider(res: Resource) -> bool:
    return res.type.startswith("pulumi:providers:") and res.name.startswith("default")


def record(res: Resource, default_refs: set[str]) -> dict:
    """What the two paths must agree on; a default provider's reference counts as no provider (the
    mocks path has none)."""
    return {
        "type": res.type, "name": res.name, "urn": res.urn, "inputs": res.inputs, "custom": res.custom,
        "id": res.id, "op": res.op, "protect": res.protect, "retain_on_delete": res.retain_on_delete,
        "delete_before_replace": res.delete_before_replace, "ignore_changes": res.ignore_changes,
        "aliases": res.aliases, "custom_timeouts": res.custom_timeouts,
        "additional_secret_outputs": res.additional_secret_outputs, "parent": res.parent,
        "dependencies": res.dependencies, "property_dependencies": res.property_dependencies,
        "provider": None if res.provider in default_refs else res.provider,
        "location": (res.location.file, res.location.line) if res.location else None,
    }


def records(stack: Stack) -> dict[str, dict]:
    defaults = {r.urn for r in stack.resources if is_default_provider(r)}
    providers = (r.provider for r in stack.resources)
    refs = {ref for ref in providers if ref and ref.rsplit("::", 1)[0] in defaults}
    return {r.urn: record(r, refs) for r in stack.resources if not is_default_provider(r)}


def read(path: Path, capture: str) -> list[Stack] | str:
    try:
        return read_program(path, stack=None, references=None, mocks=None, siblings=[], use_cache=False,
                            capture=capture)
    except InputError as exc:
        return str(exc)


@pytest.mark.parametrize("project", python_programs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_program_gives_the_same_records_both_ways(project: Path) -> None:
    mocks, engine = read(project, "mocks"), read(project, "engine")
    if isinstance(mocks, str):  # an invalid program (a fixture that raises): the same error both ways
        assert engine == mocks
        return
    assert not isinstance(engine, str), engine
    assert [s.stack for s in engine] == [s.stack for s in mocks]
    for by_mocks, by_engine in zip(mocks, engine, strict=True):
        assert records(by_engine) == records(by_mocks)
        assert by_engine.outputs == by_mocks.outputs
        # each StackReference with what the referenced stack exports and the outputs the program read
        assert by_engine.references == by_mocks.references
        unprovided = [r.urn for r in by_engine.resources
                      if r.custom and not r.type.startswith("pulumi:providers:") and r.provider is None]
        assert unprovided == [], "the engine gives every custom resource a provider"


def test_the_comparison_covers_the_repository() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in python_programs()}
    assert any(n.startswith("reference_stacks/") for n in names)
    assert any(n.startswith("examples/violations/") for n in names)
    assert "tests/fixtures/programs/capture-basic" in names
    assert not any("nodejs" in n for n in names)


# -- the protocol, one behaviour at a time ------------------------------------------------------------

PROGRAM = '''
import pulumi

class Thing(pulumi.CustomResource):
    def __init__(self, name, props, opts=None):
        super().__init__("acme:index:Thing", name, props, opts)

class Box(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("acme:index:Box", name, None, opts)
        self.inner = Thing("inner", {"size": 1}, pulumi.ResourceOptions(parent=self))
        self.register_outputs({})

box = Box("box", pulumi.ResourceOptions(protect=True))
plain = Thing("plain", {"size": 2, "computed": None},
              pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old-plain"), pulumi.Alias(parent=box)]))
pinned = Thing("pinned", {"size": 3}, pulumi.ResourceOptions(version="1.2.3-beta.1"))
remote = pulumi.ComponentResource("acme:index:Remote", "far", {"zone": "a"}, remote=True)
pulumi.export("plain_id", plain.id)
pulumi.export("plain_urn", plain.urn)
'''


def project(tmp_path: Path, body: str, config: dict | None = None, name: str = "proto") -> Path:
    directory = tmp_path / name
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text(json.dumps({"config": config or {}}))
    (directory / "__main__.py").write_text(textwrap.dedent(body))
    return directory


@pytest.fixture(scope="module")
def proto(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    directory = project(tmp_path_factory.mktemp("engine"), PROGRAM,
                        {"acme:region": "north", "acme:token": {"secure": "AAAAciphertext"}, "proto:x": "1"})
    (stack,) = read_program(directory, stack="dev", references=None, mocks=None, siblings=[],
                            use_cache=False, capture="engine")
    return stack


def by_name(stack: Stack, name: str) -> Resource:
    return next(r for r in stack.resources if r.name == name)


def test_default_providers_are_registered_as_the_engine_names_them(proto: Stack) -> None:
    unversioned = by_name(proto, "default")
    assert unversioned.urn == "urn:pulumi:dev::proto::pulumi:providers:acme::default"
    assert unversioned.parent is None and unversioned.custom
    # the package's config, without its namespace; a secure value stays a secret
    assert unversioned.inputs == {"region": "north", "token": wire.secret(wire.SECRET_PLACEHOLDER)}
    versioned = by_name(proto, "default_1_2_3_beta_1")
    assert versioned.urn == "urn:pulumi:dev::proto::pulumi:providers:acme::default_1_2_3_beta_1"
    assert versioned.inputs["version"] == "1.2.3-beta.1"
    unknown_id = wire.UNKNOWN_STRING  # a provider's id is unknown in a preview
    assert by_name(proto, "plain").provider == f"{unversioned.urn}::{unknown_id}"
    assert by_name(proto, "pinned").provider == f"{versioned.urn}::{unknown_id}"


def test_urns_and_parents_follow_the_engine(proto: Stack) -> None:
    root = proto.resources[0]
    assert root.urn == "urn:pulumi:dev::proto::pulumi:pulumi:Stack::proto-dev"
    box, inner = by_name(proto, "box"), by_name(proto, "inner")
    assert box.urn == "urn:pulumi:dev::proto::acme:index:Box::box" and box.parent == root.urn
    assert not box.custom
    # a child carries its parent's whole qualified type; it inherits protect from its parent
    assert inner.urn == "urn:pulumi:dev::proto::acme:index:Box$acme:index:Thing::inner"
    assert inner.parent == box.urn and inner.protect


def test_aliases_are_urns_built_as_the_engine_builds_them(proto: Stack) -> None:
    assert by_name(proto, "plain").aliases == [
        "urn:pulumi:dev::proto::acme:index:Thing::old-plain",
        "urn:pulumi:dev::proto::acme:index:Box$acme:index:Thing::plain",
    ]


def test_a_remote_component_is_recorded_not_constructed(proto: Stack) -> None:
    far = by_name(proto, "far")
    assert far.urn == "urn:pulumi:dev::proto::acme:index:Remote::far" and not far.custom
    assert far.inputs == {"zone": "a"}


def test_computed_outputs_are_unknown(proto: Stack) -> None:
    assert proto.outputs["plain_id"] == wire.UNKNOWN_STRING  # no id before the provider creates it
    assert proto.outputs["plain_urn"] == "urn:pulumi:dev::proto::acme:index:Thing::plain"


def test_feature_answers_are_a_preview_engines() -> None:
    for feature in ("secrets", "resourceReferences", "outputValues", "aliasSpecs", "deletedWith",
                    "transforms"):
        assert feature in engine_host.FEATURES
    assert "stateMigrations" not in engine_host.FEATURES


@pytest.mark.parametrize(
    ("version", "url", "name"),
    [
        ("", "", "default"),
        ("8.10.0", "", "default_8_10_0"),
        ("1.2.3-alpha.1+build.5", "", "default_1_2_3_alpha_1_build_5"),
        ("4.0.0", "https://get.example.com/plugins", "default_4_0_0_https_/get.example.com/plugins"),
    ],
)
def test_default_provider_names(version: str, url: str, name: str) -> None:
    assert engine_host.default_provider_name(version, url) == name


def test_program_warnings_become_notes(tmp_path: Path) -> None:
    directory = project(tmp_path, "import pulumi\npulumi.log.warn('the bucket is legacy')\n")
    (stack,) = read_program(directory, stack="dev", references=None, mocks=None, siblings=[],
                            use_cache=False, capture="engine")
    assert "the program warned: the bucket is legacy" in stack.notes


def one_error_line(capsys: pytest.CaptureFixture[str], directory: Path, *extra: str) -> str:
    code = main(["check", str(directory), "--capture", "engine", "--no-cache", *extra])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def test_a_logged_error_fails_the_capture_with_one_line(tmp_path: Path, capsys) -> None:
    directory = project(tmp_path, "import pulumi\npulumi.log.error('quota exceeded\\nfor project x')\n")
    line = one_error_line(capsys, directory)
    assert str(directory) in line and "the program logged an error: quota exceeded for project x" in line


def test_a_program_that_raises_names_its_line(tmp_path: Path, capsys) -> None:
    directory = project(tmp_path, "import pulumi\n\nraise ValueError('no such tier')\n")
    line = one_error_line(capsys, directory)
    assert f"{directory / '__main__.py'}:3" in line and "ValueError: no such tier" in line


def test_a_program_that_hangs_is_stopped(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(engine_host.TIMEOUT_ENV, "3")
    directory = project(tmp_path, "import time\ntime.sleep(600)\n")
    line = one_error_line(capsys, directory)
    assert str(directory) in line and "did not finish within 3 s and was stopped" in line


def test_the_capture_mode_is_part_of_the_cache_key(tmp_path: Path) -> None:
    directory = project(tmp_path, "import pulumi\npulumi.export('x', 1)\n")
    runs = []
    for capture in ("mocks", "engine", "engine"):
        program._RUNS.clear()  # the per-process memo: only the capture cache on disk may answer
        with Session(None, None, [], capture=capture) as session:
            runs.append(session.run(load_project(directory), "dev"))
    assert [r.cached for r in runs] == [False, False, True]
    assert runs[2].outputs == runs[0].outputs == {"x": 1}


def test_an_unknown_capture_mode_is_bad_usage() -> None:
    with pytest.raises(InputError, match="'fast' is not one of mocks, engine"):
        Session(None, None, [], capture="fast")


WARM_PROGRAM = '''
import os
import pulumi
import settings  # the user's own module: its module-level code reads this stack's config

class Thing(pulumi.CustomResource):
    def __init__(self, name, props, opts=None):
        super().__init__("acme:index:Thing", name, props, opts)

Thing(f"thing-{settings.SIZE}", {"size": settings.SIZE})
pulumi.export("pid", os.getpid())
'''


def test_a_projects_stack_configs_share_one_warm_interpreter_and_each_starts_afresh(tmp_path: Path) -> None:
    """--capture engine runs the second stack config in the first one's interpreter (the provider SDK
    imports paid once), yet the user's module is executed again for it and reads its own config."""
    directory = project(tmp_path, WARM_PROGRAM, {"proto:size": "1"})
    (directory / "Pulumi.prod.yaml").write_text(json.dumps({"config": {"proto:size": "3"}}))
    (directory / "settings.py").write_text("import pulumi\nSIZE = pulumi.Config().require_int('size')\n")
    dev, prod = read_program(directory, stack=None, references=None, mocks=None, siblings=[],
                             use_cache=False, capture="engine")
    assert (dev.stack, prod.stack) == ("dev", "prod")
    assert by_name(dev, "thing-1").inputs == {"size": 1}
    assert by_name(prod, "thing-3").inputs == {"size": 3}
    assert not any(r.name == "thing-1" for r in prod.resources)
    assert dev.outputs["pid"] == prod.outputs["pid"]
