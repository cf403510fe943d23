"""The capture cache (tierguard.capture.cache): an unchanged program is not run again, anything that
can change what it registers is a miss, and the cache never changes a verdict.

Every test has its own ``$XDG_CACHE_HOME`` (tests/conftest.py). "Ran" means a runner process ran the
program for a stack; a cached capture runs nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from tierguard.capture import cache
from tierguard.cli import main as cli_main
from tierguard.readers import load_stacks, program

PROGRAMS = Path(__file__).parent / "fixtures" / "programs"
REPO = Path(__file__).resolve().parents[1]

THING = """\
import pulumi

config = pulumi.Config()
pulumi.CustomResource("test:index:Thing", "thing", {"size": config.get_int("size") or 1})
pulumi.export("size", config.get_int("size") or 1)
"""


def project(root: Path, name: str, main: str = THING, stacks: dict[str, dict] | None = None,
            files: dict[str, str] | None = None) -> Path:
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump({"name": name, "runtime": "python"}))
    for stack, config in (stacks or {"dev": {f"{name}:size": 2}}).items():
        (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    (directory / "__main__.py").write_text(textwrap.dedent(main))
    for relative, text in (files or {}).items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(textwrap.dedent(text))
    return directory


@pytest.fixture
def ran(captures: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(project, stack) of every program run (tests/conftest.py ``captures``)."""
    return captures


def projects(captures: list[tuple[str, str]]) -> list[str]:
    return [project for project, _ in captures]


def read(*dirs: Path, **options: Any) -> list:
    """A read as a fresh `tierguard check` process makes it (no capture kept in this process)."""
    program._RUNS.clear()
    return load_stacks(list(dirs), **options)


def snapshot(stacks: list) -> list[dict[str, Any]]:
    return [
        {"resources": [dataclasses.asdict(r) for r in st.resources], "outputs": st.outputs,
         "config": st.config}
        for st in stacks
    ]


def entries() -> list[Path]:
    return sorted(cache.cache_dir().glob("*.json"))


# -- hit and miss ------------------------------------------------------------------------------------


def test_an_unchanged_program_is_not_run_again_and_captures_the_same(
    tmp_path: Path, ran: list[tuple[str, str]]
) -> None:
    app = project(tmp_path, "app", stacks={"dev": {"app:size": 2}, "prod": {"app:size": 3}})
    cold = read(app)
    assert projects(ran) == ["app", "app"] and len(entries()) == 2
    assert not any(program.run_info(st).cached for st in cold)
    ran.clear()
    warm = read(app)
    assert projects(ran) == []
    assert all(program.run_info(st).cached for st in warm)
    assert snapshot(warm) == snapshot(cold)
    assert cache.cache_dir() == Path(os.environ["XDG_CACHE_HOME"]) / "tierguard" / "captures"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_every_file_of_the_project_is_in_the_key(
    tmp_path: Path, ran: list[tuple[str, str]]
) -> None:
    main = THING.replace("import pulumi\n", "import pulumi\nimport helpers\nimport json\n") + (
        'pulumi.export("label", helpers.LABEL)\n'
        'pulumi.export("zones", json.load(open("zones.json")))\n'
    )
    app = project(tmp_path, "app", main, files={"helpers.py": "LABEL = 'a'\n", "zones.json": '["a"]'})
    read(app)
    for path, old, new in (
        (app / "__main__.py", "thing", "thing2"),  # the program
        (app / "helpers.py", "'a'", "'b'"),  # a module of the project
        (app / "zones.json", '"a"', '"b"'),  # a data file it reads
        (app / "Pulumi.yaml", "runtime: python", "runtime: python\ndescription: x"),
        (app / "Pulumi.dev.yaml", "2", "5"),  # the stack's config
    ):
        ran.clear()
        edit(path, old, new)
        stacks = read(app)
        assert projects(ran) == ["app"], path.name
        assert not program.run_info(stacks[0]).cached
    assert stacks[0].outputs["label"] == "b" and stacks[0].outputs["zones"] == ["b"]
    assert stacks[0].outputs["size"] == 5


def test_another_stacks_config_file_does_not_touch_this_stacks_capture(
    tmp_path: Path, ran: list[tuple[str, str]]
) -> None:
    app = project(tmp_path, "app", stacks={"dev": {"app:size": 2}, "prod": {"app:size": 3}})
    read(app)
    ran.clear()
    edit(app / "Pulumi.prod.yaml", "3", "4")
    dev, prod = read(app)
    assert program.run_info(dev).cached and not program.run_info(prod).cached
    assert prod.outputs["size"] == 4


