"""The progress line of a long check: on standard error, and only when it is a terminal.

A check of many projects, or one slow program, would otherwise sit silent for seconds. The line
(``rich``'s live progress, cleared when the check ends) names the capture running, how many of the
planned captures are done and how many came from the capture cache. When standard error is not a
terminal -- CI logs, pre-commit, a pipe -- nothing is drawn at all, so logs and the reports on
standard output stay exactly as without it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


class CaptureLine:
    """A :class:`~tierguard.readers.program.CaptureProgress` drawn as one rich progress line."""

    def __init__(self, stream: TextIO) -> None:
        self._lock = threading.Lock()
        self._running: list[str] = []
        self._cached = 0
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("capturing [bold]{task.fields[current]}[/]"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn("{task.fields[cached]} cached"),
            TimeElapsedColumn(),
            console=Console(file=stream, force_terminal=True),
            transient=True,
        )
        self._task = self._progress.add_task("capture", total=0, current="…", cached=0)

    def __enter__(self) -> CaptureLine:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def planned(self, count: int) -> None:
        with self._lock:
            total = self._progress.tasks[0].total or 0
            self._progress.update(self._task, total=total + count)

    def started(self, name: str) -> None:
        with self._lock:
            self._running.append(name)
            self._progress.update(self._task, current=name)
            self._progress.refresh()  # every change drawn, not only those a 10 Hz tick happens to see

    def finished(self, name: str, *, cached: bool) -> None:
        with self._lock:
            if name in self._running:
                self._running.remove(name)
            self._cached += cached
            task = self._progress.tasks[0]
            total = max(task.total or 0, task.completed + 1)  # a sibling captured for a reference
            current = self._running[-1] if self._running else "…"
            self._progress.update(
                self._task, advance=1, total=total, current=current, cached=self._cached
            )
            self._progress.refresh()


@contextmanager
def capture_progress(stream: TextIO | None = None) -> Iterator[CaptureLine | None]:
    """A progress line on ``stream`` (standard error) while the block runs, if it is a terminal."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield None
        return
    with CaptureLine(stream) as line:
        yield line
