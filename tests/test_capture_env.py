"""The offline engine runs a stack in ITS OWN Python environment, and refuses bad input in one line."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
from venvs import make_venv

from tierguard.cli import main
from tierguard.model import wire
from tierguard.model.records import InputError
from tierguard.policies.packs import PACK_MODULES
from tierguard.readers.program import read_program, run_info

PROGRAMS = Path(__file__).parent / "fixtures" / "programs"

PROGRAM = '''\
import sys

import pulumi
import pulumi_gcp as gcp

gcp.storage.Bucket("b", location="EU", labels={"interpreter": sys.prefix.replace("/", "-").lower()[-63:]})
pulumi.export("python", sys.executable)
'''


def read(path: Path, stack: str | None = "dev") -> list:
    return read_program(path, stack=stack, references=None, mocks=None, siblings=[])


def make_project(root: Path, runtime: str = "runtime: python\n", program: str = PROGRAM) -> Path:
    """A small project; ``runtime`` is the Pulumi.yaml text after the name."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(f"name: venv-app\n{runtime}")
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    (root / "__main__.py").write_text(program)
    (root / "requirements.txt").write_text("pulumi>=3\npulumi-gcp>=8\n")
    return root


# -- the stack's own interpreter ---------------------------------------------------------------------


def test_runs_in_the_virtualenv_named_by_pulumi_yaml(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "app", runtime="runtime:\n  name: python\n  options:\n    virtualenv: venv\n"
    )
    python = make_venv(project / "venv")
    assert os.path.realpath(python) != str(python)  # a venv's python is a link: the path is what counts
    (stack,) = read(project)
    assert run_info(stack).outputs["python"] == str(python)
    assert run_info(stack).python == str(python)
    label = next(r for r in stack.resources if r.name == "b").inputs["labels"]["interpreter"]
    assert label == str(project / "venv").replace("/", "-").lower()[-63:]  # sys.prefix is the venv's


def test_uv_toolchain_uses_the_project_dot_venv(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "app", runtime="runtime:\n  name: python\n  options:\n    toolchain: uv\n"
    )
    python = make_venv(project / ".venv")
    (stack,) = read(project)
    assert run_info(stack).outputs["python"] == str(python)


def on_path(monkeypatch: pytest.MonkeyPatch, *dirs: Path) -> None:
    """Only these directories on the PATH."""
    monkeypatch.setenv("PATH", os.pathsep.join(map(str, dirs)))
    monkeypatch.delenv("PULUMI_PYTHON_CMD", raising=False)


def test_no_runtime_options_runs_python3_on_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As pip.go `CommandPath`: not tierguard's own interpreter, the first python3 on the PATH."""
    python = make_venv(tmp_path / "path-venv")
    on_path(monkeypatch, python.parent)
    (stack,) = read(make_project(tmp_path / "app"))
    assert run_info(stack).outputs["python"] == str(python.parent / "python3")
    assert run_info(stack).outputs["python"] != sys.executable


def test_pulumi_python_cmd_names_the_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, chosen = make_venv(tmp_path / "first"), make_venv(tmp_path / "chosen")
    (chosen.parent / "py-for-pulumi").symlink_to(chosen)
    on_path(monkeypatch, first.parent, chosen.parent)
    monkeypatch.setenv("PULUMI_PYTHON_CMD", "py-for-pulumi")
    (stack,) = read(make_project(tmp_path / "app"))
    assert run_info(stack).outputs["python"] == str(chosen.parent / "py-for-pulumi")


def test_python_when_there_is_no_python3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python = make_venv(tmp_path / "venv")
    (python.parent / "python3").unlink()
    on_path(monkeypatch, python.parent)
    (stack,) = read(make_project(tmp_path / "app"))
    assert run_info(stack).outputs["python"] == str(python)


