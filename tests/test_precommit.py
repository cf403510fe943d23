"""tierguard as a pre-commit hook (issue 7 §3).

The mapping from staged files to Pulumi projects is tested directly; the hook itself is tested for
real: ``pre-commit try-repo`` installs this repository into its own virtual environment (as a user's
``.pre-commit-config.yaml`` would) and runs the hook on a throw-away git repository whose commit
adds a Cloud SQL instance to an app stack (refused) or a ConfigMap (accepted).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest
import yaml

from tierguard.integrations.precommit import check_args, main, stack_dirs

ROOT = Path(__file__).resolve().parents[1]

APP_PROJECT = "name: shop-app\nruntime: python\ndescription: The shop's app tier.\n"
DEV_STACK = "config:\n  gcp:project: shop-dev\n  gcp:region: europe-west1\n"
DATASTORE_PROGRAM = dedent(
    """\
    import pulumi
    import pulumi_gcp as gcp

    # Protected every way storage should be -- but a datastore belongs to the infra tier, not to an app stack.
    orders = gcp.sql.DatabaseInstance(
        "orders",
        database_version="POSTGRES_15",
        region="europe-west1",
        deletion_protection=True,
        settings={"tier": "db-custom-1-3840", "deletion_protection_enabled": True},
        opts=pulumi.ResourceOptions(protect=True),
    )
    """
)
CONFIGMAP_PROGRAM = dedent(
    """\
    import pulumi_kubernetes as k8s

    settings = k8s.core.v1.ConfigMap(
        "settings",
        metadata={"name": "shop-settings", "namespace": "shop"},
        data={"GREETING": "hello"},
    )
    """
)


# --- which stacks a commit touches --------------------------------------------------------------------


def _project(path: Path, name: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    return path


def test_files_map_to_their_nearest_project_once(tmp_path: Path) -> None:
    app = _project(tmp_path / "stacks" / "app", "shop-app")
    infra = _project(tmp_path / "stacks" / "infra", "shop-infra")
    nested = _project(app / "components" / "cache", "shop-cache-app")
    (app / "lib").mkdir()
    files = [
        "stacks/app/__main__.py",
        "stacks/app/lib/helpers.py",
        "stacks/app/Pulumi.dev.yaml",
        "stacks/infra/__main__.py",
        "stacks/app/components/cache/__main__.py",
        "docs/notes.yaml",  # in no project
        "stacks/app/deleted_in_this_commit.py",  # gone from disk: still maps by its directory
    ]
    assert stack_dirs(files, tmp_path) == [app.resolve(), infra.resolve(), nested.resolve()]


def test_a_project_above_the_repository_is_ignored(tmp_path: Path) -> None:
    _project(tmp_path, "outside-app")
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    assert stack_dirs(["src/main.py"], repo) == []


def test_a_project_at_the_repository_root(tmp_path: Path) -> None:
    _project(tmp_path, "shop-app")
    assert check_args(["__main__.py", "Pulumi.yaml"], tmp_path) == ["check", "--format", "compact", "."]


def test_options_pass_through_to_check(tmp_path: Path) -> None:
    _project(tmp_path / "app", "shop-app")
    args = check_args(
        ["--pack", "tier-boundaries", "--policy-pack-config", "ci/policy.json", "app/__main__.py"], tmp_path
    )
    assert args == [
        "check", "--format", "compact", "--pack", "tier-boundaries", "--policy-pack-config", "ci/policy.json",
        "app",
    ]
    assert check_args(["--no-cache", "app/__main__.py"], tmp_path) == [
        "check", "--format", "compact", "--no-cache", "app",
    ]


def test_no_project_touched_means_nothing_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tools").mkdir()
    monkeypatch.chdir(tmp_path)
    assert check_args(["tools/release.py"]) is None
    assert main(["tools/release.py"]) == 0


def test_hook_manifest() -> None:
    """The manifest pre-commit reads from this repository (validated by pre-commit's own schema)."""
    from pre_commit.clientlib import load_manifest

    (hook,) = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "tierguard" and hook["language"] == "python"
    assert hook["entry"] == "python -m tierguard.integrations.precommit"
    assert hook["pass_filenames"] and hook["require_serial"]
    raw = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert raw[0]["files"] == r"\.(py|ya?ml)$"


# --- the hook for real, through pre-commit ------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout as pre-commit fetches it: a git repository whose HEAD has the working tree.

    ``try-repo`` on a dirty checkout leaves out files git does not track yet, so the test commits a
    snapshot of the working tree (tracked and untracked, minus ignored files) into its own repository.
    """
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():
            dest = snapshot / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    _git(snapshot, "init", "-q")
    _git(snapshot, "add", "-A")
    _git(snapshot, "commit", "-q", "-m", "snapshot")
    return snapshot


def _user_repo(root: Path, program: str) -> Path:
    """A throw-away repository with an app stack, its program staged for commit."""
    repo = root / "user-repo"
    app = repo / "stacks" / "shop-app"
    app.mkdir(parents=True)
    (repo / "tools").mkdir()
    _git(repo, "init", "-q")
    (app / "Pulumi.yaml").write_text(APP_PROJECT)
    (app / "Pulumi.dev.yaml").write_text(DEV_STACK)
    (app / "__main__.py").write_text(program)
    (repo / "tools" / "bump_version.py").write_text("print('not a stack')\n")
    _git(repo, "add", "-A")
    return repo


def _try_repo(repo: Path, hook_repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo` over the staged files, as a user trying the hook would run it."""
    # COLUMNS: the report's table is not wrapped into a narrow terminal's width
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never", "COLUMNS": "200"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "tierguard", "--verbose"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )


def test_commit_adding_a_datastore_to_an_app_stack_is_refused(hook_repo: Path, tmp_path: Path) -> None:
    repo = _user_repo(tmp_path, DATASTORE_PROGRAM)
    result = _try_repo(repo, hook_repo, tmp_path / "pre-commit-home")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "tierguard (Pulumi policy check)" in out and "Failed" in out
    assert "no-datastore-in-app-tier" in out and "__main__.py:5" in out, out
    assert "storage-deletion-guards" not in out  # refused for the tier boundary alone
    assert "- exit code: 1" in out  # a mandatory violation (exit 2 would be bad input)


def test_clean_commit_passes(hook_repo: Path, tmp_path: Path) -> None:
    repo = _user_repo(tmp_path, CONFIGMAP_PROGRAM)
    result = _try_repo(repo, hook_repo, tmp_path / "pre-commit-home")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "tierguard (Pulumi policy check)" in out and "Passed" in out
