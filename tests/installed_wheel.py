"""tierguard as a user installs it: the wheel built from this checkout, in a fresh virtualenv.

The build runs on a snapshot of the working tree (tracked and untracked files, minus git-ignored
ones) in a temporary directory, with ``python -m build`` (the sdist, then the wheel from the sdist:
what the sdist lacks, the wheel lacks too). The wheel goes into a new virtualenv outside the
repository with pip (its dependencies from the machine's index), and every command runs from a
directory outside the repository with an environment that cannot reach it: no PYTHONPATH, no
VIRTUAL_ENV, and the suite's own interpreter taken off the PATH.

One build and install per test run: the xdist workers of a run share it (a file lock guards it).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUR_BIN = str(Path(sys.executable).parent)


@dataclass(frozen=True)
class Installed:
    """The built distributions and the virtualenv the wheel is installed in."""

    wheel: Path
    sdist: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self) -> dict[str, str]:
        """As a user's shell with this virtualenv activated: nothing of the repository on any path."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        rest = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != OUR_BIN]
        env["PATH"] = os.pathsep.join([str(self.bin), *rest])
        env["VIRTUAL_ENV"] = str(self.venv)
        env["COLUMNS"] = "200"
        return env

    def run(self, *args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "tierguard"), *args], cwd=cwd, env=self.env(),
            capture_output=True, text=True, timeout=timeout,
        )


def _snapshot(dest: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def _build_and_install(root: Path) -> Installed:
    source = _snapshot(root / "source")
    dist = root / "dist"
    subprocess.run([sys.executable, "-m", "build", "--quiet", "--outdir", str(dist), str(source)],
                   check=True, capture_output=True, text=True)
    shutil.rmtree(source)  # nothing of the checkout is left to import
    (wheel,), (sdist,) = dist.glob("*.whl"), dist.glob("*.tar.gz")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    installed = Installed(wheel, sdist, env_dir)
    subprocess.run(
        [str(installed.bin / "python"), "-m", "pip", "install", "--quiet", str(wheel), "pytest"],
        check=True, cwd=root, env=installed.env(), capture_output=True, text=True,
    )
    return installed


def installed_tierguard(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel installed once per test run (shared by its xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "installed-wheel"
    root.mkdir(exist_ok=True)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / "done"
        if not done.exists():
            for stale in ("venv", "dist", "source"):
                shutil.rmtree(root / stale, ignore_errors=True)
            installed = _build_and_install(root)
            done.write_text("")
            return installed
    (wheel,), (sdist,) = (root / "dist").glob("*.whl"), (root / "dist").glob("*.tar.gz")
    return Installed(wheel, sdist, root / "venv")