def test_no_python_on_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path(monkeypatch, tmp_path / "empty")
    project = make_project(tmp_path / "app")
    with pytest.raises(InputError) as err:
        read(project)
    assert (err.value.source, err.value.problem) == (
        str(project), "no Python to run the program with: neither `python3` nor `python` is on the PATH"
    )
    monkeypatch.setenv("PULUMI_PYTHON_CMD", "python3.99")
    with pytest.raises(InputError) as err:
        read(project)
    assert err.value.problem == "PULUMI_PYTHON_CMD names `python3.99`, which is not on the PATH"


def test_sdk_missing_for_the_python_on_the_path_exits_2_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    python = make_venv(tmp_path / "path-venv", exclude=("pulumi_gcp",))
    on_path(monkeypatch, python.parent)
    project = make_project(tmp_path / "app")
    assert main(["check", str(project)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"tierguard: {project}: `pulumi_gcp` is not installed for {python.parent / 'python3'} (the Python "
        "on the PATH, which the Pulumi CLI runs this program with): run "
        f"`{python.parent / 'python3'} -m pip install -r requirements.txt`, or give the project a "
        "`virtualenv` option\n"
    )


def test_a_uv_lock_above_the_project_picks_uv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No `toolchain` option is "auto" (toolchain.go `ResolveToolchain`): a uv.lock picks uv, whose
    virtualenv sits beside the lock file (uv.go `newUv`)."""
    (tmp_path / "uv.lock").write_text("version = 1\n")
    python = make_venv(tmp_path / ".venv")
    on_path(monkeypatch, tmp_path / "empty")
    (stack,) = read(make_project(tmp_path / "stacks" / "app"))
    assert run_info(stack).outputs["python"] == str(python)
    monkeypatch.setenv("UV_PROJECT_ENVIRONMENT", "envs/uv")
    other = make_venv(tmp_path / "envs" / "uv")
    (stack,) = read(make_project(tmp_path / "stacks" / "app"))
    assert run_info(stack).outputs["python"] == str(other)


def test_poetry_toolchain_asks_poetry_for_its_venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """poetry.go `VirtualEnvPath`: the venv is what `poetry env info --path` prints. The `poetry`
    here is a STAND-IN script (poetry is not installed on this machine) answering just that call."""
    python = make_venv(tmp_path / "cache" / "venv-app-py3.12")
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "poetry").write_text(
        f'#!/bin/sh\n[ "$*" = "env info --path" ] && echo {python.parent.parent} && exit 0\nexit 1\n'
    )
    (tools / "poetry").chmod(0o755)
    project = make_project(
        tmp_path / "app", runtime="runtime:\n  name: python\n  options:\n    toolchain: poetry\n"
    )
    on_path(monkeypatch, tmp_path / "empty")
    with pytest.raises(InputError) as err:
        read(project)
    assert err.value.problem.startswith("the poetry toolchain needs `poetry` on the PATH")
    on_path(monkeypatch, tools)
    (stack,) = read(project)
    assert run_info(stack).outputs["python"] == str(python)


def test_dependency_missing_in_the_stack_venv(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "app", runtime="runtime:\n  name: python\n  options:\n    virtualenv: venv\n"
    )
    python = make_venv(project / "venv", exclude=("pulumi_gcp",))
    with pytest.raises(InputError) as err:
        read(project)
    assert err.value.source == str(project)
    assert err.value.problem == (
        f"`pulumi_gcp` is not installed in {project / 'venv'}: "
        f"run `{python} -m pip install -r requirements.txt`"
    )


def test_pulumi_itself_missing_in_the_stack_venv(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "app", runtime="runtime:\n  name: python\n  options:\n    virtualenv: venv\n"
    )
    (project / "requirements.txt").unlink()
    python = make_venv(project / "venv", link=False)
    with pytest.raises(InputError) as err:
        read(project)
    venv = project / "venv"
    assert err.value.problem == f"`pulumi` is not installed in {venv}: run `{python} -m pip install pulumi`"


def test_virtualenv_that_does_not_exist(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "app", runtime="runtime:\n  name: python\n  options:\n    virtualenv: venv\n"
    )
    with pytest.raises(InputError) as err:
        read(project)
    assert err.value.source == str(project / "venv")
    assert "does not exist" in err.value.problem and "python -m venv venv" in err.value.problem


# -- bad input -----------------------------------------------------------------------------------------


def test_directory_without_pulumi_yaml(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read(tmp_path)
    assert err.value.source == str(tmp_path) and "no Pulumi.yaml" in err.value.problem


def test_nodejs_project_without_its_sdk_installed_says_to_install_it() -> None:
    """A nodejs project runs offline (tierguard/capture/languages/nodejs.py); with no node_modules
    holding @pulumi/pulumi at or above it, the fix is named: the project's package manager's install."""
    project = PROGRAMS / "nodejs-project"
    with pytest.raises(InputError) as err:
        read(project)
    assert err.value.source == str(project.resolve())
    assert "@pulumi/pulumi is not installed" in err.value.problem
    assert f"run `npm install` in {project.resolve()}" in err.value.problem


def test_program_that_raises_reports_its_message_and_line() -> None:
    main_py = PROGRAMS / "raises" / "__main__.py"
    with pytest.raises(InputError) as err:
        read(PROGRAMS / "raises")
    raise_line = next(i for i, t in enumerate(main_py.read_text().splitlines(), 1) if "raise ValueError" in t)
    assert err.value.source == f"{main_py.resolve()}:{raise_line}"
    assert err.value.problem == "the program raised ValueError: no bucket naming rule for environment 'dev'"


def test_program_with_a_syntax_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "app", program="import pulumi\n\nx = (\n")
    with pytest.raises(InputError) as err:
        read(project)
    assert err.value.source.startswith(str(project.resolve() / "__main__.py") + ":")
    assert "SyntaxError" in err.value.problem


def test_a_missing_stack_file_is_empty_stack_config(tmp_path: Path) -> None:
    """Pulumi needs no Pulumi.<stack>.yaml; with --stack NAME the project's own config is all there is."""
    project = make_project(tmp_path / "app", runtime="runtime: python\nconfig:\n  team: payments\n")
    (stack,) = read(project, stack="qa")
    assert not (project / "Pulumi.qa.yaml").exists()
    assert stack.stack == "qa" and stack.notes == []
    assert stack.config == {"venv-app:team": "payments"}
    assert [r.type for r in stack.resources if r.type.startswith("gcp:")] == ["gcp:storage/bucket:Bucket"]


def test_no_stack_file_at_all_is_one_stack_named_dev_with_a_note(tmp_path: Path) -> None:
    project = make_project(tmp_path / "app")
    (project / "Pulumi.dev.yaml").unlink()
    (stack,) = read(project, stack=None)
    assert stack.stack == "dev"
    assert [r.type for r in stack.resources if r.type.startswith("gcp:")] == ["gcp:storage/bucket:Bucket"]
    (note,) = stack.notes
    assert "no stack config" in note and "'dev'" in note and "--stack" in note
    (named,) = read(project, stack="prod")
    assert named.stack == "prod" and named.notes == []


def test_a_malformed_stack_file_is_still_bad_input(tmp_path: Path) -> None:
    project = make_project(tmp_path / "app")
    (project / "Pulumi.dev.yaml").write_text("config: [1, 2\n")
    with pytest.raises(InputError) as err:
        read(project, stack="dev")
    assert err.value.source == str(project / "Pulumi.dev.yaml") and "invalid YAML" in err.value.problem
    (project / "Pulumi.dev.yaml").write_text("config: 3\n")
    with pytest.raises(InputError) as err:
        read(project, stack=None)
    assert "`config:` must be a mapping" in err.value.problem


def test_malformed_pulumi_yaml(tmp_path: Path) -> None:
    project = make_project(tmp_path / "app")
    (project / "Pulumi.yaml").write_text("name: [unclosed\n")
    with pytest.raises(InputError) as err:
        read(project)
    assert err.value.source == str(project / "Pulumi.yaml") and "invalid YAML" in err.value.problem


def test_pulumi_yaml_main_that_does_not_exist(tmp_path: Path) -> None:
    project = make_project(tmp_path / "app", runtime="runtime: python\nmain: src/\n")
    with pytest.raises(InputError) as err:
        read(project)
    assert "'src/' does not exist" in err.value.problem


def test_main_pointing_at_a_package_directory(tmp_path: Path) -> None:
    project = make_project(tmp_path / "app", runtime="runtime: python\nmain: infra/\n")
    (project / "infra").mkdir()
    (project / "__main__.py").rename(project / "infra" / "__main__.py")
    (stack,) = read(project)
    bucket = next(r for r in stack.resources if r.name == "b")
    assert bucket.location is not None
    assert (bucket.location.file, bucket.location.line) == ("infra/__main__.py", 6)


# -- through the command line --------------------------------------------------------------------------


def available_packs() -> list[str]:
    """Packs whose modules exist already (the packs are written in parallel with this engine)."""
    import importlib.util

    names = []
    for name, modules in PACK_MODULES.items():
        try:
            if all(importlib.util.find_spec(m) is not None for m in modules):
                names.append(name)
        except ImportError:
            continue
    return names


def test_cli_check_a_program_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    packs = available_packs()
    assert packs, "no policy pack module exists yet"
    args = ["check", str(PROGRAMS / "capture-basic"), "--stack", "dev", "--format", "json"]
    for pack in packs:
        args += ["--pack", pack]
    code = main(args)
    captured = capsys.readouterr()
    assert code in (0, 1)
    doc = json.loads(captured.out)
    assert doc["resources"] >= 7
    assert isinstance(doc["violations"], list)
    for violation in doc["violations"]:
        if "location" in violation:
            # a line in the program, or the project file for stack-level findings
            assert violation["location"]["file"] in (
                "__main__.py", "helpers.py", str(PROGRAMS / "capture-basic" / "Pulumi.yaml")
            )
    # secrets never reach the report: neither the ciphertext nor an Output.secret plaintext
    assert "s3cr3t-label" not in captured.out + captured.err
    assert "ciphertext" not in captured.out + captured.err
    # the program's own print went to stderr, not into the runner's protocol nor the report
    assert "program output goes to stderr" not in captured.out


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("raises", "the program raised ValueError"),
        ("nodejs-project", "run `npm install` in"),
    ],
)
def test_cli_bad_program_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], target: str, expected: str
) -> None:
    code = main(["check", str(PROGRAMS / target), "--stack", "dev", "--pack", available_packs()[0]])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tierguard: ") and expected in lines[0]
    assert "Traceback" not in captured.err


