"""End-to-end tests against the real Pulumi CLI (see tools/pulumi/README.md).

They run whenever a CLI is available (a supported `pulumi` on PATH, or the one `make pulumi-cli`
built into the cache) and skip otherwise, saying how to get one. With TIERGUARD_E2E=require (what
`.ci/run` sets) a missing CLI is a failure, never a skip. Every test has its own local backend,
PULUMI_HOME and copies of the projects under its tmp_path, so pytest-xdist workers share nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "pulumi"))

import pulumi_cli  # noqa: E402

PACKS = ("tier-boundaries", "storage-protection", "least-privilege-iam", "plan-size")


@pytest.fixture(scope="session")
def cli() -> Path:
    path, why = pulumi_cli.find_cli()
    if path is None:
        if os.environ.get("TIERGUARD_E2E") == "require":
            pytest.fail(f"TIERGUARD_E2E=require: {why}", pytrace=False)
        pytest.skip(why)
    return path


@pytest.fixture
def ws(cli: Path, tmp_path: Path) -> pulumi_cli.Workspace:
    return pulumi_cli.Workspace(cli=cli, root=tmp_path / "pulumi")


def copy_project(src: Path, dest_root: Path) -> Path:
    """A private copy of a project directory (the CLI writes stack config files into it)."""
    dest = dest_root / src.name
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    return dest


def policy_args(tier: str, packs_root: Path | None = None) -> list[str]:
    """`--policy-pack DIR --policy-pack-config ci/policy-groups/<tier>/<pack>.json` for all four packs."""
    args: list[str] = []
    for pack in PACKS:
        args += [
            "--policy-pack", str((packs_root or ROOT / "policypacks") / pack),
            "--policy-pack-config", str(ROOT / "ci" / "policy-groups" / tier / f"{pack}.json"),
        ]
    return args


def merged_policy_config(tier: str, dest: Path) -> Path:
    """The four per-pack config files as the one file `tierguard check --policy-pack-config` takes."""
    merged: dict = {}
    for pack in PACKS:
        merged.update(json.loads((ROOT / "ci" / "policy-groups" / tier / f"{pack}.json").read_text()))
    dest.write_text(json.dumps(merged))
    return dest
