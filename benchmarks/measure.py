"""The measurements behind ``make bench``: commands in fresh processes, policy paths in-process.

* :func:`run_command` runs a command in its own process and reads that process's wall time and
  peak resident memory from ``os.wait4`` (the kernel's per-child rusage; ``ru_maxrss`` covers the
  child and any processes it waited for, e.g. a program run in the stack's own interpreter).
* :func:`measure_cli` runs ``tierguard <command>`` through :mod:`benchmarks.driver` to split the
  time into start-up, reading/capture, evaluation and reporting.
* :func:`measure_policy_paths` evaluates all packs over the same resources in-process
  (:class:`tierguard.evaluate.evaluator.Evaluator`) and as the Pulumi CLI serves them (each pack launched
  from ``policypacks/<pack>`` and driven over the analyzer gRPC protocol), and checks that both
  found the same thing, so the ratio compares equal work.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REFERENCE_STACKS = [str(REPO / "reference_stacks" / "gcp" / tier) for tier in ("identity", "infra", "app")]
PACKS_DIR = REPO / "policypacks"


@dataclass
class Run:
    """One finished process."""

    wall: float
    peak_bytes: int
    exit: int
    stdout: str
    stderr: str
    timed_out: bool = False


def run_command(argv: Sequence[str], cwd: Path = REPO, timeout: float = 300.0) -> Run:
    """Run ``argv``; wall time and peak RSS of exactly this child (not of earlier ones).

    The child gets its own process group so that a hung run (and the program runner it started)
    can be stopped as a whole after ``timeout`` seconds (killed before it is reaped, so the group
    id is still ours).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
        )
        deadline = started + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        if timed_out:
            stderr += f"\ntimed out after {timeout:.0f} s (stopped)"
        return Run(
            wall=wall,
            peak_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
            exit=-9 if timed_out else proc.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=stderr,
            timed_out=timed_out,
        )


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class CliMeasurement:
    """Medians over the runs of one ``tierguard`` command."""

    command: list[str]
    runs: int = 0
    wall: float | None = None
    peak_bytes: int | None = None
    phases: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    exit: int | None = None
    error: str | None = None
    all_walls: list[float] = field(default_factory=list)
    # seconds of each offline program run (stack label -> s), last run
    captures: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "runs": self.runs,
            "wall_s": self.wall,
            "walls_s": self.all_walls,
            "peak_bytes": self.peak_bytes,
            "phases_s": self.phases,
            "counts": self.counts,
            "exit": self.exit,
            "error": self.error,
            "captures_s": self.captures,
        }


def _command_error(run: Run) -> str | None:
    """Exit 0 and 1 are verdicts; anything else means the command could not do the job."""
    if run.exit in (0, 1):
        return None
    lines = [line for line in (run.stderr or run.stdout).strip().splitlines() if line.strip()]
    return f"exit {run.exit}: {lines[-1] if lines else 'no output'}"


def measure_cli(
    args: Sequence[str],
    runs: int,
    *,
    python: str = sys.executable,
    slow_after: float = 60.0,
    timeout: float = 300.0,
) -> CliMeasurement:
    """``tierguard ARGS`` ``runs`` times through the phase driver; medians of everything.

    A run slower than ``slow_after`` seconds is not repeated (the budget of ``make bench`` is ten
    minutes); the measurement says how many runs it is the median of.
    """
    m = CliMeasurement(command=["tierguard", *args])
    walls: list[float] = []
    peaks: list[int] = []
    phases: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            phases_file = Path(tmp) / f"phases-{i}.json"
            run = run_command([python, "-m", "benchmarks.driver", str(phases_file), *args], timeout=timeout)
            m.exit = run.exit
            m.error = _command_error(run)
            if m.error is None and not phases_file.is_file():  # a traceback also exits 1
                m.error = _command_error(Run(run.wall, run.peak_bytes, -1, run.stdout, run.stderr))
            if m.error:
                break
            data = json.loads(phases_file.read_text(encoding="utf-8"))
            walls.append(run.wall)
            peaks.append(run.peak_bytes)
            main = data["phases"].get("main", run.wall)
            timings = data["timings"]
            sample = {
                "startup": run.wall - main,
                "read": data["phases"].get("read", 0.0),
                "evaluate": timings.get("evaluate", 0.0),
                "report": data["phases"].get("report", 0.0),
            }
            # phases the command records itself (e.g. "capture", "plan") are kept too
            for key, value in timings.items():
                if key != "evaluate":
                    sample[key] = value
            sample["other"] = max(0.0, main - sample["read"] - sample["evaluate"] - sample["report"])
            for key, value in sample.items():
                phases.setdefault(key, []).append(value)
            m.counts = data["counts"]
            m.captures = data.get("captures", {})
            if run.wall > slow_after:
                break
    m.runs = len(walls)
    m.all_walls = walls
    m.wall = median(walls)
    m.peak_bytes = int(statistics.median(peaks)) if peaks else None
    m.phases = {k: statistics.median(v) for k, v in phases.items()}
    return m