def test_secret_config_is_never_printed_by_a_failing_program(tmp_path: Path) -> None:
    """Even a program that prints its config cannot leak a secure: value: it only ever sees "[secret]"."""
    project = make_project(tmp_path / "app", program=textwrap.dedent('''\
        import pulumi
        raise RuntimeError("password is " + str(pulumi.Config().get("password")))
    '''))
    (project / "Pulumi.dev.yaml").write_text("config:\n  venv-app:password:\n    secure: AAAB+Zm9vYmFy==\n")
    with pytest.raises(InputError) as err:
        read(project)
    assert err.value.problem == "the program raised RuntimeError: password is [secret]"
    assert wire.SECRET_PLACEHOLDER in err.value.problem and "AAAB" not in err.value.problem


@pytest.mark.parametrize(("runtime", "language"), [("dotnet", ".NET"), ("java", "Java")])
def test_a_runtime_not_run_offline_exits_2_naming_it_and_the_preview_route(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], runtime: str, language: str
) -> None:
    (tmp_path / "Pulumi.yaml").write_text(f"name: svc\nruntime:\n  name: {runtime}\n")
    code = main(["check", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"tierguard: {tmp_path / 'Pulumi.yaml'}: runtime '{runtime}' is not run offline")
    assert f"{language} programs do not run offline" in line
    assert "`pulumi preview --json | tierguard plan -`" in line
