"""A user's pack's own output and its own failures, kept out of tierguard's reports.

Under ``pulumi preview`` a pack is a process of its own: what it prints goes to the engine's log,
never into the preview's output, and an exception in it fails the preview. tierguard runs a pack
in its own process (in-process packs) or reads its pipes (virtualenv packs), so both are handled
here: the pack's stdout and stderr become lines on tierguard's stderr, each prefixed with the
pack's name (stdout carries the report, JSON/SARIF/JUnit must stay parseable); an exception becomes
one :class:`PackFailure` line (exit 2) naming the pack, the policy, the resource and the message,
with the traceback written to a file that line names.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, TextIO

from tierguard.model.records import InputError

PREFIX = "tierguard: pack {name}: "


def emit_lines(name: str, text: str, target: TextIO | None = None) -> None:
    """``text`` (a pack's output) on ``target`` (stderr), one prefixed line per line."""
    if not text:
        return
    out = target if target is not None else sys.stderr
    prefix = PREFIX.format(name=name)
    out.write("".join(f"{prefix}{line}\n" for line in text.splitlines()))
    out.flush()


class _Lines:
    """A text stream that forwards complete lines, prefixed, to another stream."""

    def __init__(self, name: str, target: TextIO) -> None:
        self.name = name
        self.target = target
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        if "\n" in self.pending:
            done, _, self.pending = self.pending.rpartition("\n")
            emit_lines(self.name, done, self.target)
        return len(text)

    def flush(self) -> None:
        """Partial lines wait for their end (or for the call to finish)."""

    def finish(self) -> None:
        pending, self.pending = self.pending, ""
        emit_lines(self.name, pending, self.target)

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return getattr(self.target, "encoding", None) or "utf-8"


class PackOutput:
    """Around a call into an in-process pack: its ``print`` and ``sys.stderr`` writes go to
    tierguard's stderr, prefixed with the pack's name. Reusable, re-entrant-safe (restores what it
    replaced)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._saved: list[tuple[Any, Any, _Lines]] = []

    def __enter__(self) -> PackOutput:
        lines = _Lines(self.name, sys.stderr)
        self._saved.append((sys.stdout, sys.stderr, lines))
        sys.stdout = sys.stderr = lines  # type: ignore[assignment]
        return self

    def __exit__(self, *_: Any) -> None:
        stdout, stderr, lines = self._saved.pop()
        sys.stdout, sys.stderr = stdout, stderr
        lines.finish()


class PackFailure(InputError):
    """A pack that raised: exit 2 with one line; the traceback goes to a file the line names."""


def traceback_file(text: str) -> str:
    """Write a (redacted) traceback to a file of its own and return its path."""
    fd, path = tempfile.mkstemp(prefix="tierguard-pack-", suffix=".traceback.txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def pack_frame(exc: BaseException, directory: Path | None) -> str | None:
    """``file:line`` of the innermost frame inside the pack's directory, if any."""
    if directory is None:
        return None
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if Path(f.filename).resolve().is_relative_to(directory)
    ]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None


def failure(
    pack: str,
    policy: str | None,
    urn: str | None,
    message: str,
    where: str | None,
    trace: str,
    redact: Any = None,
) -> PackFailure:
    """The one line of a pack that failed, as the CLI fails the preview on it. ``redact`` (a
    function) removes secret values from the message and the traceback."""
    clean = redact or (lambda s: s)
    parts = [f"policy pack {pack}"]
    if policy:
        parts.append(f"policy {policy}")
    if urn:
        parts.append(f"resource {urn}")
    path = traceback_file(clean(trace)) if trace else None
    tail = f" (traceback: {path})" if path else ""
    return PackFailure(where, f"{': '.join(parts)}: {clean(message)}{tail}")


def from_exception(
    exc: BaseException,
    pack: str,
    policy: str | None,
    urn: str | None,
    directory: Path | None,
    redact: Any = None,
) -> PackFailure:
    """:func:`failure` of an exception raised in-process by a pack's code."""
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return failure(
        pack, policy, urn, f"{type(exc).__name__}: {exc}", pack_frame(exc, directory), trace, redact
    )
