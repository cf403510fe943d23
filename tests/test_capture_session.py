"""Capture sessions: one runner process captures every stack config of a project in turn, and sibling
projects are captured at the same time, a StackReference waiting for its sibling's capture.

Sharing a runner must not change what is captured: each stack config has to come out exactly as a
run in its own process would give it (config, the user's modules, exports, environment).
"""

from __future__ import annotations

import dataclasses
import signal
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tierguard.model.records import InputError, Stack
from tierguard.readers import load_stacks, program
from tierguard.readers.program import read_program, run_info

PROGRAMS = Path(__file__).parent / "fixtures" / "programs"


def write_project(
    root: Path, name: str, main: str, stacks: dict[str, dict[str, Any]], files: dict[str, str] | None = None
) -> Path:
    """A Pulumi Python project: Pulumi.yaml, one Pulumi.<stack>.yaml per entry of ``stacks``, files."""
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump({"name": name, "runtime": "python"}))
    for stack, config in stacks.items():
        (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    (directory / "__main__.py").write_text(textwrap.dedent(main))
    for relative, text in (files or {}).items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return directory


def captured(stack: Stack) -> dict[str, Any]:
    """Everything a capture produced for a stack: every resource field (URN, inputs, location...)."""
    return {
        "resources": [dataclasses.asdict(r) for r in stack.resources],
        "outputs": stack.outputs,
        "config": stack.config,
    }


@pytest.fixture
def runners(monkeypatch: pytest.MonkeyPatch) -> list[program.RunnerProcess]:
    """Every runner process started, and (through a fresh run cache) no capture reused from another test."""
    started: list[program.RunnerProcess] = []
    real_init = program.RunnerProcess.__init__

    def recording_init(self, python, cwd):  # type: ignore[no-untyped-def]
        real_init(self, python, cwd)
        started.append(self)

    monkeypatch.setattr(program.RunnerProcess, "__init__", recording_init)
    monkeypatch.setattr(program, "_RUNS", {})
    return started


# -- several stack configs in one runner ----------------------------------------------------------


def test_stack_configs_in_one_runner_match_separate_runs(
    runners: list[program.RunnerProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    basic = PROGRAMS / "capture-basic"
    together = read_program(basic, stack=None, references=None, mocks=None, siblings=[])
    assert [s.stack for s in together] == ["dev", "prod"]
    assert len(runners) == 1  # dev then prod in the same process
    apart = []
    for name in ("dev", "prod"):
        monkeypatch.setattr(program, "_RUNS", {})
        # each in a process of its own: not from the capture cache the first read filled
        apart += read_program(basic, stack=name, references=None, mocks=None, siblings=[], use_cache=False)
    assert len(runners) == 3  # each separate read had a process of its own
    assert [captured(s) for s in together] == [captured(s) for s in apart]
    # and the two configs really differ (not the first capture returned twice)
    assert captured(together[0])["resources"] != captured(together[1])["resources"]


def test_each_stack_config_runs_the_users_modules_and_a_clean_runtime_again(
    tmp_path: Path, runners: list[program.RunnerProcess]
) -> None:
    project = write_project(
        tmp_path, "modules",
        """\
        import os

        import pulumi
        import pulumi_gcp as gcp

        from naming import SUFFIX
        from pkg.labels import LABELS

        gcp.storage.Bucket("data", name=f"data-{SUFFIX}", location="EU", labels=LABELS)
        config = pulumi.Config()
        pulumi.export("suffix", SUFFIX)
        pulumi.export(f"only_{SUFFIX}", True)
        pulumi.export("leakedConfig", config.get("leak") or "none")
        pulumi.export("leakedEnv", os.environ.get("TIERGUARD_TEST_LEAK", "none"))
        # state the next stack config must not see
        pulumi.runtime.set_config("modules:leak", SUFFIX)
        os.environ["TIERGUARD_TEST_LEAK"] = SUFFIX
        """,
        {"dev": {"modules:suffix": "dev"}, "prod": {"modules:suffix": "prod"}},
        {
            "naming.py": """\
            import pulumi

            SUFFIX = pulumi.Config().require("suffix")  # read once, when the module is imported
            """,
            "pkg/__init__.py": "",
            "pkg/labels.py": """\
            from naming import SUFFIX

            LABELS = {"env": SUFFIX}
            """,
        },
    )
    dev, prod = read_program(project, stack=None, references=None, mocks=None, siblings=[])
    assert len(runners) == 1
    for stack, suffix in ((dev, "dev"), (prod, "prod")):
        bucket = next(r for r in stack.resources if r.name == "data")
        assert bucket.inputs["name"] == f"data-{suffix}"
        assert bucket.inputs["labels"] == {"env": suffix}
        assert bucket.urn == f"urn:pulumi:{suffix}::modules::gcp:storage/bucket:Bucket::data"
        assert bucket.location is not None and bucket.location.file == "__main__.py"
        assert run_info(stack).outputs == {
            "suffix": suffix, f"only_{suffix}": True, "leakedConfig": "none", "leakedEnv": "none",
        }
    assert [r.type for r in prod.resources].count("pulumi:pulumi:Stack") == 1


def test_a_failing_stack_config_leaves_the_runner_usable(
    tmp_path: Path, runners: list[program.RunnerProcess]
) -> None:
    project = write_project(
        tmp_path, "flaky",
        """\
        import pulumi
        import pulumi_gcp as gcp

        if pulumi.get_stack() == "a":
            raise ValueError("stack a is broken")
        gcp.storage.Bucket("data", location="EU")
        """,
        {"a": {}, "b": {}},
    )
    with program.Session(None, None, []) as session:
        loaded = program.load_project(project)
        with pytest.raises(InputError, match="stack a is broken"):
            session.run(loaded, "a")
        run = session.run(loaded, "b")
    assert [r.name for r in run.resources] == ["flaky-b", "data"]
    assert len(runners) == 1
    assert runners[0].proc.returncode == 0  # stdin closed: the runner left normally


# -- projects captured at the same time -------------------------------------------------------------


BASE_MAIN = """\
import pulumi

pulumi.export("namespace", f"ns-{pulumi.get_stack()}")
"""

APP_MAIN = """\
import pulumi
import pulumi_gcp as gcp

base = pulumi.StackReference(f"acme/base/{pulumi.get_stack()}")
gcp.storage.Bucket("data", location="EU", labels={"namespace": base.require_output("namespace")})
"""


def test_siblings_are_captured_once_and_concurrently_in_target_order(
    tmp_path: Path, runners: list[program.RunnerProcess], captures: list[tuple[str, str]]
) -> None:
    stacks = {"dev": {}, "prod": {}}
    base = write_project(tmp_path, "base", BASE_MAIN, stacks)
    first = write_project(tmp_path, "first", APP_MAIN, stacks)
    second = write_project(tmp_path, "second", APP_MAIN, stacks)
    # the apps come before the project they reference: their captures wait for (or run) base's
    read = load_stacks([first, base, second])
    assert [(s.project, s.stack) for s in read] == [
        ("first", "dev"), ("first", "prod"), ("base", "dev"), ("base", "prod"),
        ("second", "dev"), ("second", "prod"),
    ]
    assert sorted(captures) == sorted({(s.project, s.stack) for s in read})  # each exactly once
    for st in read:
        if st.project != "base":
            bucket = next(r for r in st.resources if r.name == "data")
            assert bucket.inputs["labels"] == {"namespace": f"ns-{st.stack}"}
    assert all(r.proc.returncode == 0 for r in runners)


def test_a_stack_reference_cycle_is_refused_not_waited_for(
    tmp_path: Path, runners: list[program.RunnerProcess]
) -> None:
    def referencing(other: str) -> str:
        return f'import pulumi\n\npulumi.export("x", pulumi.StackReference("acme/{other}/dev").outputs)\n'

    left = write_project(tmp_path, "left", referencing("right"), {"dev": {}})
    right = write_project(tmp_path, "right", referencing("left"), {"dev": {}})
    with pytest.raises(InputError, match=r"StackReference cycle: (left/dev -> right/dev -> left/dev|"
                                         r"right/dev -> left/dev -> right/dev)"):
        load_stacks([left, right])
    assert all(r.proc.poll() is not None for r in runners)


def test_a_failed_read_stops_the_captures_still_running(
    tmp_path: Path, runners: list[program.RunnerProcess]
) -> None:
    slow = write_project(tmp_path, "slow", "import time\n\ntime.sleep(120)\n", {"dev": {}})
    with pytest.raises(InputError, match="no bucket naming rule"):
        load_stacks([PROGRAMS / "raises", slow])
    assert all(r.proc.poll() is not None for r in runners)  # none left behind
    # the slow capture, if it had started, was killed rather than waited for
    assert all(r.proc.returncode == -signal.SIGKILL for r in runners if r.cwd == slow.resolve())


def test_a_runner_that_dies_is_reported_and_replaced(
    tmp_path: Path, runners: list[program.RunnerProcess]
) -> None:
    project = write_project(
        tmp_path, "dies",
        """\
        import os
        import sys

        import pulumi

        if pulumi.get_stack() == "a":
            print("segfault-like death of the interpreter", file=sys.stderr, flush=True)
            os._exit(3)
        pulumi.export("alive", True)
        """,
        {"a": {}, "b": {}},
    )
    with program.Session(None, None, []) as session:
        loaded = program.load_project(project)
        with pytest.raises(InputError, match=r"could not run under .*: segfault-like death"):
            session.run(loaded, "a")
        assert session.run(loaded, "b").outputs == {"alive": True}
    assert [r.proc.returncode for r in runners] == [3, 0]


def test_a_refused_stack_reference_fails_only_its_stack(
    tmp_path: Path, runners: list[program.RunnerProcess]
) -> None:
    project = write_project(
        tmp_path, "refs",
        """\
        import pulumi

        if pulumi.get_stack() == "a":
            pulumi.export("x", pulumi.StackReference("acme/nowhere/dev").outputs)
        pulumi.export("stack", pulumi.get_stack())
        """,
        {"a": {}, "b": {}},
    )
    with program.Session(None, None, []) as session:
        loaded = program.load_project(project)
        with pytest.raises(InputError, match="StackReference 'acme/nowhere/dev': no outputs known"):
            session.run(loaded, "a")
        assert session.run(loaded, "b").outputs == {"stack": "b"}
    assert [r.proc.returncode for r in runners] == [0]  # the same runner answered both


# -- a runner closed from another thread -------------------------------------------------------------


def test_closing_a_runner_twice_or_killing_it_after_close_is_harmless(tmp_path: Path) -> None:
    """A failed read kills the runners still busy while their capture threads close them too."""
    import sys

    from tierguard.capture import RunnerProcess

    runner = RunnerProcess(Path(sys.executable), tmp_path)
    runner.close()
    runner.close()
    runner.kill()
    assert runner.closed and runner.proc.returncode is not None


def test_a_capture_on_a_runner_closed_by_another_thread_is_a_runner_failure(tmp_path: Path) -> None:
    """Not ValueError('I/O operation on closed file'): the capture ends like one whose runner died."""
    import sys

    from tierguard.capture import RunnerFailure, RunnerProcess

    runner = RunnerProcess(Path(sys.executable), tmp_path)
    runner.kill()
    with pytest.raises(RunnerFailure, match="the read was abandoned"):
        runner.capture({"project": "p", "stack": "dev"}, lambda name: {})
