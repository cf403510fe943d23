"""Finding the Pulumi projects beneath a directory, as a linter finds its files.

``tierguard check`` with no PATH, or with a directory that is not itself a project, checks every
project beneath it as one estate. The walk skips what never holds a project of the user's own:
dot-directories (``.git``, ``.venv``, ``.pulumi``), virtualenvs (any directory with a
``pyvenv.cfg``), ``node_modules``, ``__pycache__``, build output (``build``, ``dist``,
``*.egg-info``) and, inside a git work tree, what git ignores (``git ls-files --exclude-standard``:
the nested ``.gitignore`` files, ``.git/info/exclude`` and the global excludes, as git reads them).
Finding nothing fails closed: a check that checked nothing must never pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tierguard.model.records import InputError

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
SKIPPED_NAMES = frozenset({"node_modules", "__pycache__", "build", "dist", "site-packages"})


def is_project(directory: Path) -> bool:
    return any((directory / name).is_file() for name in PROJECT_FILES)


def _skipped(name: str, path: Path | str) -> bool:
    return (
        name.startswith(".")
        or name in SKIPPED_NAMES
        or name.endswith(".egg-info")
        or os.path.isfile(os.path.join(path, "pyvenv.cfg"))
    )


def _git_listed(directory: Path) -> list[Path] | None:
    """The project files git sees beneath ``directory`` (tracked, or untracked and not ignored).

    None when ``directory`` is not in a git work tree, or git is absent: then every directory is
    walked. ``git ls-files`` prunes ignored directories as it goes, so a huge ignored tree costs
    nothing, and it reads every ``.gitignore``, ``.git/info/exclude`` and the global excludes
    exactly as git does.
    """
    git = shutil.which("git")
    if git is None:
        return None
    patterns = [f":(glob)**/{name}" for name in PROJECT_FILES]
    proc = subprocess.run(
        [git, "-C", str(directory), "ls-files", "--cached", "--others", "--exclude-standard", "-z",
         "--", *patterns],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:  # not a work tree (or git could not answer): walk instead
        return None
    return [directory / name for name in proc.stdout.split("\0") if name]


def _kept(project_file: Path, directory: Path) -> bool:
    """A project file git listed, unless a directory on its way down is one the walk skips."""
    if not project_file.is_file():  # tracked but deleted from the work tree
        return False
    current = directory
    for part in project_file.parent.relative_to(directory).parts:
        current = current / part
        if _skipped(part, current):
            return False
    return True


def _walk(directory: Path) -> list[Path]:
    """Every project directory at or beneath ``directory``, before git's ignore rules."""
    found: list[Path] = []
    pending = [directory]
    while pending:
        current = pending.pop()
        if is_project(current):
            found.append(current)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name, reverse=True)
        except OSError:
            continue  # unreadable: nothing of ours can be found there
        pending.extend(
            Path(e.path) for e in entries if e.is_dir(follow_symlinks=False) and not _skipped(e.name, e.path)
        )
    return found


def _found(directory: Path) -> set[Path]:
    listed = _git_listed(directory)
    if listed is None:
        return set(_walk(directory))
    return {f.parent for f in listed if _kept(f, directory)}


def find_projects(directory: Path) -> list[Path]:
    """The project itself, when ``directory`` is one; else every project beneath it, in path order.

    Raises :class:`InputError` naming the directory when there is none.
    """
    if is_project(directory):
        return [directory]
    found = _found(directory)
    if not found:
        named = directory if str(directory) not in ("", ".") else Path.cwd()
        raise InputError(str(named), "no Pulumi project (Pulumi.yaml) under it")
    return sorted(found, key=lambda p: p.relative_to(directory).parts)
