"""tierguard as a pre-commit hook (issue 7 §3).

The mapping from staged files to Pulumi projects is tested directly; the hook itself is tested for
real: ``pre-commit try-repo`` installs this repository into its own virtual environment (as a user's
``.pre-commit-config.yaml`` would) and runs the hook on a throw-away git repository whose commit
adds a Cloud SQL instance to an app stack (refused) or a ConfigMap (accepted).

The hook's environment holds tierguard and its lean dependencies only; a program runs where the
Pulumi CLI would run it (issue 22), so the provider SDKs come by one of the two documented routes:
the stack's own ``virtualenv`` (tested through ``try-repo``), or ``additional_dependencies`` in the
user's ``.pre-commit-config.yaml`` (tested through ``pre-commit run`` on that file: ``try-repo``
takes no hook options). Neither: the hook fails as bad input, in one line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest
import yaml
from venvs import make_venv

from tierguard.integrations.precommit import check_args, main, stack_dirs

ROOT = Path(__file__).resolve().parents[1]

APP_PROJECT = "name: shop-app\nruntime: python\ndescription: The shop's app tier.\n"
APP_PROJECT_WITH_VENV = (
    "name: shop-app\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n"
    "description: The shop's app tier.\n"
)
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
NAMESPACE_PROGRAM = dedent(
    """\
    import pulumi_kubernetes as k8s

    # A namespace is a cluster-level object: the infra tier makes it for the app.
    shop = k8s.core.v1.Namespace("shop", metadata={"name": "shop"})
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
    assert raw[0]["files"] == r"\.(py|ya?ml|[cm]?[jt]sx?|json|lock|go|mod|sum)$"
    files = re.compile(raw[0]["files"])
    staged = ["__main__.py", "Pulumi.dev.yaml", "index.ts", "src/app.mts", "index.js", "package.json",
              "yarn.lock", "tsconfig.json", "main.go", "go.mod", "go.sum"]
    assert all(files.search(name) for name in staged)
    assert not any(files.search(name) for name in ("README.md", "Dockerfile", "logo.png"))


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


def _user_repo(root: Path, program: str, *, own_venv: bool = False) -> Path:
    """A throw-away repository with an app stack, its program staged for commit; ``own_venv`` gives
    the stack a `virtualenv` option and that virtualenv (git-ignored, as a user's would be)."""
    repo = root / "user-repo"
    app = repo / "stacks" / "shop-app"
    app.mkdir(parents=True)
    (repo / "tools").mkdir()
    _git(repo, "init", "-q")
    (app / "Pulumi.yaml").write_text(APP_PROJECT_WITH_VENV if own_venv else APP_PROJECT)
    (app / "Pulumi.dev.yaml").write_text(DEV_STACK)
    (app / "__main__.py").write_text(program)
    if own_venv:
        make_venv(app / "venv")
        (repo / ".gitignore").write_text("venv/\n")
    (repo / "tools" / "bump_version.py").write_text("print('not a stack')\n")
    _git(repo, "add", "-A")
    return repo


def _hook_env(home: Path) -> dict[str, str]:
    # COLUMNS: the report's table is not wrapped into a narrow terminal's width. PATH: without this
    # suite's interpreter first (tests/conftest.py), as a user's shell without an activated venv.
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never", "COLUMNS": "200"}
    ours = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != ours)
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PRE_COMMIT_HOME per module: pre-commit builds each hook environment once and reuses it."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(repo: Path, hook_repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo` over the staged files, as a user trying the hook would run it."""
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "tierguard", "--verbose"],
        cwd=repo, env=_hook_env(home), capture_output=True, text=True, timeout=600,
    )


def test_commit_adding_a_datastore_to_an_app_stack_is_refused(
    hook_repo: Path, tmp_path: Path, pre_commit_home: Path
) -> None:
    repo = _user_repo(tmp_path, DATASTORE_PROGRAM, own_venv=True)
    result = _try_repo(repo, hook_repo, pre_commit_home)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "tierguard (Pulumi policy check)" in out and "Failed" in out
    assert "no-datastore-in-app-tier" in out and "__main__.py:5" in out, out
    assert "storage-deletion-guards" not in out  # refused for the tier boundary alone
    assert "- exit code: 1" in out  # a mandatory violation (exit 2 would be bad input)


def test_clean_commit_passes(hook_repo: Path, tmp_path: Path, pre_commit_home: Path) -> None:
    repo = _user_repo(tmp_path, CONFIGMAP_PROGRAM, own_venv=True)
    result = _try_repo(repo, hook_repo, pre_commit_home)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "tierguard (Pulumi policy check)" in out and "Passed" in out


