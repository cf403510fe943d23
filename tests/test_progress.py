"""Progress on long work (issue 22 §6): a progress line on standard error when it is a terminal
(the capture running, done/total, cache hits), and nothing at all when it is not."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tierguard.readers import load_stacks, program

REPO = Path(__file__).resolve().parents[1]
STACKS = [f"reference_stacks/gcp/{tier}" for tier in ("identity", "infra", "app")]
ANSI_ESCAPE = "\x1b"


class Recorder:
    """A CaptureProgress that keeps what it is told."""

    def __init__(self) -> None:
        self.plans: list[int] = []
        self.starts: list[str] = []
        self.ends: list[tuple[str, bool]] = []

    def planned(self, count: int) -> None:
        self.plans.append(count)

    def started(self, name: str) -> None:
        self.starts.append(name)

    def finished(self, name: str, *, cached: bool) -> None:
        self.ends.append((name, cached))


def test_each_capture_is_announced_planned_started_and_finished_with_its_cache_hit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # this process's memo of earlier tests' runs would answer without a capture to announce
    monkeypatch.setattr(program, "_RUNS", {})
    targets = [REPO / s for s in STACKS]
    rec = Recorder()
    stacks = load_stacks(targets, progress=rec)
    names = sorted(f"{REPO / s} ({st})" for s in STACKS for st in ("dev", "prod"))
    assert len(stacks) == 6 and rec.plans == [6]
    assert sorted(rec.starts) == names
    assert sorted(rec.ends) == [(n, False) for n in names]

    program._RUNS.clear()  # this process's memo: the next read goes to the capture cache on disk
    rec = Recorder()
    load_stacks(targets, progress=rec)
    assert sorted(rec.ends) == [(n, True) for n in names]


def run_check(*args: str, stderr_tty: bool) -> tuple[int, str, str]:
    """``tierguard check`` with standard error a pseudo-terminal (or a pipe); stdout is a pipe."""
    command = [sys.executable, "-m", "tierguard", "check", *args]
    if not stderr_tty:
        proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stdout = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(), stdout, b"".join(chunks).decode(errors="replace")


def test_a_terminal_gets_the_progress_line_and_the_report_is_unchanged() -> None:
    code, stdout, stderr = run_check(*STACKS, "--format", "json", stderr_tty=True)  # a fresh cache
    assert code == 0, stderr
    assert "capturing" in stderr
    assert "reference_stacks/gcp/infra (dev)" in stderr
    assert "6/6" in stderr and "0 cached" in stderr
    assert ANSI_ESCAPE not in stdout
    assert json.loads(stdout)["resources"] > 0

    code, again, stderr = run_check(*STACKS, "--format", "json", stderr_tty=True)
    assert code == 0 and "6 cached" in stderr  # the second run: every capture from the cache
    assert json.loads(again)["violations"] == json.loads(stdout)["violations"]


def test_no_terminal_no_progress() -> None:
    code, stdout, stderr = run_check(*STACKS, "--format", "json", "--no-cache", stderr_tty=False)
    assert code == 0
    assert stderr == ""
    assert ANSI_ESCAPE not in stdout
    json.loads(stdout)
