"""Issue 15's "report the floor": of a program capture, what is the Pulumi SDK's and what is ours.

``tierguard check`` captures a program by running it under the SDK's mocks with a recording monitor
(:mod:`tierguard.capture.runner`). The SDK's own registration machinery -- Output objects, asyncio
callbacks, stack traces for source positions, protobuf requests -- costs the same with no tierguard
code at all: :mod:`benchmarks.mockrun` runs the same program under the bare ``pulumi.runtime.set_mocks``
(cycle collector off, as tierguard's runner runs). Three numbers from the same ``make bench`` run:

* the SDK alone: the program's run under bare mocks (provider SDK imports and registrations; the
  interpreter start and ``import pulumi`` before it are not counted);
* tierguard's run of the program: the same, plus the recording monitor and sending the records to
  ``tierguard check`` (``Run.seconds``: from the request to the answer, its runner already started);
* tierguard's capture phase: all of it, plus starting the runner and reading the records into resources.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.measure import CliMeasurement, run_command


def measure(program: Path, check: CliMeasurement, timeout: float = 600.0) -> dict[str, Any]:
    """The SDK-only run of ``program`` (a fresh process), beside ``check``'s capture of it."""
    out: dict[str, Any] = {
        "program": str(program),
        # the readers' whole phase (the command's own "capture" timing is the runner's run)
        "capture_s": check.phases.get("read") if check.wall is not None else None,
        "runner_s": next(iter(check.captures.values()), None) if len(check.captures) == 1 else None,
    }
    run = run_command([sys.executable, "-m", "benchmarks.mockrun", str(program), "--no-gc"], timeout=timeout)
    if run.exit != 0:
        out["error"] = (run.stderr.strip().splitlines() or [f"exit {run.exit}"])[-1][:200]
        return out
    sdk = json.loads(run.stdout.strip().splitlines()[-1])
    out.update(sdk_s=sdk["seconds"], sdk_cpu_s=sdk.get("cpu_seconds"), sdk_process_s=run.wall,
               resources=sdk["resources"])
    return out


def render(floor: dict[str, Any]) -> list[str]:
    if not floor:
        return []
    name = Path(floor["program"]).name
    if "error" in floor:
        return [f"Capture floor ({name}): not measured: {floor['error']}"]
    n = floor["resources"] or 1

    def row(label: str, seconds: float | None) -> str:
        if seconds is None:
            return f"  {label:<66} n/a"
        return f"  {label:<66} {seconds:7.2f} s  {seconds / n * 1e6:6.0f} µs/resource"

    sdk, runner, capture = floor["sdk_s"], floor.get("runner_s"), floor.get("capture_s")
    lines = [
        f"Capture floor ({name}, {n} resources; one run of each, cycle collector off as in tierguard's "
        "runner):",
        row("Pulumi SDK alone: the program under bare mocks, no tierguard code", sdk),
        row("tierguard's runner: the same run, recorded and sent back", runner),
        row("tierguard check's reading phase: + runner start, records read", capture),
    ]
    if runner is not None:
        lines.append(row("ours: recording and sending (runner - SDK)", runner - sdk))
    if capture is not None:
        share = f" ({100 * (capture - sdk) / capture:.0f} % of the capture)" if capture else ""
        lines.append(row(f"ours in all (capture - SDK){share}", capture - sdk))
    return lines
