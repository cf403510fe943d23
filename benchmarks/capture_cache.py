"""The capture cache (issue 15, item 1), measured side by side in one run.

Modes, each `tierguard check` of the three reference stacks (every stack config) in a fresh process
through :mod:`benchmarks.driver` (which also lists every program a capture runner ran):

* ``main c6ce312``: the code before issue 15 (``git archive c6ce312 tierguard`` run from a copy;
  skipped when the repository has no history);
* ``no cache``: this code with ``--no-cache`` (the same capture engine as c6ce312);
* ``cold cache``: an empty ``$XDG_CACHE_HOME`` every run;
* ``warm cache``: the same command again, nothing changed.

Then, warm: only the app stack (its StackReferences name infra and identity: how many programs run),
and a copy of the reference stacks with one project edited (which programs run again).

Runs are interleaved (mode after mode, ``runs`` times) so load from elsewhere hits every mode alike;
medians are reported. Python writes bytecode here (``PYTHONDONTWRITEBYTECODE`` is dropped and one
untimed run comes first), as an installed tierguard has its ``.pyc`` files.

A target missed prints what stands in the way: the phases of the run and, for cold, the Pulumi SDK's
own import time of the modules each reference program uses, in a fresh interpreter (the floor no
capture of that program can go under).
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO

BEFORE = "c6ce312"
REFERENCE = REPO / "reference_stacks" / "gcp"
PROJECTS = ("identity", "infra", "app")


def _env(cache_home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "XDG_CACHE_HOME": str(cache_home), **extra}


def _check(
    paths: list[Path], env: dict[str, str], *flags: str, pythonpath: Path | None = None
) -> dict[str, Any]:
    """One `tierguard check` through the phase driver: wall, phases, programs run."""
    with tempfile.TemporaryDirectory() as tmp:
        phases = Path(tmp) / "phases.json"
        # from a neutral directory, so that the tierguard imported is the one PYTHONPATH names first
        path = [str(pythonpath)] if pythonpath is not None else []
        env = {**env, "PYTHONPATH": os.pathsep.join([*path, str(REPO)])}
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.driver", str(phases), "check", "--format", "compact", *flags,
             *map(str, paths)],
            cwd=tmp, env=env, capture_output=True, text=True, timeout=300,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # this process waits for nothing else
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode not in (0, 1) or not phases.is_file():
            return {"wall": None, "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
        data = json.loads(phases.read_text(encoding="utf-8"))
    main = data["phases"].get("main", wall)
    return {
        "wall": wall,
        "cpu": cpu,
        "startup": wall - main,
        "read": data["phases"].get("read", 0.0),
        "evaluate": data["timings"].get("evaluate", 0.0),
        "report": data["phases"].get("report", 0.0),
        "programs": data.get("programs", []),
        "captures": data.get("captures", {}),
        "error": None,
    }


def _before_tree(workdir: Path) -> Path | None:
    """tierguard as of c6ce312, extracted beside the generated benchmarks (None without history)."""
    target = workdir / f"tierguard-{BEFORE}"
    if (target / "tierguard" / "__init__.py").is_file():
        return target
    try:
        archive = subprocess.run(["git", "archive", BEFORE, "tierguard"], cwd=REPO, capture_output=True,
                                 timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _median(samples: list[dict[str, Any]], key: str) -> float | None:
    values = [s[key] for s in samples if s.get("wall") is not None]
    return statistics.median(values) if values else None


def sdk_floor() -> dict[str, Any]:
    """Per reference program, in a fresh interpreter: `import pulumi` and the provider classes its
    source uses (``gcp.<module>.<Class>``, ``k8s.<group>.<version>.<Class>``; provider modules load
    lazily, on first use), each module timed -- the Pulumi SDK's own cost, no tierguard code."""
    out: dict[str, Any] = {}
    for name in PROJECTS:
        source = (REFERENCE / name / "__main__.py").read_text(encoding="utf-8")
        uses = sorted(
            {(f"pulumi_gcp.{m}", c) for m, c in re.findall(r"\bgcp\.([a-z_]+)\.([A-Z]\w*)", source)}
            | {(f"pulumi_kubernetes.{g}.{v}", c)
               for g, v, c in re.findall(r"\bk8s\.([a-z_]+)\.(v\w+)\.([A-Z]\w*)", source)}
        )
        script = (
            "import json, time, importlib\nt = time.perf_counter()\nimport pulumi, pulumi.runtime\n"
            "out = {'pulumi': time.perf_counter() - t}\n"
            f"for m, c in {uses!r}:\n    t = time.perf_counter(); getattr(importlib.import_module(m), c)\n"
            "    out[m] = out.get(m, 0.0) + time.perf_counter() - t\nprint(json.dumps(out))\n"
        )
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                              env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
        if proc.returncode == 0:
            times = json.loads(proc.stdout)
            out[name] = {"total": sum(times.values()), "modules": times}
    return out


