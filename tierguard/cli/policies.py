"""``tierguard policies``: what a user asks before adopting a guardrail -- every pack, every policy's
metadata and configuration, and the catalog tables the policies decide from."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tierguard.cli.docs import DESCRIBED, jsonable, packs_document, selected_packs
from tierguard.policies.base import Pack, Rule

_MAX_CELL = 200


def _compact(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(jsonable(value), separators=(", ", ": "))
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _config_lines(rule: Rule) -> str:
    lines = []
    for key, schema in rule.config.items():
        kind = schema.get("type", "")
        default = f" = {_compact(schema['default'])}" if "default" in schema else ""
        lines.append(f"{key} ({kind}){default}" if kind else f"{key}{default}")
    return "\n".join(lines)


def _print_pack(console: Console, pack: Pack) -> None:
    console.print(f"[bold]{escape(pack.name)}[/bold] — {escape(pack.description)}")
    table = Table(show_lines=True, expand=False, pad_edge=False)
    for col in ("policy", "category", "severity", "default", "config", "references"):
        table.add_column(col, overflow="fold")
    for rule in pack.rules():
        table.add_row(
            f"[bold]{escape(rule.name)}[/bold]\n{escape(rule.title)}",
            rule.category,
            rule.severity,
            rule.enforcement,
            escape(_config_lines(rule)),
            escape("\n".join(rule.references)),
        )
    console.print(table)
    for rule in pack.rules():
        console.print(f"[bold]{escape(rule.name)}[/bold]: {escape(rule.description)}")
        if rule.remediation:
            console.print(f"  fix: {rule.remediation}", markup=False)
        for key, schema in rule.config.items():
            if schema.get("description"):
                console.print(f"  config {key}: {schema['description']}", markup=False)
    if pack.catalogs:
        console.print()
        catalogs = Table(
            title=f"catalogs behind {escape(pack.name)}",
            caption=f"full tables: tierguard policies --pack {escape(pack.name)} --format json",
            show_lines=False,
            pad_edge=False,
        )
        catalogs.add_column("catalog", overflow="fold")
        catalogs.add_column("entries", justify="right")
        catalogs.add_column("content", overflow="fold")
        for name, value in pack.catalogs.items():
            size = len(value) if hasattr(value, "__len__") and not isinstance(value, str) else 1
            catalogs.add_row(escape(name), str(size), escape(_compact(value)))
        console.print(catalogs)
    console.print()


@click.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: a table per pack; json: {\"packs\": [...]} with full config schemas and catalogs.")
@click.option("--pack", "packs", multiple=True, type=click.Choice(sorted(DESCRIBED)),
              help="Only these packs (repeatable; plan-guard: the rules of `tierguard plan`); default: all, "
              "unless --policy-pack is given.")
@click.option("--policy-pack", "policy_packs", multiple=True, type=click.Path(),
              help="A Python policy pack directory (repeatable), as `pulumi preview --policy-pack` takes.")
def policies(fmt: str, packs: tuple[str, ...], policy_packs: tuple[str, ...]) -> int:
    """List every pack and policy: category, severity, default enforcement, configuration,
    CIS / peer references, remediation, and the catalogs behind each pack."""
    from tierguard.evaluate.userpack import load_policy_pack

    if policy_packs:
        selected = [*(selected_packs(packs) if packs else []), *(load_policy_pack(d) for d in policy_packs)]
    else:
        selected = selected_packs(packs)
    if fmt == "json":
        sys.stdout.write(json.dumps(packs_document(selected), indent=2) + "\n")
        return 0
    console = Console(width=None if sys.stdout.isatty() else 160, highlight=False, soft_wrap=False)
    for pack in selected:
        _print_pack(console, pack)
    return 0
