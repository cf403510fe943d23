"""The launchers of the runtimes other than Python: how each starts its program against the offline
engine (:mod:`tierguard.capture.engine_host`) the way that runtime's Pulumi language host does.

Takes a project's directory, its ``main`` and ``runtime.options`` (from Pulumi.yaml) and hands on a
:class:`~tierguard.capture.engine_host.Toolchain`; a project the toolchain cannot run (nothing
installed, no compiler) is refused here with an :class:`~tierguard.model.records.InputError` naming the
project and the fix. Python's launcher sits in the engine host itself, its interpreter chosen by
:mod:`tierguard.readers.program` as the Python host chooses it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from tierguard.capture.engine_host import Toolchain

# runtime (Pulumi.yaml `runtime:`) -> the module whose ``toolchain(project_dir, main, options)`` runs it
LAUNCHERS: dict[str, str] = {
    "yaml": "tierguard.capture.languages.yaml",
    "nodejs": "tierguard.capture.languages.nodejs",
    "go": "tierguard.capture.languages.go",
}

# Runtimes Pulumi has that tierguard does not run offline: their previews are read instead.
NOT_OFFLINE = {"dotnet": ".NET", "java": "Java"}


def pwd_main(project_dir: Path, main: str) -> tuple[Path, str]:
    """pkg/engine/project.go getPwdMain: the program's directory and its entry point (``.`` when
    ``main`` is empty or a directory, else the file's name); every runtime's host starts there."""
    if not main or main == ".":
        return project_dir, "."
    target = (project_dir / main).resolve()
    if target.is_dir():
        return target, "."
    return target.parent, target.name


def offline_runtimes() -> tuple[str, ...]:
    return ("python", *LAUNCHERS)


def toolchain(runtime: str, project_dir: Path, main: str, options: dict[str, Any]) -> Toolchain:
    module = importlib.import_module(LAUNCHERS[runtime])
    return module.toolchain(project_dir, main, options)
