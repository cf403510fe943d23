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


def run_capture(
    python: str | Path, request: dict[str, Any], resolve_reference: ReferenceResolver
) -> dict[str, Any]:
    """Run one program; return the runner's final document (``{"result": ...}`` or ``{"error": ...}``).

    ``resolve_reference`` is called while the program waits on a StackReference. If it raises, the
    runner is told to fail and the exception is re-raised here once the runner has finished, so the
    caller gets the resolver's own error rather than the program's secondary failure.
    """
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    refused: Exception | None = None
    final: dict[str, Any] | None = None
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
        proc = subprocess.Popen(
            [str(python), str(RUNNER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=request["project_dir"],
            env=env,
            text=True,
            encoding="utf-8",
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            for line in proc.stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue  # something wrote to file descriptor 1 behind the runner's back
                if not isinstance(message, dict):
                    continue
                if "reference" in message:
                    try:
                        answer: dict[str, Any] = {"outputs": resolve_reference(message["reference"])}
                    except Exception as exc:
                        refused = exc
                        answer = {"error": str(getattr(exc, "problem", exc))}
                    proc.stdin.write(json.dumps(answer) + "\n")
                    proc.stdin.flush()
                    continue
                final = message
                break
        except BrokenPipeError:
            pass  # the runner died; its stderr says why (below)
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
            proc.wait()
        if refused is not None:
            raise refused
        if final is None:
            errors.seek(0)
            lines = [ln for ln in errors.read().splitlines() if ln.strip()]
            raise RunnerFailure(lines[-1] if lines else f"exit status {proc.returncode}")
    return final