def measure_cold_check(
    tierguard: str, runs: int, extra: Sequence[str] = (), timeout: float = 120.0
) -> CliMeasurement:
    """``tierguard check`` of the reference stacks (what ``make check`` runs), the real console script."""
    m = CliMeasurement(command=[tierguard, "check", *REFERENCE_STACKS, *extra])
    walls: list[float] = []
    peaks: list[int] = []
    for _ in range(runs):
        run = run_command(m.command, timeout=timeout)
        m.exit = run.exit
        m.error = _command_error(run)
        if m.error is None and "Traceback (most recent call last)" in run.stderr:
            m.error = _command_error(Run(run.wall, run.peak_bytes, -1, run.stdout, run.stderr))
        if m.error:
            break
        if "0 stack(s)" in run.stdout:
            m.error = "no reference stack found"
            break
        walls.append(run.wall)
        peaks.append(run.peak_bytes)
    m.runs = len(walls)
    m.all_walls = walls
    m.wall = median(walls)
    m.peak_bytes = int(statistics.median(peaks)) if peaks else None
    return m


# --------------------------------------------------------------------------------------------------
# In-process versus gRPC
# --------------------------------------------------------------------------------------------------


@dataclass
class PolicyPaths:
    """Per-resource cost of all packs, both ways, on the same resources."""

    resources: int
    packs: list[str]
    sampled: bool = False  # a sample of a bigger stack (see generate.sample)
    runs: int = 0
    in_process_s: float | None = None
    grpc_s: float | None = None
    grpc_launch_s: float | None = None
    parity: bool | None = None
    parity_detail: str = ""
    findings: int = 0
    error: str | None = None

    @property
    def in_process_per_resource(self) -> float | None:
        if self.in_process_s is None or not self.resources:
            return None
        return self.in_process_s / self.resources

    @property
    def grpc_per_resource(self) -> float | None:
        return self.grpc_s / self.resources if self.grpc_s is not None and self.resources else None

    @property
    def ratio(self) -> float | None:
        if self.in_process_s and self.grpc_s:
            return self.grpc_s / self.in_process_s
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "resources": self.resources,
            "packs": self.packs,
            "sampled": self.sampled,
            "runs": self.runs,
            "in_process_s": self.in_process_s,
            "grpc_s": self.grpc_s,
            "grpc_launch_s": self.grpc_launch_s,
            "in_process_us_per_resource": _us(self.in_process_per_resource),
            "grpc_us_per_resource": _us(self.grpc_per_resource),
            "ratio": self.ratio,
            "parity": self.parity,
            "parity_detail": self.parity_detail,
            "findings": self.findings,
            "error": self.error,
        }