def test_a_stack_without_its_sdk_is_bad_input_in_one_line(
    hook_repo: Path, tmp_path: Path, pre_commit_home: Path
) -> None:
    """No virtualenv option and no additional_dependencies: the hook's python3 lacks pulumi_kubernetes."""
    repo = _user_repo(tmp_path, CONFIGMAP_PROGRAM)
    result = _try_repo(repo, hook_repo, pre_commit_home)
    out = result.stdout + result.stderr
    assert result.returncode == 1 and "- exit code: 2" in out, out  # pre-commit fails any non-zero hook
    (line,) = [line for line in out.splitlines() if line.startswith("tierguard: ")]
    assert "stacks/shop-app: `pulumi_kubernetes` is not installed for " in line, line
    assert "the Python on the PATH, which the Pulumi CLI runs this program with" in line
    assert "Traceback" not in out


def test_additional_dependencies_bring_the_sdks(
    hook_repo: Path, tmp_path: Path, pre_commit_home: Path
) -> None:
    """The README's second route: the SDKs the stacks import as the hook's additional_dependencies."""
    repo = _user_repo(tmp_path, NAMESPACE_PROGRAM)
    rev = _git(hook_repo, "rev-parse", "HEAD").strip()
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{
        "repo": str(hook_repo), "rev": rev,
        "hooks": [{"id": "tierguard", "additional_dependencies": ["pulumi-kubernetes>=4.18,<5"]}],
    }]}))
    _git(repo, "add", "-A")

    def run() -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--verbose"],
            cwd=repo, env=_hook_env(pre_commit_home), capture_output=True, text=True, timeout=900,
        )
        return done.returncode, done.stdout + done.stderr

    code, out = run()
    assert code == 1 and "- exit code: 1" in out, out
    refused = "stacks/shop-app/__main__.py:4: error resource-in-its-tier `kubernetes:core/v1:Namespace`"
    assert refused in out, out
    (repo / "stacks" / "shop-app" / "__main__.py").write_text(CONFIGMAP_PROGRAM)
    _git(repo, "add", "-A")
    code, out = run()
    assert code == 0 and "Passed" in out, out


# --- a TypeScript app stack (runtime: nodejs, issue 23) ---------------------------------------------------

TS_CONFIGMAP_PROGRAM = dedent(
    """\
    import * as k8s from "@pulumi/kubernetes";

    new k8s.core.v1.ConfigMap("settings", {
        metadata: { name: "shop-settings", namespace: "shop" },
        data: { GREETING: "hello" },
    });
    """
)
TS_DATASTORE_ADDED = TS_CONFIGMAP_PROGRAM + dedent(
    """\

    // Protected every way storage should be -- but a datastore belongs to the infra tier.
    new gcp.sql.DatabaseInstance("orders", {
        databaseVersion: "POSTGRES_15",
        region: "europe-west1",
        deletionProtection: true,
        settings: { tier: "db-custom-1-3840", deletionProtectionEnabled: true },
    }, { protect: true });
    """
)


def _ts_user_repo(root: Path) -> Path:
    """A repository whose committed TypeScript app stack holds a ConfigMap; its node_modules (a link
    to the examples' one, `make node-examples`) git-ignored as a user's would be."""
    node_modules = ROOT / "examples" / "node_modules"
    assert (node_modules / "@pulumi" / "pulumi").is_dir(), "run `make node-examples`"
    repo = root / "ts-repo"
    app = repo / "stacks" / "shop-app"
    app.mkdir(parents=True)
    _git(repo, "init", "-q")
    (app / "Pulumi.yaml").write_text("name: shop-app\nruntime: nodejs\ndescription: The shop's app tier.\n")
    (app / "Pulumi.dev.yaml").write_text(DEV_STACK)
    (app / "package.json").write_text('{"name": "shop-app", "main": "index.ts"}\n')
    (app / "index.ts").write_text(TS_CONFIGMAP_PROGRAM)
    (app / "node_modules").symlink_to(node_modules, target_is_directory=True)
    (repo / ".gitignore").write_text("node_modules\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the shop app")
    return repo


def test_a_typescript_commit_adding_a_cloud_sql_instance_to_an_app_stack_is_refused(
    hook_repo: Path, tmp_path: Path, pre_commit_home: Path
) -> None:
    repo = _ts_user_repo(tmp_path)
    index = repo / "stacks" / "shop-app" / "index.ts"
    index.write_text('import * as gcp from "@pulumi/gcp";\n' + TS_DATASTORE_ADDED)
    _git(repo, "add", "-A")
    result = _try_repo(repo, hook_repo, pre_commit_home)
    out = result.stdout + result.stderr
    assert result.returncode == 1 and "- exit code: 1" in out, out
    line = next(n for n, text in enumerate(index.read_text().splitlines(), 1) if "DatabaseInstance" in text)
    assert "no-datastore-in-app-tier" in out and f"index.ts:{line}" in out, out
    # the same change without the instance passes
    index.write_text(TS_CONFIGMAP_PROGRAM.replace("hello", "hello, world"))
    _git(repo, "add", "-A")
    result = _try_repo(repo, hook_repo, pre_commit_home)
    assert result.returncode == 0 and "Passed" in result.stdout + result.stderr, result.stdout + result.stderr
