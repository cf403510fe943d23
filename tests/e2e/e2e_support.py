"""Shared steps of the e2e scenarios: run tierguard as a user would, and read its JSON report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TIER_OF_SUFFIX = {"identity": "identity", "infra": "infra", "app": "app"}


def tierguard(
    *args: str, stdin: str | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tierguard", *args],
        capture_output=True, text=True, input=stdin, cwd=cwd, timeout=600, env=env,
    )


def tier_of(project_dir: Path) -> str:
    """The tier a project declares by its name's suffix (`shop-app` → app)."""
    import yaml

    name = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"]
    return TIER_OF_SUFFIX[name.rsplit("-", 1)[-1]]


def report_violations(stdout: str) -> set[tuple[str, str, str]]:
    """(policy, URN, enforcement level) of every violation in a `--format json` report."""
    report = json.loads(stdout)
    return {(v["policy"], v.get("urn") or "", v["enforcementLevel"]) for v in report["violations"]}


def project_name(project_dir: Path) -> str:
    import yaml

    return yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"]