def measure(workdir: Path, runs: int) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    stacks = [REFERENCE / p for p in PROJECTS]
    before = _before_tree(workdir)
    with tempfile.TemporaryDirectory(prefix="tg-bench-cache-") as tmp:
        root = Path(tmp)
        modes: dict[str, Any] = {}
        if before is not None:
            modes[f"main {BEFORE}"] = lambda i: _check(stacks, _env(root / f"b{i}"), pythonpath=before)
        modes["no cache"] = lambda i: _check(stacks, _env(root / f"n{i}"), "--no-cache")
        modes["cold cache"] = lambda i: _check(stacks, _env(root / f"c{i}"))
        modes["warm cache"] = lambda i: _check(stacks, _env(root / f"c{i}"))  # right after its cold run
        for mode in modes.values():  # untimed: bytecode written, file cache warm
            mode(-1)
        samples: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
        for i in range(runs):
            for name, mode in modes.items():
                samples[name].append(mode(i))

        # only the app stack, warm (the warm cache of the last cold run)
        app = [_check([REFERENCE / "app"], _env(root / f"c{runs - 1}")) for _ in range(runs)]

        # one project edited, in a copy (the project directory is in the key)
        copy = root / "edited"
        for p in PROJECTS:
            shutil.copytree(REFERENCE / p, copy / p, ignore=shutil.ignore_patterns("__pycache__"))
        edited_env = _env(root / "edited-cache")
        copies = [copy / p for p in PROJECTS]
        _check(copies, edited_env)
        main_py = copy / "infra" / "__main__.py"
        main_py.write_text(main_py.read_text(encoding="utf-8") + "\n# edited by the benchmark\n",
                           encoding="utf-8")
        edited = _check(copies, edited_env)

    rows = {name: {**{k: _median(s, k) for k in ("wall", "cpu", "startup", "read", "evaluate", "report")},
                   "programs": len(s[-1].get("programs", [])), "walls": [x["wall"] for x in s],
                   "captures": s[-1].get("captures", {}),
                   "error": next((x["error"] for x in s if x["error"]), None)}
            for name, s in samples.items()}
    return {
        "runs": runs,
        "modes": rows,
        "app_warm": {"wall": _median(app, "wall"), "programs": app[-1].get("programs", []),
                     "error": app[-1]["error"]},
        "edited": {"wall": edited["wall"], "programs": edited.get("programs", []), "error": edited["error"],
                   "edit": "infra/__main__.py (a comment appended)"},
        "sdk_floor": sdk_floor(),
    }


