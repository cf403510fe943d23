"""Shared by every test: no state outside the test's own temporary directory.

The capture cache lives under ``$XDG_CACHE_HOME/tierguard/captures``: each test gets its own, so no
test, xdist worker or run sees captures another one made. The Pulumi CLI that ``make pulumi-cli``
built stays where it is: ``tests/e2e`` finds it in a session-scoped fixture, which pytest sets up
before this function-scoped one changes the variable.
"""

from __future__ import annotations

from pathlib import Path

import pytest


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
