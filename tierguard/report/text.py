"""``--format text``: a readable table of findings per stack and a one-line summary."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from tierguard.model import Finding, Result

_LEVEL_STYLE = {"mandatory": "bold red", "remediate": "bold red", "advisory": "yellow", "disabled": "dim"}


def _resource_label(f: Finding) -> str:
    if not f.urn:
        return "(stack)"
    name = f.urn.rsplit("::", 1)[-1]
    return f"{name}\n[dim]{f.type}[/dim]" if f.type else name


def _detail(f: Finding) -> str:
    # The analyzer's message is "<description>\n<detail>": the detail says what is wrong here.
    head, _, detail = f.message.partition("\n")
    return detail or head


def render(results: list[Result], width: int | None = None) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width or 160, force_terminal=False, color_system=None, highlight=False)
    for r in results:
        resources = sum(1 for x in r.stack.resources if not x.is_stack)
        console.print(f"[bold]{r.stack.label}[/bold]  ({r.stack.kind}: {r.stack.source}, {resources} resources)")
        if r.plan is not None and r.plan.get("summary_text"):
            console.print(r.plan["summary_text"])
        shown = sorted(r.findings, key=lambda f: (not f.blocking, f.kind == "note", f.policy, f.urn))
        if not shown:
            console.print("  no findings\n")
            continue
        table = Table(show_lines=False, expand=False, pad_edge=False)
        for col in ("severity", "level", "policy", "resource", "location", "message"):
            table.add_column(col, overflow="fold")
        for f in shown:
            level = "note" if f.kind == "note" else f.enforcement_level
            style = _LEVEL_STYLE.get(f.enforcement_level, "")
            table.add_row(
                f.severity,
                f"[{style}]{level}[/{style}]" if style else level,
                f.policy,
                _resource_label(f),
                str(f.location) if f.location else "",
                _detail(f),
            )
        console.print(table)
        console.print()
    console.print(summary_line(results))
    return buf.getvalue()


def summary_line(results: list[Result]) -> str:
    findings = [f for r in results for f in r.findings]
    mandatory = sum(1 for f in findings if f.blocking)
    advisory = sum(1 for f in findings if not f.blocking and f.kind != "note")
    notes = sum(1 for f in findings if f.kind == "note")
    resources = sum(1 for r in results for x in r.stack.resources if not x.is_stack)
    verdict = "FAILED" if any(r.blocked for r in results) else "passed"
    extra = f", {notes} preview notes" if notes else ""
    return (
        f"tierguard: {verdict} — {len(results)} stack(s), {resources} resources: "
        f"{mandatory} mandatory, {advisory} advisory{extra}"
    )
