"""``python -m benchmarks`` (``make bench``): issue 8's speed goals, measured and judged.

Prints one table (one row per synthetic stack size, one for the reference stacks), the targets
with PASS/FAIL, and writes everything as JSON to ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import capture_cache, engine, floor, generate, install, languages, protocol
from benchmarks.measure import (
    REFERENCE_STACKS,
    REPO,
    CliMeasurement,
    PolicyPaths,
    measure_cli,
    measure_cold_check,
    measure_policy_paths,
    measure_user_pack_load,
    pack_options,
)

DEFAULT_SIZES = (1000, 5000, 20000)
QUICK_SIZES = (200, 1000)
GIB = 1024**3
MIB = 1024**2


@dataclass
class SizeResult:
    size: int
    check: CliMeasurement
    plan: CliMeasurement
    policy: PolicyPaths

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "check": self.check.to_json(),
            "plan": self.plan.to_json(),
            "policy_paths": self.policy.to_json(),
        }


COLUMNS = (
    "stack",
    "resources",
    "check s",
    "startup",
    "capture",
    "evaluate",
    "report",
    "check MiB",
    "plan s",
    "plan MiB",
    "sample",
    "in-proc µs/res",
    "gRPC µs/res",
    "gRPC/in-proc",
    "findings",
)


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MIB:.0f}"


def _capture(m: CliMeasurement) -> float | None:
    if m.wall is None:
        return None
    return m.phases.get("capture", m.phases.get("read"))


def rows(sizes: list[SizeResult], reference: CliMeasurement | None) -> list[list[str]]:
    out = []
    for r in sizes:
        p = r.policy
        out.append([
            f"synthetic {r.size}",
            str(r.check.counts.get("resources", "n/a")) if r.check.wall is not None else "n/a",
            _s(r.check.wall),
            _s(r.check.phases.get("startup")) if r.check.wall is not None else "n/a",
            _s(_capture(r.check)),
            _s(r.check.phases.get("evaluate")) if r.check.wall is not None else "n/a",
            _s(r.check.phases.get("report")) if r.check.wall is not None else "n/a",
            _mib(r.check.peak_bytes),
            _s(r.plan.wall),
            _mib(r.plan.peak_bytes),
            str(p.resources) + ("*" if p.sampled else ""),
            "n/a" if p.in_process_per_resource is None else f"{p.in_process_per_resource * 1e6:.0f}",
            "n/a" if p.grpc_per_resource is None else f"{p.grpc_per_resource * 1e6:.0f}",
            "n/a" if p.ratio is None else f"{p.ratio:.0f}x" + ("" if p.parity else " (!)"),
            str(r.check.counts.get("findings", "n/a")) if r.check.wall is not None else "n/a",
        ])
    if reference is not None:
        out.append([
            "reference stacks (cold)",
            str(reference.counts.get("resources", "")) if reference.counts else "",
            _s(reference.wall),
            "", "", "", "",
            _mib(reference.peak_bytes),
            "", "", "", "", "", "", "",
        ])
    return out


def format_table(header: tuple[str, ...], body: list[list[str]]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(header)]

    def line(cells: list[str] | tuple[str, ...]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs)

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)])


# --------------------------------------------------------------------------------------------------
# Targets (issue 8)
# --------------------------------------------------------------------------------------------------


def _verdict(ok: bool | None) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "FAIL")


PLAN_TARGET = "issue 15: tierguard plan on 20,000 steps with all packs ≤ 2 s"


def _plan_detail(p: CliMeasurement) -> str:
    """The wall time and where it went (the phases the driver records), for a miss to show why."""
    phases = ", ".join(
        f"{name} {p.phases[name]:.2f}" for name in ("startup", "read", "plan", "evaluate", "report", "other")
        if name in p.phases
    )
    return f"{p.wall:.2f} s (median of {p.runs}; {phases})"


def targets(
    sizes: list[SizeResult], reference: CliMeasurement | None, user_pack: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    by_size = {r.size: r for r in sizes}
    out: list[dict[str, Any]] = []

    def add(name: str, ok: bool | None, measured: str) -> None:
        out.append({"target": name, "verdict": _verdict(ok).strip(), "measured": measured})

    if user_pack is not None:
        load = user_pack.get("seconds")
        measured = (
            user_pack.get("error", "")
            if load is None
            else f"{load:.3f} s ({user_pack['pack']}, {user_pack['policies']} policies, "
            f"median of {user_pack['runs']})"
        )
        add("loading a small user policy pack ≤ 0.2 s", None if load is None else load <= 0.2, measured)

    ref = reference.wall if reference is not None else None
    add("reference stacks: tierguard check < 2 s (cold, median)", None if ref is None else ref < 2.0,
        "not measured" + (f" ({reference.error})" if reference and reference.error else "") if ref is None
        else f"{ref:.2f} s (median of {reference.runs})")

    ratios = [(r.size, r.policy) for r in sizes if r.policy.ratio is not None]
    if ratios:
        worst_size, worst = min(ratios, key=lambda x: x[1].ratio or 0)
        ok = all((p.ratio or 0) >= 50 and p.parity for _, p in ratios)
        parity = "" if all(p.parity for _, p in ratios) else "; findings differ between the paths!"
        add("in-process ≥ 50x cheaper per resource than gRPC", ok,
            f"worst {worst.ratio:.0f}x ({worst.resources} resources of the {worst_size} stack){parity}")
    else:
        errors = {r.policy.error for r in sizes if r.policy.error}
        add("in-process ≥ 50x cheaper per resource than gRPC", None,
            "; ".join(sorted(errors)) or "not measured")

    big = by_size.get(20000)
    small = by_size.get(1000)
    if big is None:
        for name in ("20k resources: check < 10 s", "20k resources: check peak < 1 GiB",
                     "20k-step preview: plan < 3 s", PLAN_TARGET, "growth: check time at 20k ≤ 25x at 1k"):
            add(name, None, "size 20000 not run")
        return out
    c, p = big.check, big.plan
    add("20k resources: check < 10 s", None if c.wall is None else c.wall < 10.0,
        c.error or "" if c.wall is None else f"{c.wall:.2f} s (median of {c.runs})")
    add("20k resources: check peak < 1 GiB", None if c.peak_bytes is None else c.peak_bytes < GIB,
        c.error or "" if c.peak_bytes is None else f"{c.peak_bytes / MIB:.0f} MiB")
    add("20k-step preview: plan < 3 s", None if p.wall is None else p.wall < 3.0,
        p.error or "" if p.wall is None else f"{p.wall:.2f} s (median of {p.runs})")
    add(PLAN_TARGET, None if p.wall is None else p.wall <= 2.0,
        p.error or "" if p.wall is None else _plan_detail(p))
    if small is None or small.check.wall is None or c.wall is None:
        add("growth: check time at 20k ≤ 25x at 1k", None, "needs sizes 1000 and 20000")
    else:
        growth = c.wall / small.check.wall
        add("growth: check time at 20k ≤ 25x at 1k", growth <= 25.0,
            f"{growth:.1f}x ({small.check.wall:.2f} s → {c.wall:.2f} s)")
    return out


# --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help=f"one run each, sizes {','.join(map(str, QUICK_SIZES))} (unless --sizes)")
    parser.add_argument("--sizes", help="comma-separated stack sizes (default 1000,5000,20000)")
    parser.add_argument("--runs", type=int, help="runs per measurement, the median is reported (default 3)")
    parser.add_argument("--grpc-sample", type=int, default=1000,
                        help="resources evaluated both ways for the in-process/gRPC ratio (default 1000)")
    parser.add_argument("--reference-runs", type=int,
                        help="cold runs of the reference check (default: as --runs)")
    parser.add_argument("--no-reference", action="store_true", help="skip the reference stacks")
    parser.add_argument("--no-capture-cache", action="store_true",
                        help="skip the capture cache rows (reference stacks cold/warm cache, issue 15)")
    parser.add_argument("--cli-sizes", default=",".join(map(str, engine.DEFAULT_SIZES)),
                        help="generated programs run side by side through the real `pulumi preview` "
                        "(default 100,1000; needs `make pulumi-cli`)")
    parser.add_argument("--no-cli", action="store_true", help="skip the side-by-side rows with the real CLI")
    parser.add_argument("--no-languages", action="store_true",
                        help="skip the per-language rows (protocol, mocks, pulumi preview; issue 23)")
    parser.add_argument("--no-install", action="store_true",
                        help="skip the install size and time of the wheel (lean core vs core + reference)")
    parser.add_argument("--no-protocol", action="store_true",
                        help="skip the --capture engine row against the mocks path (reference app stack)")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the largest program under the bare SDK mocks (the capture floor)")
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / ".generated",
                        help="where the synthetic stacks are written (gitignored)")
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks" / "results.json")
    args = parser.parse_args(argv)
    default_sizes = QUICK_SIZES if args.quick else DEFAULT_SIZES
    args.sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(default_sizes)
    args.runs = args.runs or (1 if args.quick else 3)
    args.reference_runs = args.reference_runs or args.runs
    if args.quick:
        args.grpc_sample = min(args.grpc_sample, 200)
    return args


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    python = sys.executable
    tierguard = str(Path(python).with_name("tierguard"))

    # Until every pack exists (they are written in parallel), measure with the ones that do.
    packs = pack_options()
    if packs:
        log(f"not every pack exists yet; measuring with {' '.join(packs)}")

    reference = None
    if not args.no_reference:
        log(f"reference stacks: cold `tierguard check` x {args.reference_runs}")
        # cold: every program runs (--no-cache); the capture cache has rows of its own below
        reference = measure_cold_check(tierguard, args.reference_runs, [*packs, "--no-cache"])
        if reference.error is None:  # one more run through the driver, for counts and per-stack capture
            detail = measure_cli(["check", *REFERENCE_STACKS, *packs, "--no-cache"], 1, python=python,
                                 timeout=120.0)
            reference.counts, reference.captures = detail.counts, detail.captures
            reference.phases = detail.phases

    cache_rows = None
    if not (args.no_reference or args.no_capture_cache):
        log(f"capture cache: c6ce312, no cache, cold and warm cache, interleaved x {args.reference_runs}")
        cache_rows = capture_cache.measure(args.workdir, args.reference_runs)
        cache_rows["targets"] = capture_cache.targets(cache_rows)

    protocol_rows: list[dict[str, Any]] = []
    if not (args.no_reference or args.no_protocol):
        app = protocol.reference_app()
        if app is not None:
            log(f"protocol path against the mocks path: {app}, interleaved x {args.reference_runs}")
            protocol_rows.append(protocol.measure(app, args.reference_runs))

    installs: dict[str, Any] = {"error": "skipped (--no-install)", "rows": []}
    if not args.no_install:
        log("install: the wheel into a new virtualenv, lean core and core + reference SDKs")
        installs = install.measure()

    log(f"user policy pack: load x {args.runs}")
    user_pack = measure_user_pack_load(args.runs)

    results: list[SizeResult] = []
    for size in args.sizes:
        log(f"{size} resources: generating")
        program = generate.write_program(args.workdir, size)
        preview = generate.write_preview(args.workdir, size)
        log(f"{size} resources: tierguard check x {args.runs}")
        check_args = ["check", str(program), "--stack", generate.STACK_NAME, *packs, "--no-cache"]
        check = measure_cli(check_args, args.runs, python=python)
        log(f"{size} resources: tierguard plan x {args.runs}")
        plan = measure_cli(["plan", str(preview), *packs], args.runs, python=python)
        everything = generate.specs(size)
        sample = generate.sample(everything, args.grpc_sample)
        log(f"{size} resources: all packs in-process and over gRPC on {len(sample)} resources x {args.runs}")
        sample_stack = generate.to_stack(sample, generate.project_name(size))
        policy = measure_policy_paths(sample_stack, args.runs, sampled=len(sample) < len(everything))
        results.append(SizeResult(size, check, plan, policy))

    capture_floor: dict[str, Any] = {}
    if results and not args.no_floor:
        biggest = max(results, key=lambda r: r.size)
        log(f"{biggest.size} resources: the same program under the bare SDK mocks (capture floor)")
        capture_floor = floor.measure(generate.write_program(args.workdir, biggest.size), biggest.check)

    side_by_side: dict[str, Any] = {"error": "skipped (--no-cli)", "rows": []}
    if not args.no_cli:
        cli_sizes = [int(s) for s in args.cli_sizes.split(",") if s]
        log(f"side by side with the real CLI: reference stacks and generated {cli_sizes}")
        side_by_side = engine.measure(args.workdir / "engine", cli_sizes, reference=not args.no_reference)

    per_language: dict[str, Any] = {"error": "skipped (--no-languages)", "rows": []}
    if not (args.no_cli or args.no_languages):
        cli_sizes = [int(s) for s in args.cli_sizes.split(",") if s]
        log(f"per language: the protocol path, the mocks path and pulumi preview at {cli_sizes}")
        per_language = languages.measure(args.workdir / "languages", cli_sizes)

    body = rows(results, reference)
    verdicts = targets(results, reference, user_pack)
    elapsed = time.perf_counter() - started
    return {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "settings": {
            "sizes": args.sizes,
            "runs": args.runs,
            "grpc_sample": args.grpc_sample,
            "reference_runs": args.reference_runs,
            "pack_options": packs,
        },
        "columns": list(COLUMNS),
        "table": body,
        "sizes": [r.to_json() for r in results],
        "reference": reference.to_json() if reference else None,
        "user_pack_load": user_pack,
        "targets": verdicts,
        "side_by_side": side_by_side,
        "languages": per_language,
        "capture_floor": capture_floor,
        "protocol": protocol_rows,
        "capture_cache": cache_rows,
        "install": installs,
        "elapsed_s": elapsed,
    }


def render(report: dict[str, Any]) -> str:
    lines = [format_table(COLUMNS, report["table"]), ""]
    notes = []
    notes.append(
        "sample: resources evaluated by all packs both ways (in-process Evaluator and each pack served over "
        "gRPC as the CLI serves it), incl. 2 default providers; * = whole services sampled across the stack. "
        "gRPC µs/res excludes pack start-up."
    )
    for r in report["sizes"]:
        for what in ("check", "plan"):
            if r[what]["error"]:
                notes.append(f"{r['size']}: tierguard {what} not measured: {r[what]['error']}")
        pp = r["policy_paths"]
        if pp["error"]:
            notes.append(f"{r['size']}: policy paths not measured: {pp['error']}")
        elif pp["parity"] is False:
            notes.append(f"{r['size']}: (!) in-process and gRPC findings differ: {pp['parity_detail']}")
    if report["reference"] and report["reference"]["error"]:
        notes.append(f"reference stacks: {report['reference']['error']}")
    lines.extend(notes)
    if notes:
        lines.append("")
    for t in report["targets"]:
        lines.append(f"{t['verdict']:<4}  {t['target']}: {t['measured']}")
    protocol_lines = protocol.render(report.get("protocol") or [])
    if protocol_lines:
        lines.append("")
        lines.extend(protocol_lines)
    capture_floor = floor.render(report.get("capture_floor") or {})
    if capture_floor:
        lines.append("")
        lines.extend(capture_floor)
    cache_rows = report.get("capture_cache")
    if cache_rows:
        lines.append("")
        lines.extend(capture_cache.table(cache_rows))
        for t in cache_rows["targets"]:
            lines.append(f"{t['verdict']:<4}  {t['target']}: {t['measured']}")
            lines.extend(f"        in the way: {why}" for why in t["in the way"])
    lines.append("")
    lines.extend(install.table(report.get("install") or {"error": "not measured"}))
    side = report["side_by_side"]
    lines.append("")
    if side.get("rows"):
        lines.append(f"Side by side with the real engine ({side['source']}; all four packs, local backend, "
                     "stand-in providers; one run each):")
        lines.append(format_table(engine.COLUMNS, side["table"]))
        lines.extend(f"{r['program']}: {r['error']}" for r in side["rows"] if r["error"])
    else:
        lines.append(f"Side by side with the real engine: not measured ({side['error']})")
    lines.append("")
    lines.extend(languages.render(report.get("languages") or {"error": "not measured"}))
    s = report["settings"]
    lines.append("")
    lines.append(
        f"runs per measurement: {s['runs']} (median); reference runs: {s['reference_runs']}; "
        f"{report['machine']['cpus']} CPUs; took {report['elapsed_s']:.0f} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # as an activated virtualenv: programs run under the python3 on the PATH, as the Pulumi CLI runs them
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    report = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(render(report))
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
