"""``--format text``: a readable table of findings per stack and a one-line summary.

Blocking findings are always listed one by one. Advisory findings are listed too, until a policy has
more than ``GROUP_AFTER`` of them in a stack: then that policy gets one line with a count, so a
20,000-resource stack yields a page a human reads rather than thousands of rows (``--format json``
keeps every finding).
"""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tierguard.model.records import Finding, Result
from tierguard.model.urn import name_of_urn
from tierguard.report.locations import detail, display_path

GROUP_AFTER = 10

_LEVEL_STYLE = {"mandatory": "bold red", "remediate": "bold red", "advisory": "yellow", "disabled": "dim"}


def _resource_label(f: Finding) -> str:
    if not f.urn:
        return "(stack)"
    name = escape(name_of_urn(f.urn))
    return f"{name}\n[dim]{escape(f.type)}[/dim]" if f.type else name


def _level(f: Finding) -> str:
    level = "note" if f.kind == "note" else f.enforcement_level
    style = _LEVEL_STYLE.get(f.enforcement_level, "")
    return f"[{style}]{level}[/{style}]" if style else level


def _exempted_table(r: Result) -> Table:
    table = Table(show_lines=False, expand=False, pad_edge=False, title="exempted", title_justify="left")
    for col in ("policy", "resource", "until", "approved by", "reason", "exemption"):
        table.add_column(col, overflow="fold")
    for e in sorted(r.exempted, key=lambda e: (e.finding.policy, e.finding.urn)):
        ex = e.exemption
        table.add_row(
            e.finding.policy,
            _resource_label(e.finding),
            f"{ex.expires.isoformat()} ({ex.days_left()} d)",
            escape(ex.shown(ex.approved_by) or ""),
            escape(ex.shown_reason),
            escape(ex.where),
        )
    return table


def render(results: list[Result], width: int | None = None, show_exempted: bool = False) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width or 160, force_terminal=False, color_system=None, highlight=False)
    for r in results:
        resources = sum(1 for x in r.stack.resources if not x.is_stack)
        source = escape(r.stack.source)
        label = escape(r.stack.label)
        console.print(f"[bold]{label}[/bold]  ({r.stack.kind}: {source}, {resources} resources)")
        if r.plan is not None:
            from tierguard.plan.summary import summary_text

            console.print(summary_text(r.plan), markup=False)
        if show_exempted and r.exempted:
            console.print(_exempted_table(r))
        if not r.findings:
            console.print("  no findings\n")
            continue
        per_policy = Counter((f.policy, f.kind) for f in r.findings if not f.blocking)
        grouped = {key for key, n in per_policy.items() if n > GROUP_AFTER}
        table = Table(show_lines=False, expand=False, pad_edge=False)
        for col in ("severity", "level", "policy", "resource", "location", "message"):
            table.add_column(col, overflow="fold")
        shown = sorted(r.findings, key=lambda f: (not f.blocking, f.kind == "note", f.policy, f.urn))
        for f in shown:
            if not f.blocking and (f.policy, f.kind) in grouped:
                continue
            location = display_path(r.stack, f.location.file) if f.location else ""
            if f.location and f.location.line:
                location += f":{f.location.line}"
            table.add_row(
                f.severity, _level(f), f.policy, _resource_label(f), escape(location), escape(detail(f))
            )
        for (policy, kind), count in sorted(per_policy.items()):
            if (policy, kind) in grouped:
                sample = next(f for f in r.findings if f.policy == policy and f.kind == kind)
                table.add_row(
                    sample.severity,
                    _level(sample),
                    policy,
                    f"{count} resources",
                    "",
                    escape(f"{detail(sample)} (and {count - 1} more like it; --format json lists all)"),
                )
        console.print(table)
        console.print()
    console.print(summary_line(results), markup=False)
    return buf.getvalue()


def summary_line(results: list[Result]) -> str:
    findings = [f for r in results for f in r.findings]
    mandatory = sum(1 for f in findings if f.blocking)
    advisory = sum(1 for f in findings if not f.blocking and f.kind != "note")
    notes = sum(1 for f in findings if f.kind == "note")
    resources = sum(1 for r in results for x in r.stack.resources if not x.is_stack)
    verdict = "FAILED" if any(r.blocked for r in results) else "passed"
    extra = f", {notes} preview notes" if notes else ""
    exempted = sum(len(r.exempted) for r in results)
    if exempted:
        extra += f", {exempted} exempted"
    return (
        f"tierguard: {verdict} — {len(results)} stack(s), {resources} resources: "
        f"{mandatory} mandatory, {advisory} advisory{extra}"
    )
