"""Install size and time of the wheel (issue 22): the lean core beside the core as it was.

Before issue 22 the GCP and Kubernetes SDKs were core dependencies; they are now the `reference`
extra, so ``tierguard[reference]`` installs what a bare ``tierguard`` installed before. Both are
measured in the same run, one after the other: a wheel built from the checkout (``python -m
build``, into a temporary directory), a new virtualenv each time, ``pip install`` with the machine's
own index and pip cache (warm after the first run, as on a CI machine with a cache), then the size
of the virtualenv on disk. The wall time is venv creation plus the pip install.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO

MIB = 1024**2
VARIANTS = (("core (lean)", ""), ("core + reference SDKs (the core before issue 22)", "[reference]"))
TARGET = {"size_mib": 120, "seconds": 20}


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _install(wheel: Path, extra: str, root: Path) -> dict[str, Any]:
    env_dir = root / f"venv{len(list(root.glob('venv*')))}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    started = time.perf_counter()
    venv.EnvBuilder(with_pip=True).create(env_dir)
    proc = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{wheel}{extra}"],
        env=env, cwd=root, capture_output=True, text=True, timeout=900,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or ["pip failed"]}
    return {"seconds": seconds, "size_bytes": _du(env_dir)}


def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tierguard-install-") as tmp:
        root = Path(tmp)
        build = subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--quiet", "--outdir", str(root / "dist"), str(REPO)],
            capture_output=True, text=True, timeout=600,
        )
        if build.returncode != 0:
            return {"error": f"wheel build failed: {build.stderr.strip()[-300:]}", "rows": []}
        (wheel,) = (root / "dist").glob("*.whl")
        rows = [{"variant": name, "extra": extra, **_install(wheel, extra, root)} for name, extra in VARIANTS]
    return {"error": None, "rows": rows, "targets": _targets(rows)}


def _targets(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    lean = rows[0]
    if "error" in lean:
        return [{"verdict": "FAIL", "target": "core install", "measured": str(lean["error"])}]
    size, seconds = lean["size_bytes"] / MIB, lean["seconds"]
    return [
        {"verdict": "PASS" if size <= TARGET["size_mib"] else "FAIL",
         "target": f"core install <= {TARGET['size_mib']} MB", "measured": f"{size:.0f} MiB"},
        {"verdict": "PASS" if seconds < TARGET["seconds"] else "FAIL",
         "target": f"core install < {TARGET['seconds']} s", "measured": f"{seconds:.1f} s"},
    ]


def table(report: dict[str, Any]) -> list[str]:
    if report.get("error"):
        return [f"Install: not measured ({report['error']})"]
    lines = ["Install of the wheel into a new virtualenv (same run, one after the other):",
             f"{'variant':<50} {'seconds':>8} {'MiB':>6}"]
    for row in report["rows"]:
        if "error" in row:
            lines.append(f"{row['variant']:<50} error: {row['error']}")
        else:
            lines.append(f"{row['variant']:<50} {row['seconds']:>8.1f} {row['size_bytes'] / MIB:>6.0f}")
    ok = [r for r in report["rows"] if "error" not in r]
    if len(ok) == 2:
        lines.append(f"ratio before/lean: {ok[1]['seconds'] / ok[0]['seconds']:.1f}x time, "
                     f"{ok[1]['size_bytes'] / ok[0]['size_bytes']:.1f}x size")
    lines.extend(f"{t['verdict']:<4}  {t['target']}: {t['measured']}" for t in report["targets"])
    return lines
