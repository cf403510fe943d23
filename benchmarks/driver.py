"""Run one ``tierguard`` command exactly as the console script does, and record where the time went.

``python -m benchmarks.driver PHASES.json check DIR`` is ``tierguard check DIR`` (same entry point,
``tierguard.cli.main``) with light timers around the phases, written to PHASES.json:

* ``read``: the readers (program capture, or reading a preview document);
* ``evaluate``: policy evaluation (``Result.timings["evaluate"]``, the evaluator's own clock);
* ``report``: rendering the reports;
* ``main``: the whole command inside the process; the harness adds start-up (interpreter and
  imports) from the wall time it measures outside;
* ``programs``: each program a capture runner ran (``project/stack``); a capture served from the
  capture cache runs none.

Phases that the command records itself in ``Result.timings`` (``capture``, ``plan``, ...) are kept
as they are. The wrappers are installed before the command module is imported (``tierguard.cli``
imports commands lazily), so ``from x import y`` in the command binds the timed version. The
harness measures wall time and peak memory of this process from outside (``os.wait4``).
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import time
from collections.abc import Callable
from typing import Any

_phases: dict[str, float] = {}
_timings: dict[str, float] = {}
_counts: dict[str, int] = {"stacks": 0, "resources": 0, "findings": 0, "blocking": 0}
_depth = {"read": 0}


def _timed_read(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Time only the outermost reader call (load_stacks calls read_program / read_file)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _depth["read"] += 1
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _depth["read"] -= 1
            if _depth["read"] == 0:
                _phases["read"] = _phases.get("read", 0.0) + time.perf_counter() - started

    return wrapper


def _install() -> None:
    report = importlib.import_module("tierguard.report")
    original_render = report.render
    seen: set[int] = set()

    def render(fmt: str, results: Any, **options: Any) -> str:
        results = list(results)
        for r in results:
            if id(r) in seen:
                continue
            seen.add(id(r))
            for key, value in r.timings.items():
                _timings[key] = _timings.get(key, 0.0) + value
            _counts["stacks"] += 1
            _counts["resources"] += sum(1 for x in r.stack.resources if not x.is_stack)
            _counts["findings"] += len(r.findings)
            _counts["blocking"] += sum(1 for f in r.findings if f.blocking)
        started = time.perf_counter()
        try:
            return original_render(fmt, results, **options)
        finally:
            _phases["report"] = _phases.get("report", 0.0) + time.perf_counter() - started

    report.render = render

    _count_programs()
    readers = importlib.import_module("tierguard.readers")
    readers.load_stacks = _timed_read(readers.load_stacks)
    for module_name, attr in (
        ("tierguard.readers.program", "read_program"),
        ("tierguard.readers.detect", "read_file"),
        ("tierguard.readers.detect", "read_plan"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, attr):
            setattr(module, attr, _timed_read(getattr(module, attr)))


_programs: list[str] = []  # "project/stack" of every program a runner ran (cached captures run none)


def _count_programs() -> None:
    capture = importlib.import_module("tierguard.capture")
    original = capture.RunnerProcess.capture

    @functools.wraps(original)
    def counting(self: Any, request: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        _programs.append(f"{request.get('project')}/{request.get('stack')}")
        return original(self, request, *args, **kwargs)

    capture.RunnerProcess.capture = counting


def _captures() -> dict[str, float]:
    """Seconds of each offline program run, when the capture engine kept them (run_info)."""
    program = sys.modules.get("tierguard.readers.program")
    runs = getattr(program, "_RUN_OF", None) or {}
    out = {}
    for (source, stack), run in runs.items():
        seconds = getattr(run, "seconds", None)
        if isinstance(seconds, float):
            out[f"{source}:{stack}"] = seconds
    return out


def main(argv: list[str]) -> int:
    out_path, command = argv[0], argv[1:]
    _install()
    from tierguard.cli import main as tierguard_main

    started = time.perf_counter()
    code = tierguard_main(command)
    _phases["main"] = time.perf_counter() - started
    with open(out_path, "w", encoding="utf-8") as fh:
        doc = {"phases": _phases, "timings": _timings, "counts": _counts, "exit": code,
               "captures": _captures(), "programs": _programs}
        json.dump(doc, fh)
    return code


if __name__ == "__main__":
    code = main(sys.argv[1:])
    try:
        from tierguard.cli import exit_now
    except ImportError:  # a tierguard from before exit_now (the capture cache rows run c6ce312)
        sys.exit(code)
    exit_now(code)  # as the console script exits