def _s(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def table(result: dict[str, Any]) -> list[str]:
    lines = ["Capture cache (reference stacks, 3 projects x 2 stack configs; "
             f"median of {result['runs']}, interleaved):",
             f"{'mode':<32}{'wall s':>8}{'cpu s':>7}{'startup':>9}{'capture':>9}{'evaluate':>9}{'report':>8}"
             f"{'programs run':>14}"]
    for name, r in result["modes"].items():
        lines.append(f"{name:<32}{_s(r['wall']):>8}{_s(r.get('cpu')):>7}{_s(r['startup']):>9}{_s(r['read']):>9}"
                     f"{_s(r['evaluate']):>9}{_s(r['report']):>8}{r['programs']:>14}"
                     + (f"  ({r['error']})" if r["error"] else ""))
    a, e = result["app_warm"], result["edited"]
    lines.append(f"{'only app, warm':<32}{_s(a['wall']):>8}{'':>51}{len(a['programs']):>6}"
                 f"  ({', '.join(a['programs']) or 'no program ran'})")
    lines.append(f"{'infra edited, warm otherwise':<32}{_s(e['wall']):>8}{'':>51}{len(e['programs']):>6}"
                 f"  ({', '.join(e['programs']) or 'no program ran'})")
    return lines


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    modes = result["modes"]
    cold, warm = modes["cold cache"]["wall"], modes["warm cache"]["wall"]
    today_name = next((n for n in modes if n.startswith("main ")), "no cache")
    today = modes[today_name]["wall"]
    out = []

    def add(name: str, ok: bool | None, measured: str, why: list[str] | None = None) -> None:
        verdict = "n/a" if ok is None else ("PASS" if ok else "FAIL")
        out.append({"target": name, "verdict": verdict, "measured": measured,
                    "in the way": why if ok is False else []})

    warm_phases = modes["warm cache"]
    add("reference stacks, warm cache: ≤ 0.5 s and ≤ 25 % of cold",
        None if None in (cold, warm) else warm <= 0.5 and warm <= 0.25 * cold,
        "n/a" if None in (cold, warm) else f"{warm:.2f} s = {100 * warm / cold:.0f} % of cold {cold:.2f} s",
        [f"warm run: start-up (interpreter, tierguard and pulumi-policy imports) "
         f"{_s(warm_phases['startup'])} s, "
         f"cache look-ups {_s(warm_phases['read'])} s, policies {_s(warm_phases['evaluate'])} s, "
         f"report {_s(warm_phases['report'])} s"])
    floor = result["sdk_floor"]
    slowest = max(floor.items(), key=lambda kv: kv[1]["total"]) if floor else None
    why = []
    if slowest:
        top = sorted(slowest[1]["modules"].items(), key=lambda kv: -kv[1])[:4]
        why.append(f"the slowest program ({slowest[0]}) spends {slowest[1]['total']:.2f} s importing the "
                   "Pulumi SDK modules it uses, in one interpreter (no capture of it can start sooner): "
                   + ", ".join(f"{m} {t:.2f}" for m, t in top))
        why.append("SDK import time per program: "
                   + ", ".join(f"{n} {v['total']:.2f} s" for n, v in floor.items()))
    cold_phases = modes["cold cache"]
    why.append(f"cold run: start-up {_s(cold_phases['startup'])} s, capture {_s(cold_phases['read'])} s, "
               f"policies {_s(cold_phases['evaluate'])} s, report {_s(cold_phases['report'])} s")
    add(f"reference stacks, cold cache: ≤ 1.2 s and ≥ 40 % below today's ({today_name})",
        None if None in (cold, today) else cold <= 1.2 and cold <= 0.6 * today,
        "n/a" if None in (cold, today)
        else f"{cold:.2f} s vs {today:.2f} s ({100 * (1 - cold / today):.0f} % below)",
        why)
    app = result["app_warm"]
    add("only the app stack, warm: no sibling program runs", None if app["error"] else not app["programs"],
        app["error"] or f"{len(app['programs'])} programs ran", app["programs"])
    edited = result["edited"]
    ran = edited["programs"]
    infra_only = bool(ran) and all(p.startswith("tierguard-infra/") for p in ran)
    add("one stack edited: only that project's programs run again",
        None if edited["error"] else infra_only,
        edited["error"] or f"{edited['edit']}: ran {', '.join(edited['programs']) or 'nothing'}",
        edited["programs"])
    return out
