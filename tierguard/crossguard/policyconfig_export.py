"""One source of truth for the per-tier policy configuration that the Pulumi CLI and Pulumi Cloud take.

``pulumi preview --policy-pack-config FILE`` and ``pulumi policy enable ... --config FILE`` both take,
per pack, ``{"<policy>": {"enforcementLevel": ..., <config property>: ...}}``. This module generates
that document for a tier and a pack from the policies' own metadata (:class:`~tierguard.policies.base.Rule`):

* every policy's default enforcement level;
* every config property with its schema default, spelled out so a reader of the file sees every knob;
* ``"tier": <tier>`` for tier-aware policies (their config schema has a ``tier`` property), so a
  policy group in Pulumi Cloud applies the app-tier rules to app stacks whatever the stack's tags or
  project name say. Tier-specific values live in the policies' own per-tier settings (e.g. plan-size's
  ``limits`` map keyed by tier), which the pinned ``tier`` selects.

``ci/policy-groups/<tier>/<pack>.json`` holds this output for every tier and pack (a test keeps them
equal). Regenerate with ``python -m tierguard.crossguard.policyconfig_export`` or
``tierguard config export --all --output-dir ci/policy-groups``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tierguard.model.records import TIERS, InputError
from tierguard.policies.base import Pack, Rule, rule_of
from tierguard.policies.packs import PACK_MODULES, load_pack

DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parents[2] / "ci" / "policy-groups"
def policy_entry(rule: Rule, tier: str) -> dict[str, Any]:
    """One policy's entry: its enforcement level, then every property it takes, in name order."""
    values: dict[str, Any] = rule.defaults()
    if "tier" in rule.config:
        values["tier"] = tier
    return {"enforcementLevel": rule.enforcement, **{k: values[k] for k in sorted(values)}}


def export(tier: str, pack: Pack | str) -> dict[str, Any]:
    """The ``--policy-pack-config`` document for ``pack`` on stacks of ``tier``."""
    if tier not in TIERS:
        raise InputError(None, f"unknown tier {tier!r}; tiers: {', '.join(TIERS)}")
    if isinstance(pack, str):
        pack = load_pack(pack)
    return {policy.name: policy_entry(rule_of(policy), tier) for policy in pack.policies}


def render(document: Mapping[str, Any]) -> str:
    """Stable text (the committed files are compared byte for byte)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    """Relative path ``<tier>/<pack>.json`` -> file text, for every tier and pack."""
    return {
        f"{tier}/{pack}.json": render(export(tier, pack))
        for tier in TIERS
        for pack in PACK_MODULES
    }


def write_all(output_dir: Path) -> list[Path]:
    """Write every tier and pack file under ``output_dir``; remove generated files that no longer apply."""
    files = expected_files()
    written: list[Path] = []
    for rel, text in files.items():
        path = output_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for stale in output_dir.glob("*/*.json"):
        if stale.relative_to(output_dir).as_posix() not in files:
            stale.unlink()
    return written


def drift(output_dir: Path) -> list[str]:
    """Relative paths that are missing, stale or differ from the generator's output."""
    files = expected_files()
    problems = []
    for rel, text in files.items():
        path = output_dir / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            problems.append(rel)
    problems += sorted(
        p.relative_to(output_dir).as_posix()
        for p in output_dir.glob("*/*.json")
        if p.relative_to(output_dir).as_posix() not in files
    )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tierguard.crossguard.policyconfig_export",
        description="Regenerate ci/policy-groups/<tier>/<pack>.json (or, with --check, verify them).",
    )
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--check", action="store_true",
                        help="Exit 1 when the files differ from the generator.")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift(args.output_dir)
        for rel in problems:
            print(f"tierguard: {args.output_dir / rel}: out of date; "
                  "run python -m tierguard.crossguard.policyconfig_export", file=sys.stderr)
        return 1 if problems else 0
    for path in write_all(args.output_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
