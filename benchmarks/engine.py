"""Side by side with the real engine: `pulumi preview` with all four packs (the CLI `make pulumi-cli`
builds, a local `file://` backend, the stand-in providers of tools/pulumi) against `tierguard check`
on the same program, stack and policy config. One run each: the wall time and the ratio.

Rows: the reference stacks (deployed in order on the local backend first, so that StackReferences
resolve; `tierguard check` gets the same outputs with `--stack-references`) and the generated
programs of `--cli-sizes` resources (benchmarks/generate.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import generate
from benchmarks.measure import REPO

sys.path.insert(0, str(REPO / "tools" / "pulumi"))
import pulumi_cli

PACKS = ("tier-boundaries", "storage-protection", "least-privilege-iam", "plan-size")
COLUMNS = ("program", "resources", "pulumi preview s", "tierguard check s", "ratio", "same findings")
DEFAULT_SIZES = (100, 1000)


@dataclass
class Row:
    program: str
    resources: int | None
    cli_s: float | None
    check_s: float | None
    same: bool | None
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        return self.cli_s / self.check_s if self.cli_s and self.check_s else None

    def cells(self) -> list[str]:
        def s(v: float | None) -> str:
            return "n/a" if v is None else f"{v:.2f}"

        return [
            self.program,
            "n/a" if self.resources is None else str(self.resources),
            s(self.cli_s),
            s(self.check_s),
            "n/a" if self.ratio is None else f"{self.ratio:.1f}x",
            "n/a" if self.same is None else ("yes" if self.same else "NO"),
        ]

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "ratio": self.ratio}


def _policy_args(tier: str) -> list[str]:
    args: list[str] = []
    for pack in PACKS:
        args += ["--policy-pack", str(REPO / "policypacks" / pack),
                 "--policy-pack-config", str(REPO / "ci" / "policy-groups" / tier / f"{pack}.json")]
    return args


def _merged_config(tier: str, dest: Path) -> Path:
    merged: dict[str, Any] = {}
    for pack in PACKS:
        merged.update(json.loads((REPO / "ci" / "policy-groups" / tier / f"{pack}.json").read_text()))
    dest.write_text(json.dumps(merged))
    return dest


def _side_by_side(
    ws: pulumi_cli.Workspace, project: Path, stack: str, tier: str, work: Path, refs: dict[str, Any]
) -> Row:
    events = work / f"{project.name}.events.jsonl"
    started = time.perf_counter()
    preview = ws.preview(project, stack, *_policy_args(tier), "--event-log", str(events))
    cli_s = time.perf_counter() - started
    logged = pulumi_cli.read_events(events)
    if pulumi_cli.packs_ran(logged) != set(PACKS):
        return Row(project.name, None, None, None, None, f"preview failed: {preview.stderr.strip()[-300:]}")
    cli_found = pulumi_cli.policy_violations(logged)
    refs_file = work / "stack-references.json"
    refs_file.write_text(json.dumps(refs))
    started = time.perf_counter()
    check = subprocess.run(
        [sys.executable, "-m", "tierguard", "check", str(project), "--stack", stack, "--no-cache",
         "--format", "json",
         "--policy-pack-config", str(_merged_config(tier, work / f"{tier}.json")),
         "--stack-references", str(refs_file)],
        capture_output=True, text=True, timeout=1800,
    )
    check_s = time.perf_counter() - started
    if check.returncode not in (0, 1):
        return Row(project.name, None, cli_s, None, None, f"check exit {check.returncode}")
    report = json.loads(check.stdout)
    found = {(v["policy"], v.get("urn") or "", v["enforcementLevel"]) for v in report["violations"]}
    return Row(project.name, report["resources"], cli_s, check_s, found == cli_found)


def measure(workdir: Path, sizes: list[int], reference: bool = True) -> dict[str, Any]:
    cli, why = pulumi_cli.find_cli()
    if cli is None:
        return {"cli": None, "error": why, "rows": []}
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    rows: list[Row] = []
    if reference:
        ws = pulumi_cli.Workspace(cli=cli, root=workdir / "reference" / "pulumi")
        outputs: dict[str, Any] = {}
        for tier in ("identity", "infra", "app"):
            project = workdir / "reference" / tier
            shutil.copytree(REPO / "reference_stacks" / "gcp" / tier, project)
            ws.run("stack", "init", "dev", cwd=project).check()
            if tier != "identity":
                ws.run("config", "set", "org", "organization", cwd=project).check()
            rows.append(_side_by_side(ws, project, "dev", tier, workdir / "reference", outputs))
            rows[-1].program = f"reference {tier} (dev)"
            if tier != "app":
                ws.up(project, "dev").check()
                shown = ws.run("stack", "output", "--json", "--show-secrets", cwd=project).check()
                outputs[f"organization/tierguard-{tier}/dev"] = json.loads(shown.stdout)
    for size in sizes:
        base = workdir / f"generated-{size}"
        ws = pulumi_cli.Workspace(cli=cli, root=base / "pulumi")
        project = generate.write_program(base, size)
        ws.run("stack", "init", generate.STACK_NAME, cwd=project).check()
        rows.append(_side_by_side(ws, project, generate.STACK_NAME, "infra", base, {}))
        rows[-1].program = f"generated {size}"
    return {"cli": str(cli), "source": why, "error": None, "rows": [r.to_json() for r in rows],
            "table": [r.cells() for r in rows]}
