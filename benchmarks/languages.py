"""Issue 23's per-language rows: one program shape (``size`` Kubernetes ConfigMaps in one namespace,
the size from stack config) written in each Pulumi language, captured offline through the protocol
path (``tierguard check``, the offline engine), through the mocks path (Python only), and previewed
by the real CLI with all four packs (``pulumi preview --policy-pack``, the stand-in providers and the
language host of each runtime: the real YAML host, the stand-in Python/Node/Go hosts of
tools/pulumi). One run each, side by side: seconds, milliseconds per resource, the ratios, and
whether the two verdicts (the (policy, URN, level) sets) are the same.

Run alone: ``python -m benchmarks.languages [sizes] [runtimes]`` (default 100,1000 and every runtime
whose toolchain is here).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO

sys.path.insert(0, str(REPO / "tools" / "pulumi"))
import pulumi_cli

from benchmarks import engine

STACK = "bench"
SIZES = (100, 1000)
NAMESPACE = "shop"
COLUMNS = ("runtime", "resources", "mocks s", "engine s", "preview s", "engine ms/res", "engine/mocks",
           "preview/engine", "same findings")


def _project(directory: Path, name: str, runtime: str, size: int, extra: str = "") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: {runtime}\n{extra}", encoding="utf-8")
    (directory / f"Pulumi.{STACK}.yaml").write_text(
        f"config:\n  {name}:count: \"{size}\"\n", encoding="utf-8"
    )


def write_python(root: Path, size: int) -> Path:
    directory = root / "program"
    _project(directory, f"bench-python-{size}", "python", size)
    (directory / "__main__.py").write_text(
        "import pulumi\nimport pulumi_kubernetes as k8s\n\n"
        "count = pulumi.Config().require_int('count')\n"
        "for i in range(count):\n"
        "    k8s.core.v1.ConfigMap(\n"
        f"        f'settings-{{i}}', metadata={{'name': f'settings-{{i}}', 'namespace': '{NAMESPACE}'}},\n"
        "        data={'index': str(i)},\n"
        "    )\n",
        encoding="utf-8",
    )
    return directory


def write_yaml(root: Path, size: int) -> Path:
    """Pulumi YAML has no loops: the program lists every ConfigMap (as a generated YAML file would)."""
    directory = root / "program"
    lines = ["resources:"]
    for i in range(size):
        lines += [
            f"  settings-{i}:", "    type: kubernetes:core/v1:ConfigMap", "    properties:",
            "      metadata:", f"        name: settings-{i}", f"        namespace: {NAMESPACE}",
            "      data:", f"        index: \"{i}\"",
        ]
    _project(directory, f"bench-yaml-{size}", "yaml", size, "\n".join(lines) + "\n")
    return directory


TYPESCRIPT = """\
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

const count = new pulumi.Config().requireNumber("count");
for (let i = 0; i < count; i++) {
    new k8s.core.v1.ConfigMap(`settings-${i}`, {
        metadata: { name: `settings-${i}`, namespace: "%s" },
        data: { index: `${i}` },
    });
}
"""


def write_nodejs(root: Path, size: int) -> Path:
    """TypeScript on the nodejs examples' one node_modules (examples/, `make node-examples`), linked."""
    directory = root / "program"
    _project(directory, f"bench-nodejs-{size}", "nodejs", size)
    (directory / "index.ts").write_text(TYPESCRIPT % NAMESPACE, encoding="utf-8")
    (directory / "tsconfig.json").write_text(
        json.dumps({"extends": str(REPO / "examples" / "tsconfig.base.json"), "files": ["index.ts"]}),
        encoding="utf-8",
    )
    (directory / "node_modules").symlink_to(REPO / "examples" / "node_modules", target_is_directory=True)
    return directory


GO_PROGRAM = """\
package main

import (
\t"strconv"

\tcorev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
\tmetav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
\tpulumi.Run(func(ctx *pulumi.Context) error {
\t\tcount := config.RequireInt(ctx, "count")
\t\tfor i := 0; i < count; i++ {
\t\t\tname := "settings-" + strconv.Itoa(i)
\t\t\t_, err := corev1.NewConfigMap(ctx, name, &corev1.ConfigMapArgs{
\t\t\t\tMetadata: &metav1.ObjectMetaArgs{Name: pulumi.String(name), Namespace: pulumi.String("%s")},
\t\t\t\tData:     pulumi.StringMap{"index": pulumi.String(strconv.Itoa(i))},
\t\t\t})
\t\t\tif err != nil {
\t\t\t\treturn err
\t\t\t}
\t\t}
\t\treturn nil
\t})
}
"""


def write_go(root: Path, size: int) -> Path:
    """A package of the Go examples' one module (examples/go.mod and go.sum, copied beside it)."""
    module = root / "examples"
    module.mkdir(parents=True, exist_ok=True)
    for name in ("go.mod", "go.sum"):
        shutil.copy(REPO / "examples" / name, module / name)
    directory = module / "program"
    _project(directory, f"bench-go-{size}", "go", size)
    (directory / "main.go").write_text(GO_PROGRAM % NAMESPACE, encoding="utf-8")
    return directory


WRITERS: dict[str, Callable[[Path, int], Path]] = {
    "python": write_python, "nodejs": write_nodejs, "yaml": write_yaml, "go": write_go,
}



def _check(
    project: Path, capture: str, work: Path, env: dict[str, str]
) -> tuple[float, dict[str, Any] | str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tierguard", "check", str(project), "--stack", STACK, "--no-cache",
         "--capture", capture, "--format", "json",
         "--policy-pack-config", str(engine._merged_config("app", work / "app.json"))],
        capture_output=True, text=True, timeout=1800, check=False, env=env,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        return seconds, (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1][:200]
    return seconds, json.loads(done.stdout)


