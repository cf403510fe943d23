"""Shared by every test: no state outside the test's own temporary directory.

The capture cache lives under ``$XDG_CACHE_HOME/tierguard/captures``: each test gets its own, so no
test, xdist worker or run sees captures another one made. The Pulumi CLI that ``make pulumi-cli``
built stays where it is: ``tests/e2e`` finds it in a session-scoped fixture, which pytest sets up
before this function-scoped one changes the variable.

A program without a ``virtualenv`` option runs under the ``python3`` on the PATH, as the Pulumi CLI
runs it: the suite's own interpreter (whose environment has the reference stacks' SDKs) goes first
on the PATH, as an activated virtualenv would, so running ``python -m pytest`` needs no activation.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


@pytest.fixture(autouse=True)
def private_cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def captures(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(project, stack) of every program a capture runner was asked to run (a capture served from
    the capture cache runs none)."""
    from tierguard.readers import program

    asked: list[tuple[str, str]] = []
    real = program.RunnerProcess.capture

    def counting(self, request, resolve):  # type: ignore[no-untyped-def]
        asked.append((request["project"], request["stack"]))
        return real(self, request, resolve)

    monkeypatch.setattr(program.RunnerProcess, "capture", counting)
    return asked
