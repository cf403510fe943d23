"""Run a generated program under the Pulumi SDK's own mocks and count what it registers.

Independent of tierguard's capture engine on purpose: the smoke test uses it to prove that the
generator writes a valid program of the requested size, and ``python -m benchmarks.mockrun DIR
[--profile OUT]`` gives the floor that any SDK-mock-based capture pays per resource (the SDK's
registration machinery), which the benchmark README compares the engine against.

Usage: ``python -m benchmarks.mockrun PROGRAM_DIR [--no-gc] [--profile OUT]`` prints ``{"resources":
N, "types": {...}, "seconds": s, "cpu_seconds": s}`` as JSON (run it in a fresh process: the SDK's
runtime settings are global). ``--no-gc`` turns the cycle collector off first, as tierguard's capture
runner does, so that the two compare like with like (``benchmarks/floor.py``).
"""

from __future__ import annotations

import gc
import json
import runpy
import sys
import time
from collections import Counter
from pathlib import Path

import yaml


def run(directory: Path, stack: str = "bench") -> dict:
    import pulumi
    import pulumi.runtime
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    counts: Counter[str] = Counter()

    class CountingMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs):
            counts[args.typ] += 1
            return f"{args.name}-id", args.inputs

        def call(self, args: pulumi.runtime.MockCallArgs):
            return {}

    project = yaml.safe_load((directory / "Pulumi.yaml").read_text(encoding="utf-8"))["name"]
    config = yaml.safe_load((directory / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]
    started, cpu = time.perf_counter(), time.process_time()
    pulumi.runtime.set_mocks(CountingMocks(), project=project, stack=stack, preview=True)
    for key, value in config.items():
        pulumi.runtime.set_config(key, str(value))
    sys.path.insert(0, str(directory))
    _sync_await(run_pulumi_func(lambda: runpy.run_path(str(directory / "__main__.py"), run_name="__main__")))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # The mock monitor hands every registration to new_resource, components included.
    return {
        "resources": sum(counts.values()),
        "types": dict(sorted(counts.items())),
        "seconds": seconds,
        "cpu_seconds": cpu,
    }


def main(argv: list[str]) -> int:
    directory = Path(argv[0])
    options = argv[1:]
    if "--no-gc" in options:
        gc.disable()
        options.remove("--no-gc")
    if len(options) > 1 and options[0] == "--profile":
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        out = run(directory)
        profiler.disable()
        profiler.dump_stats(options[1])
    else:
        out = run(directory)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