def _found(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(v["policy"], v.get("urn") or "", v["enforcementLevel"]) for v in report["violations"]}


def measure_one(cli: Path, runtime: str, size: int, work: Path) -> dict[str, Any]:
    base = work / f"{runtime}-{size}"
    shutil.rmtree(base, ignore_errors=True)
    project = WRITERS[runtime](base, size)
    row: dict[str, Any] = {"runtime": runtime, "size": size}
    ws = _workspace(cli, runtime, base)
    # the YAML host reads schemas from provider plugins: the workspace's (the stand-in providers)
    env = dict(os.environ, PULUMI_HOME=ws.env["PULUMI_HOME"]) if runtime == "yaml" else dict(os.environ)
    modes = ("mocks", "engine") if runtime == "python" else ("engine",)
    for mode in modes:
        seconds, got = _check(project, mode, base, env)
        if isinstance(got, str):
            row[mode] = {"error": got}
            continue
        row[mode] = {"seconds": seconds, "resources": got["resources"], "found": sorted(_found(got))}
    ws.run("stack", "init", STACK, cwd=project).check()
    events = base / "events.jsonl"
    started = time.perf_counter()
    preview = ws.preview(project, STACK, *engine._policy_args("app"), "--event-log", str(events))
    row["preview"] = {"seconds": time.perf_counter() - started}
    logged = pulumi_cli.read_events(events) if events.exists() else []
    if pulumi_cli.packs_ran(logged) != set(engine.PACKS):
        row["preview"] = {"error": (preview.stderr.strip().splitlines() or ["no policy events"])[-1][:200]}
    else:
        row["preview"]["found"] = sorted(pulumi_cli.policy_violations(logged))
    if "found" in row.get("engine", {}) and "found" in row["preview"]:
        offline = {tuple(f) for f in row["engine"]["found"]}
        row["same"] = offline == {tuple(f) for f in row["preview"]["found"]}
    return row


def _workspace(cli: Path, runtime: str, base: Path) -> pulumi_cli.Workspace:
    """The CLI's workspace; for Go, with the stand-in Go host (as tests/e2e/test_e2e_go.py has it)."""
    if runtime == "go":
        return pulumi_cli.go_workspace(cli, base)
    return pulumi_cli.Workspace(cli=cli, root=base / "pulumi")


def available() -> list[str]:
    """The runtimes whose program can be written and run here."""
    ready = {
        "python": True,
        "nodejs": bool(shutil.which("node")) and (REPO / "examples/node_modules/@pulumi/pulumi").is_dir(),
        "yaml": bool(shutil.which("pulumi-language-yaml")) or _yaml_host(),
        "go": bool(shutil.which("go")),
    }
    return [r for r in WRITERS if ready[r]]


def _yaml_host() -> bool:
    cli, _ = pulumi_cli.find_cli()
    return cli is not None and pulumi_cli.yaml_host(cli) is not None


def measure(work: Path, sizes: list[int], runtimes: list[str] | None = None) -> dict[str, Any]:
    cli, why = pulumi_cli.find_cli()
    if cli is None:
        return {"error": why, "rows": []}
    work.mkdir(parents=True, exist_ok=True)
    # the CLI's own hosts beside it first on the PATH, as in the e2e tests
    os.environ["PATH"] = os.pathsep.join([str(cli.parent), os.environ.get("PATH", "")])
    rows = [measure_one(cli, runtime, size, work) for runtime in (runtimes or available()) for size in sizes]
    return {"error": None, "source": why, "rows": rows, "table": [cells(r) for r in rows]}


def cells(row: dict[str, Any]) -> list[str]:
    def seconds(what: str) -> float | None:
        got = row.get(what) or {}
        return None if "error" in got else got.get("seconds")

    def s(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    mocks, eng, preview = seconds("mocks"), seconds("engine"), seconds("preview")
    resources = (row.get("engine") or {}).get("resources")
    return [
        row["runtime"], str(resources if resources is not None else row["size"]),
        s(mocks), s(eng), s(preview),
        "n/a" if eng is None or not resources else f"{eng / resources * 1e3:.1f}",
        "n/a" if eng is None or mocks is None else f"{eng / mocks:.2f}x",
        "n/a" if eng is None or preview is None else f"{preview / eng:.1f}x",
        "n/a" if "same" not in row else ("yes" if row["same"] else "NO"),
    ]


def render(report: dict[str, Any]) -> list[str]:
    if report.get("error"):
        return [f"Per-language capture: not measured ({report['error']})"]
    from benchmarks.__main__ import format_table

    lines = ["Per-language capture (issue 23): tierguard check --no-cache (engine = the protocol path, "
             "mocks = Python's default) and pulumi preview --policy-pack, ConfigMaps, one run each:",
             format_table(COLUMNS, report["table"])]
    for row in report["rows"]:
        for what in ("mocks", "engine", "preview"):
            if "error" in (row.get(what) or {}):
                lines.append(f"  {row['runtime']} {row['size']}: {what}: {row[what]['error']}")
    return lines


if __name__ == "__main__":
    chosen_sizes = [int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else list(SIZES)
    chosen = sys.argv[2].split(",") if len(sys.argv) > 2 else None
    out = measure(REPO / "benchmarks" / ".generated" / "languages", chosen_sizes, chosen)
    print("\n".join(render(out)))