def test_a_local_package_outside_the_project_and_files_it_reads_are_in_the_key(
    tmp_path: Path, ran: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    (shared / "naming").mkdir(parents=True)
    (shared / "naming" / "__init__.py").write_text("PREFIX = 'one'\n")
    (tmp_path / "settings.txt").write_text("blue")
    monkeypatch.setenv("PYTHONPATH", str(shared))
    main = THING + (
        "import naming\n"
        f"pulumi.export('prefix', naming.PREFIX)\n"
        f"pulumi.export('colour', open({str(tmp_path / 'settings.txt')!r}).read())\n"
    )
    app = project(tmp_path, "app", main)
    read(app)
    entry = json.loads(entries()[0].read_text())
    local = {str(shared / "naming" / "__init__.py"), str(tmp_path / "settings.txt")}
    assert set(entry["deps"]["files"]) == local
    ran.clear()
    assert program.run_info(read(app)[0]).cached
    (shared / "naming" / "__init__.py").write_text("PREFIX = 'two'\n")
    assert read(app)[0].outputs["prefix"] == "two" and projects(ran) == ["app"]
    ran.clear()
    (tmp_path / "settings.txt").write_text("green")
    assert read(app)[0].outputs["colour"] == "green" and projects(ran) == ["app"]


def test_the_interpreter_and_installed_pulumi_packages_are_in_the_key(
    tmp_path: Path, ran: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a Pulumi package "installed" in a site directory of its own, as pip lays it out
    site = tmp_path / "site" / "site-packages"
    (site / "pulumi_fake").mkdir(parents=True)
    (site / "pulumi_fake" / "__init__.py").write_text("NAME = 'fake'\n")
    dist = site / "pulumi_fake-1.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pulumi-fake\nVersion: 1.0.0\n")
    monkeypatch.setenv("PYTHONPATH", str(site))
    app = project(tmp_path, "app", THING + "import pulumi_fake\n")
    read(app)
    packages = json.loads(entries()[0].read_text())["deps"]["packages"]
    assert packages["pulumi_fake"]["version"] == "1.0.0" and "pulumi" in packages
    ran.clear()
    assert program.run_info(read(app)[0]).cached and projects(ran) == []

    # upgraded: the old metadata directory is gone, a new one is there
    shutil.rmtree(dist)
    dist = site / "pulumi_fake-1.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pulumi-fake\nVersion: 1.1.0\n")
    assert not program.run_info(read(app)[0]).cached and projects(ran) == ["app"]
    (entry,) = entries()  # rewritten in place: the key is what is known before the run
    assert json.loads(entry.read_text())["deps"]["packages"]["pulumi_fake"]["version"] == "1.1.0"

    # another interpreter: a virtualenv of the same Python seeing the same packages (through a .pth)
    ran.clear()
    venv = tmp_path / "venv"
    other = venv / "bin" / "python"
    other.parent.mkdir(parents=True)
    other.symlink_to(os.path.realpath(sys.executable))
    shutil.copy(Path(sys.prefix) / "pyvenv.cfg", venv / "pyvenv.cfg")
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    (venv / "lib" / version / "site-packages").mkdir(parents=True)
    (venv / "lib" / version / "site-packages" / "ours.pth").write_text("\n".join(sysconfig_paths()))
    monkeypatch.setattr(program, "interpreter", lambda _project: other)
    assert not program.run_info(read(app)[0]).cached and projects(ran) == ["app"]


def sysconfig_paths() -> list[str]:
    import site

    return [p for p in site.getsitepackages() if Path(p).is_dir()]


