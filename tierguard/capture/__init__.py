"""The host side of the offline preview engine: start :mod:`runner` in the stack's own interpreter
and talk to it over its line protocol.

The runner is a single stdlib + pulumi-SDK file executed by path, so it runs in any virtualenv that
has the pulumi SDK, whatever versions of pulumi, pulumi-gcp or pulumi-kubernetes the stack pins.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

RUNNER = Path(__file__).resolve().with_name("runner.py")

# Answers a StackReference name with the referenced stack's outputs (wire form); raises to refuse.
ReferenceResolver = Callable[[str], dict[str, Any]]


class RunnerFailure(Exception):
    """The runner process died without answering (a crash of the interpreter or of the SDK)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class RunnerProcess:
    """One runner (tierguard/capture/runner.py) in one interpreter, kept open to capture several stacks
    one after another: the provider SDK imports, most of a small program's time, are paid once.

    The line protocol: one JSON request a line; the runner may ask StackReference questions (one JSON
    line each, answered on stdin) before its result line; closing stdin ends the runner.
    """

    def __init__(self, python: Path, cwd: Path) -> None:
        self.cwd = cwd  # the project directory it runs
        # A failed read kills runners from another thread while their capture is reading: closing
        # twice at once, or reading stderr while it closes, must never happen (see close()).
        self._lock = threading.Lock()
        self.closed = False
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # stderr (the program's prints) goes to a file: a pipe nobody reads could fill and block it
        self.errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (lives with the runner)
        self.proc = subprocess.Popen(
            [str(python), str(RUNNER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            cwd=cwd,
            env=env,
            text=True,
            encoding="utf-8",
        )

    def capture(self, request: dict[str, Any], resolve_reference: ReferenceResolver) -> dict[str, Any]:
        """Run one stack; return the runner's final document (``{"result": ...}`` or ``{"error": ...}``).

        A resolver that raises tells the runner to fail, and its exception is
        re-raised once the runner has answered, so the caller gets the resolver's own error.
        """
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        refused: Exception | None = None
        final: dict[str, Any] | None = None
        try:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
            for line in stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue  # something wrote to file descriptor 1 behind the runner's back
                if not isinstance(message, dict):
                    continue
                if "reference" not in message:
                    final = message
                    break
                try:
                    answer: dict[str, Any] = {"outputs": resolve_reference(message["reference"])}
                except Exception as exc:
                    refused = exc
                    answer = {"error": str(getattr(exc, "problem", exc))}
                stdin.write(json.dumps(answer) + "\n")
                stdin.flush()
        except BrokenPipeError:
            pass  # the runner died; its stderr says why (below)
        except ValueError:
            if not self.closed:
                self.kill()
                raise
            # closed by another thread (a failed read abandons the captures still running)
        except BaseException:
            self.kill()  # interrupted mid-conversation: the runner cannot be used again
            raise
        if final is None:  # the runner died: its last words are in its stderr
            self.proc.wait()
            lines = self._last_words()
            self.close()
        if refused is not None:
            raise refused
        if final is None:
            raise RunnerFailure(lines[-1] if lines else f"exit status {self.proc.returncode}")
        return final

    def _last_words(self) -> list[str]:
        """The runner's stderr, unless another thread already closed it (the read was abandoned)."""
        with self._lock:
            if self.closed:
                return ["the read was abandoned"]
            self.errors.seek(0)
            return [ln for ln in self.errors.read().splitlines() if ln.strip()]

    def close(self) -> None:
        """End of stdin: the runner leaves once its current run is over (at once when idle).

        Idempotent and serialised: kill() from a failed read may run while a capture thread is
        closing the same runner, and two closes at once raise "I/O operation on closed file"."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            for stream in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError):
                    if stream is not None:
                        stream.close()
            self.proc.wait()
            self.errors.close()

    def kill(self) -> None:
        self.proc.kill()
        self.close()