def _us(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e6


def pack_options() -> list[str]:
    """``--pack`` options selecting the packs that exist yet (none: every pack, the default)."""
    from tierguard.policies.packs import PACK_MODULES

    names = available_packs()
    if len(names) == len(PACK_MODULES) or not names:
        return []
    return [option for name in names for option in ("--pack", name)]


def available_packs() -> list[str]:
    """Packs that are both registered and importable and have a pack directory to serve them."""
    from tierguard.policies.packs import PACK_MODULES, load_pack

    names = []
    for name in PACK_MODULES:
        if not (PACKS_DIR / name / "__main__.py").is_file():
            continue
        try:
            load_pack(name)
        except Exception:  # a pack still being written is simply not measured yet
            continue
        names.append(name)
    return names


def measure_policy_paths(
    stack: Any, runs: int, packs: Sequence[str] | None = None, sampled: bool = False
) -> PolicyPaths:
    """Evaluate ``stack`` with every available pack in-process and over gRPC, ``runs`` times each.

    The gRPC time is what the CLI's analyzer calls cost once the packs are up (configure, every
    ``Analyze``, ``AnalyzeStack``, per pack, each pack a separate process as the CLI runs them);
    starting the pack processes is reported separately (``grpc_launch_s``).
    """
    from tierguard.crossguard.analyzer_host import analyze_over_grpc, comparable, launch_pack
    from tierguard.crossguard.packconfig import PackConfig
    from tierguard.evaluate.evaluator import Evaluator
    from tierguard.model.records import Finding
    from tierguard.policies.packs import load_pack

    names = list(packs) if packs is not None else available_packs()
    resources = sum(1 for r in stack.resources if not r.is_stack)
    out = PolicyPaths(resources=resources, packs=names, sampled=sampled)
    if not names:
        out.error = "no policy pack is available yet"
        return out
    loaded = [load_pack(n) for n in names]
    config = PackConfig()

    # One untimed evaluation first: the gRPC side is timed after its packs started and answered
    # GetAnalyzerInfo, so both sides are measured warm (imports and first-call costs excluded).
    Evaluator(loaded, config).evaluate(stack)
    local_times: list[float] = []
    local = None
    for _ in range(runs):
        started = time.perf_counter()
        local = Evaluator(loaded, config).evaluate(stack)
        local_times.append(time.perf_counter() - started)

    grpc_times: list[float] = []
    launch = 0.0
    remote: list[Any] = []
    for i in range(runs):
        total = 0.0
        remote = []
        for name, pack in zip(names, loaded, strict=True):
            started = time.perf_counter()
            pack_dir = PACKS_DIR / name
            with launch_pack(pack_dir, project=stack.project, stack=stack.stack,
                             config=stack.config) as client:
                client.get_info()
                launched = time.perf_counter()
                if i == 0:
                    launch += launched - started
                remote.extend(analyze_over_grpc(client, stack, config.reconcile([pack])))
                total += time.perf_counter() - launched
        grpc_times.append(total)

    out.runs = runs
    out.in_process_s = statistics.median(local_times)
    out.grpc_s = statistics.median(grpc_times)
    out.grpc_launch_s = launch
    assert local is not None
    out.findings = len(local.findings)
    remote_findings = [
        Finding(d.policy, d.pack, "", d.enforcement_level, d.message, urn=d.urn) for d in remote
    ]
    mine, theirs = comparable(local.findings), comparable(remote_findings)
    out.parity = mine == theirs
    if not out.parity:
        only_local = sorted(set(mine) - set(theirs))[:1]
        only_remote = sorted(set(theirs) - set(mine))[:1]
        out.parity_detail = f"in-process only: {only_local}; gRPC only: {only_remote}"
    return out


# --------------------------------------------------------------------------------------------------
# A user's own policy pack (issue 13)
# --------------------------------------------------------------------------------------------------

USER_PACK = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "packs" / "user" / "gcp-python"

_LOAD_PACK = """
import json, sys, time
import tierguard.evaluate.evaluator  # what every check imports anyway (pulumi, pulumi_policy)
from tierguard.evaluate.userpack import load_policy_pack
started = time.perf_counter()
pack = load_policy_pack(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - started, "policies": len(pack.policies)}))
"""


def measure_user_pack_load(
    runs: int, pack_dir: Path = USER_PACK, python: str = sys.executable
) -> dict[str, Any]:
    """Loading a small pack (run its __main__.py, PolicyPack intercepted), each run in a fresh
    process so nothing is cached; the median of ``runs``."""
    seconds: list[float] = []
    policies = 0
    for _ in range(runs):
        proc = subprocess.run(
            [python, "-c", _LOAD_PACK, str(pack_dir)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            return {"pack": str(pack_dir), "seconds": None, "error": proc.stderr.strip()[-300:]}
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        seconds.append(out["seconds"])
        policies = out["policies"]
    return {"pack": pack_dir.name, "policies": policies, "seconds": statistics.median(seconds), "runs": runs}