def test_references_mocks_and_tierguards_own_code_are_in_the_key(
    tmp_path: Path, ran: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    main = THING + (
        "import pulumi_gcp\n"
        "ref = pulumi.StackReference('acme/network/prod')\n"
        "pulumi.export('region', ref.get_output('region'))\n"
        "pulumi.export('project', pulumi_gcp.organizations.get_project().project_id)\n"
    )
    app = project(tmp_path, "app", main)
    refs, mocks = tmp_path / "refs.json", tmp_path / "mocks.json"
    refs.write_text(json.dumps({"acme/network/prod": {"region": "europe-west1"}}))
    mocks.write_text(json.dumps({"gcp:organizations/getProject:getProject": {"projectId": "p1"}}))
    options = {"references": str(refs), "mocks": str(mocks)}
    read(app, **options)
    ran.clear()
    assert program.run_info(read(app, **options)[0]).cached
    # the same content in another file is the same input
    copy = tmp_path / "refs-copy.json"
    shutil.copy(refs, copy)
    assert program.run_info(read(app, references=str(copy), mocks=str(mocks))[0]).cached
    assert projects(ran) == []

    refs.write_text(json.dumps({"acme/network/prod": {"region": "europe-west4"}}))
    assert read(app, **options)[0].outputs["region"] == "europe-west4" and projects(ran) == ["app"]
    ran.clear()
    mocks.write_text(json.dumps({"gcp:organizations/getProject:getProject": {"projectId": "p2"}}))
    assert read(app, **options)[0].outputs["project"] == "p2" and projects(ran) == ["app"]
    ran.clear()
    monkeypatch.setattr(cache, "code_digest", lambda: "another tierguard")
    assert not program.run_info(read(app, **options)[0]).cached and projects(ran) == ["app"]


def test_the_capture_code_digest_covers_the_runner_and_the_version() -> None:
    assert {"capture/runner.py", "__init__.py", "readers/program.py"} <= set(cache.CAPTURE_CODE)
    assert all((REPO / "tierguard" / name).is_file() for name in cache.CAPTURE_CODE)


# -- siblings ----------------------------------------------------------------------------------------


def sibling_projects(tmp_path: Path) -> tuple[Path, Path]:
    base = project(tmp_path, "base", THING + "pulumi.export('namespace', 'shop')\n")
    app = project(tmp_path, "app", THING + (
        "base = pulumi.StackReference(f'acme/base/{pulumi.get_stack()}')\n"
        "pulumi.export('ns', base.require_output('namespace'))\n"
    ))
    return base, app


def test_a_stack_reference_to_a_sibling_reuses_its_cached_capture(
    tmp_path: Path, ran: list[tuple[str, str]]
) -> None:
    base, app = sibling_projects(tmp_path)
    read(base, app)
    assert sorted(projects(ran)) == ["app", "base"]
    ran.clear()
    (warm,) = read(app)  # only the app: its sibling comes from the cache, no program runs at all
    assert projects(ran) == [] and warm.outputs["ns"] == "shop"

    # an edit of the app runs only the app
    edit(app / "__main__.py", '"thing"', '"thing-2"')
    read(base, app)
    assert projects(ran) == ["app"]

    # an edit of the sibling that changes nothing it exports runs only the sibling
    ran.clear()
    edit(base / "__main__.py", '"thing"', '"thing-2"')
    read(base, app)
    assert projects(ran) == ["base"]

    # one that changes an export it gives the app runs both
    ran.clear()
    edit(base / "__main__.py", "'shop'", "'store'")
    (st,) = read(app)
    assert sorted(projects(ran)) == ["app", "base"] and st.outputs["ns"] == "store"


# -- the store -----------------------------------------------------------------------------------


def test_a_corrupt_entry_is_ignored_and_rewritten(
    tmp_path: Path, ran: list[tuple[str, str]]
) -> None:
    app = project(tmp_path, "app")
    cold = read(app)
    (entry,) = entries()
    for bad in ("{not json", json.dumps({"schema": cache.SCHEMA, "key": entry.stem}), "[]", ""):
        entry.write_text(bad)
        ran.clear()
        again = read(app)
        assert projects(ran) == ["app"] and snapshot(again) == snapshot(cold)
        assert json.loads(entry.read_text())["result"]["resources"]


def test_two_runs_racing_on_one_key_leave_one_whole_entry(tmp_path: Path) -> None:
    app = project(tmp_path, "app")
    cmd = [sys.executable, "-m", "tierguard", "check", "--format", "json", str(app)]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert outs[0][0] == outs[1][0]
    (entry,) = entries()
    assert json.loads(entry.read_text())["key"] == entry.stem
    assert [p.name for p in cache.cache_dir().iterdir()] == [entry.name]  # no temporary file left

    # and many writers of one key in one process: a reader only ever sees whole entries
    store = cache.CaptureCache(tmp_path / "race")
    doc = {"result": {"resources": [{"urn": "u" * 5000}]}, "deps": {}, "references": []}
    seen: list[bool] = []

    def write() -> None:
        for _ in range(30):
            store.store("k", doc)
            seen.append(store.load("k") is not None)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(seen) and len(seen) == 120


def test_no_cache_neither_reads_nor_writes(
    tmp_path: Path, ran: list[tuple[str, str]]
) -> None:
    app = project(tmp_path, "app")
    read(app, use_cache=False)
    assert not cache.cache_dir().exists()
    read(app)
    ran.clear()
    stacks = read(app, use_cache=False)
    assert projects(ran) == ["app"] and not program.run_info(stacks[0]).cached
    before = {p: p.stat().st_mtime_ns for p in entries()}
    program._RUNS.clear()
    assert cli_main(["check", "--no-cache", "--format", "json", str(app)]) == 0
    assert projects(ran) == ["app", "app"]
    assert {p: p.stat().st_mtime_ns for p in entries()} == before


def test_the_directory_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    store = cache.CaptureCache(tmp_path / "captures", limit=0)
    doc = {"result": {"resources": [{"urn": "x" * 900}]}, "deps": {}, "references": []}
    store.limit = 10**6
    store.store("size", doc)
    size = store.path("size").stat().st_size
    store.path("size").unlink()
    store.limit = 4 * size + size // 2  # four entries fit, five do not
    for i, name in enumerate("abcd"):
        store.store(name, doc)
        os.utime(store.path(name), (1000 + i, 1000 + i))
    store.load("a")  # used again: the most recent now
    store.store("e", doc)
    kept = sorted(p.stem for p in (tmp_path / "captures").glob("*.json"))
    assert "a" in kept and "e" in kept and "b" not in kept
    assert sum(p.stat().st_size for p in (tmp_path / "captures").iterdir()) <= store.limit
    # a leftover of a write that died long ago goes too
    stale = tmp_path / "captures" / ".tmp-dead.json"
    stale.write_text("{")
    os.utime(stale, (1, 1))
    store.evict()
    assert not stale.exists()
    # only captures/ is bounded: nothing beside it (the built Pulumi CLI lives in ../pulumi)
    assert cache.cache_dir().name == "captures"


def test_the_cache_is_private_to_its_user(
    tmp_path: Path, ran: list[tuple[str, str]]
) -> None:
    old = os.umask(0)
    try:
        read(project(tmp_path, "app"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(cache.cache_dir().stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in entries()} == {0o600}
    # a directory left open by someone else's umask is closed again
    os.chmod(cache.cache_dir(), 0o755)
    edit(tmp_path / "app" / "__main__.py", '"thing"', '"other"')
    read(tmp_path / "app")
    assert stat.S_IMODE(cache.cache_dir().stat().st_mode) == 0o700


# -- verdicts stay fresh ---------------------------------------------------------------------------


def run_check(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "tierguard", "check", *args], capture_output=True, text=True, timeout=300,
        env={**os.environ, "TIERGUARD_TODAY": "2026-11-29"},
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_policies_run_fresh_over_a_cached_capture(tmp_path: Path) -> None:
    app = shutil.copytree(PROGRAMS / "exempt-bucket", tmp_path / "exempt-bucket")
    code, out, _ = run_check("--format", "json", str(app))
    assert code == 0 and json.loads(out)["exempted"]
    entry_names = {p.name for p in entries()}
    # the exemption expires: the stack file changed, so its capture is taken again, and the verdict
    edit(app / "Pulumi.dev.yaml", "2026-12-31", "2026-11-01")
    code, out, _ = run_check("--format", "json", str(app))
    assert code == 1 and "expired" in out
    # policy config is not in the key: the capture is reused and the policies see the new config
    after = {p.name for p in entries()}
    assert len(after) == len(entry_names) + 1
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"storage-deletion-guards": {"enforcementLevel": "advisory"}}))
    code, out, _ = run_check("--format", "json", "--policy-pack-config", str(config), str(app))
    assert code == 0 and {p.name for p in entries()} == after
    assert any(v["policy"] == "storage-deletion-guards" for v in json.loads(out)["violations"])


def test_a_secret_in_a_cached_capture_is_never_printed(tmp_path: Path) -> None:
    secret = "hunter2-never-shown"
    app = project(tmp_path, "app", THING + (
        f"pulumi.CustomResource('gcp:sql/user:User', 'u', {{'password': pulumi.Output.secret({secret!r})}})\n"
    ))
    for _ in range(2):  # cold, then from the cache
        for fmt in ("text", "json", "sarif", "compact"):
            code, out, err = run_check("--format", fmt, "--tier", "infra", str(app))
            assert code in (0, 1) and secret not in out + err
    assert secret in entries()[0].read_text()  # the cache holds what the capture holds ...
    assert stat.S_IMODE(entries()[0].stat().st_mode) == 0o600  # ... for its user only
