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
import re
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from tierguard.model import wire
from tierguard.model.records import InputError

PREFIX = "tierguard: pack {name}: "


def emit_lines(name: str, text: str, target: TextIO | None = None, secrets: set[str] | None = None) -> None:
    """``text`` (a pack's output) on ``target`` (stderr), one prefixed line per line, the stack's
    secret values redacted."""
    if not text:
        return
    if secrets:
        text = wire.redact(text, secrets)
    out = target if target is not None else sys.stderr
    prefix = PREFIX.format(name=name)
    out.write("".join(f"{prefix}{line}\n" for line in text.splitlines()))
    out.flush()


class _Lines:
    """A text stream that forwards complete lines, prefixed, to another stream."""

    def __init__(self, name: str, target: TextIO, secrets: set[str] | None) -> None:
        self.name = name
        self.target = target
        self.secrets = secrets
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        if "\n" in self.pending:
            done, _, self.pending = self.pending.rpartition("\n")
            emit_lines(self.name, done, self.target, self.secrets)
        return len(text)

    def flush(self) -> None:
        """Partial lines wait for their end (or for the call to finish)."""

    def finish(self) -> None:
        pending, self.pending = self.pending, ""
        emit_lines(self.name, pending, self.target, self.secrets)

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return getattr(self.target, "encoding", None) or "utf-8"


class PackOutput:
    """Around a call into an in-process pack: its ``print`` and ``sys.stderr`` writes go to
    tierguard's stderr, prefixed with the pack's name. Reusable, re-entrant-safe (restores what it
    replaced). ``secrets`` (the evaluation's, it may grow) are redacted from what it shows."""

    def __init__(self, name: str, secrets: set[str] | None = None) -> None:
        self.name = name
        self.secrets = secrets
        self._saved: list[tuple[Any, Any, _Lines]] = []

    def __enter__(self) -> PackOutput:
        lines = _Lines(self.name, sys.stderr, self.secrets)
        self._saved.append((sys.stdout, sys.stderr, lines))
        sys.stdout = sys.stderr = lines  # type: ignore[assignment]
        return self

    def __exit__(self, *_: Any) -> None:
        stdout, stderr, lines = self._saved.pop()
        sys.stdout, sys.stderr = stdout, stderr
        lines.finish()


class PackFailure(InputError):
    """A pack that raised: exit 2 with one line naming the pack, the policy, the resource and the
    exception's message. :meth:`finished` redacts secret values and writes the traceback to a file
    the line names (the traceback on request, never on its own)."""

    def __init__(
        self, where: str | None, pack: str, policy: str | None, urn: str | None, message: str, trace: str
    ) -> None:
        self.pack, self.policy, self.urn, self.message, self.trace = pack, policy, urn, message, trace
        super().__init__(where, self._line(message))

    def _line(self, message: str, path: str | None = None) -> str:
        parts = [f"policy pack {self.pack}"]
        if self.policy:
            parts.append(f"policy {self.policy}")
        if self.urn:
            parts.append(f"resource {self.urn}")
        tail = f" (traceback: {path})" if path else ""
        return f"{': '.join(parts)}: {' '.join(message.split())}{tail}"

    def finished(self, redact: Callable[[str], str] | None = None) -> InputError:
        """The error to show: secrets redacted, the traceback in its own file."""
        clean = redact or (lambda text: text)
        path = traceback_file(clean(self.trace)) if self.trace else None
        return InputError(self.source, self._line(clean(self.message), path))


def traceback_file(text: str) -> str:
    """Write a traceback to a file of its own and return its path."""
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


def from_exception(
    exc: BaseException,
    pack: str,
    policy: str | None,
    urn: str | None,
    directory: Path | None,
    where: str | None = None,
) -> PackFailure:
    """The :class:`PackFailure` of an exception a pack's code raised in tierguard's process."""
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    located = pack_frame(exc, directory.resolve() if directory else None) or where
    return PackFailure(located, pack, policy, urn, f"{type(exc).__name__}: {exc}", trace)


_SERVER_ERROR = "Exception calling application"
_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def from_analyzer(
    pack: str, urn: str | None, output: str, details: str, directory: Path, secrets: set[str]
) -> PackFailure:
    """The :class:`PackFailure` of a pack served in its own process whose call failed: its stderr
    holds the server's traceback (pulumi-policy does not catch a policy's exception; grpc logs it),
    which names the innermost function of the pack, the line and the message."""
    before, found, after = output.partition(_SERVER_ERROR)
    emit_lines(pack, before, secrets=secrets)
    trace = found + after
    frames = [m for m in _FRAME.findall(trace) if Path(m[0]).resolve().is_relative_to(directory.resolve())]
    lines = [ln.strip() for ln in trace.splitlines() if ln.strip()]
    message = lines[-1] if found and lines else details.removeprefix(f"{_SERVER_ERROR}: ")
    where = f"{frames[-1][0]}:{frames[-1][1]}" if frames else str(directory)
    if frames:  # the policy's name is the pack process's to know; its function is in the traceback
        message += f" (in {frames[-1][2]})"
    return PackFailure(where, pack, None, urn, message, trace)
