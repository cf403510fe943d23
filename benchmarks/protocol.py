"""Issue 23's protocol row: a Python program captured through the offline engine (``--capture
engine``: launched as the Pulumi CLI launches it, registering over gRPC with tierguard's resource
monitor) against the mocks path (the SDK's mocks in tierguard's runner), side by side in one run.

Each measurement is a fresh process reading the program with the capture cache off (its
StackReferences' programs captured too, as ``tierguard check`` does), the two modes interleaved;
medians of the runs. The goal: the protocol path within 1.5x the mocks path.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

GOAL = 1.5
MODES = ("mocks", "engine")

# Run in the child: the readers' whole phase for one program directory, cache off.
_CHILD = """
import json, sys, time
from pathlib import Path
from tierguard.readers import load_stacks
started = time.perf_counter()
stacks = load_stacks([Path(sys.argv[1])], use_cache=False, capture=sys.argv[2])
seconds = time.perf_counter() - started
mine = [r for s in stacks for r in s.resources  # the engine's default providers are not the program's
        if not (r.type.startswith("pulumi:providers:") and r.name.startswith("default"))]
print(json.dumps({"seconds": seconds, "resources": len(mine),
                  "stacks": len(stacks)}))
"""


def reference_app(repo: Path = Path(__file__).resolve().parent.parent) -> Path | None:
    """The reference app stack, found by its directory name under reference_stacks/ (wherever the
    layout puts it)."""
    found = sorted(f.parent for f in (repo / "reference_stacks").glob("**/Pulumi.yaml")
                   if f.parent.name == "app")
    return found[0] if found else None


def measure_once(program: Path, mode: str, timeout: float = 600.0) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(program), mode], capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(program: Path, runs: int = 3) -> dict[str, Any]:
    """Both modes, interleaved, ``runs`` times each (one untimed run of each first, for .pyc files)."""
    for mode in MODES:
        measure_once(program, mode)
    samples: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for _ in range(runs):
        for mode in MODES:
            samples[mode].append(measure_once(program, mode))
    out: dict[str, Any] = {"program": str(program), "runs": runs}
    for mode, got in samples.items():
        errors = [s["error"] for s in got if "error" in s]
        if errors:
            out[mode] = {"error": errors[0]}
            continue
        out[mode] = {"seconds": statistics.median(s["seconds"] for s in got),
                     "resources": got[0]["resources"], "stacks": got[0]["stacks"]}
    if all("seconds" in out[m] for m in MODES):
        out["ratio"] = out["engine"]["seconds"] / out["mocks"]["seconds"]
        out["pass"] = out["ratio"] <= GOAL
    return out


def render(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    lines = ["Protocol path (--capture engine) against the mocks path, Python, cache off, "
             "median of the runs:"]
    for row in rows:
        name = Path(row["program"]).name
        cells = []
        for mode in MODES:
            got = row.get(mode) or {}
            if "error" in got:
                cells.append(f"{mode}: error: {got['error']}")
                continue
            n = got["resources"] or 1
            cells.append(f"{mode} {got['seconds']:6.2f} s ({got['seconds'] / n * 1e3:5.1f} ms/resource)")
        ratio = row.get("ratio")
        verdict = "n/a" if ratio is None else \
            f"{ratio:.2f}x [{'PASS' if row['pass'] else 'FAIL'}, goal {GOAL}x]"
        resources = (row.get("mocks") or {}).get("resources", "?")
        lines.append(f"  {name:<14} {resources:>5} resources  " + "  ".join(cells) + f"  ratio {verdict}")
    return lines


if __name__ == "__main__":
    program = Path(sys.argv[1])
    print("\n".join(render([measure(program, int(sys.argv[2]) if len(sys.argv) > 2 else 3)])))
