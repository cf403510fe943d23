"""Finding the projects, failing closed (issue 22 §5): a directory that is not a project stands for
every project beneath it, as a linter finds its files; nothing found is bad input, never a pass."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tierguard.model.records import InputError
from tierguard.readers.discover import find_projects

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference_stacks" / "gcp"
GIT = shutil.which("git")


def project(path: Path, file: str = "Pulumi.yaml") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / file).write_text(f"name: {path.name}\nruntime: python\n")
    return path


def rel(found: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in found]


def git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root, env=env, check=True, capture_output=True,
    )


def test_every_project_beneath_in_path_order_skipping_what_holds_none_of_ours(tmp_path: Path) -> None:
    for kept in ("stacks/infra", "stacks/app", "a", "deep/down/there"):
        project(tmp_path / kept)
    project(tmp_path / "yml", "Pulumi.yml")
    for skipped in (".hidden/p", "node_modules/pkg/p", "build/p", "dist/p", "x.egg-info/p",
                    "__pycache__/p", "stacks/site-packages/p"):
        project(tmp_path / skipped)
    venv = tmp_path / "stacks" / "env"  # a virtualenv, whatever its name
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    project(venv / "lib" / "p")
    assert rel(find_projects(tmp_path), tmp_path) == [
        "a", "deep/down/there", "stacks/app", "stacks/infra", "yml"
    ]


def test_a_project_is_itself_only(tmp_path: Path) -> None:
    root = project(tmp_path / "infra")
    project(root / "nested")
    assert find_projects(root) == [root]


def test_nothing_beneath_is_an_input_error_naming_the_directory(tmp_path: Path) -> None:
    project(tmp_path / "node_modules" / "p")  # only in a skipped directory
    with pytest.raises(InputError) as err:
        find_projects(tmp_path)
    assert err.value.source == str(tmp_path)
    assert err.value.problem == "no Pulumi project (Pulumi.yaml) under it"


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_in_a_git_work_tree_what_git_ignores_is_skipped(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("generated/\n*.tmp/\n")
    project(tmp_path / "tracked")
    project(tmp_path / "untracked")  # new, not yet added: a user's next project
    project(tmp_path / "generated" / "p")
    project(tmp_path / "scratch.tmp")
    project(tmp_path / "sub" / "kept")
    project(tmp_path / "sub" / "local")
    (tmp_path / "sub" / ".gitignore").write_text("local/\n")  # a nested .gitignore
    project(tmp_path / "gone")
    git(tmp_path, "add", "tracked", "gone", ".gitignore")
    git(tmp_path, "commit", "-qm", "x")
    (tmp_path / "gone" / "Pulumi.yaml").unlink()  # tracked, deleted from the work tree
    assert rel(find_projects(tmp_path), tmp_path) == ["sub/kept", "tracked", "untracked"]
    # from a subdirectory of the work tree, paths stay under the directory given
    assert rel(find_projects(tmp_path / "sub"), tmp_path / "sub") == ["kept"]


def tierguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tierguard", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_check_with_no_path_checks_every_project_under_the_current_directory_as_one_estate(
    tmp_path: Path,
) -> None:
    """The reference stacks under a repository root: the app stack's StackReference to infra
    resolves from its sibling, so the estate passes as it does when each is named."""
    root = tmp_path / "repo"
    shutil.copytree(REFERENCE, root / "stacks", ignore=shutil.ignore_patterns("__pycache__", "*.md"))
    found = tierguard("check", "--format", "json", cwd=root)
    named = tierguard(
        "check", "--format", "json", *(f"stacks/{t}" for t in ("identity", "infra", "app")), cwd=root
    )
    assert found.returncode == 0, found.stderr
    report, by_name = json.loads(found.stdout), json.loads(named.stdout)
    sources = sorted(s["source"] for s in report["stacks"])
    assert sources == sorted(s["source"] for s in by_name["stacks"])
    assert set(sources) == {f"stacks/{t}" for t in ("app", "identity", "infra")}
    per_stack = sorted((s["source"], s["stack"], s["resources"]) for s in report["stacks"])
    assert per_stack == sorted((s["source"], s["stack"], s["resources"]) for s in by_name["stacks"])
    assert report["resources"] == by_name["resources"] > 0


def test_check_where_there_is_no_project_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no project here\n")
    for args, named in (((), tmp_path), ((str(tmp_path),), tmp_path)):
        proc = tierguard("check", *args, cwd=tmp_path)
        assert (proc.returncode, proc.stdout) == (2, "")
        assert proc.stderr == f"tierguard: {named}: no Pulumi project (Pulumi.yaml) under it\n"


def test_exemptions_finds_the_projects_too(tmp_path: Path) -> None:
    proc = tierguard("exemptions", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"tierguard: {tmp_path}: no Pulumi project (Pulumi.yaml) under it\n"
    app = tmp_path / "stacks" / "app"
    shutil.copytree(REFERENCE / "app", app, ignore=shutil.ignore_patterns("__pycache__"))
    proc = tierguard("exemptions", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["attention"] == 0
