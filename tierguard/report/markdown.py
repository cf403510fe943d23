"""``--format markdown``: a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

The verdict is the first line, because a reviewer reads only that much unless it is red; then the
estate as a Mermaid diagram (tier columns, StackReference edges, crossings in red; GitHub draws it);
then a findings table per stack (blocking first); then the plan summary when the input was a preview.
Tables are capped so a huge estate still fits a PR comment (GitHub allows 65,536 characters).
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from urllib.parse import quote

from tierguard.model.records import Exempted, Finding, Result, Stack
from tierguard.model.urn import name_of_urn
from tierguard.report.locations import detail, display_path

MAX_ROWS_PER_STACK = 100

_LEVEL_BADGE = {"mandatory": "🔴 mandatory", "remediate": "🔴 mandatory", "advisory": "🟡 advisory"}


def cell(text: str) -> str:
    """Make text safe inside a GitHub table cell: no raw HTML, no column breaks, no line breaks."""
    text = html.escape(text, quote=False).replace("|", "\\|")
    return "<br>".join(line.strip() for line in text.strip().splitlines()) or " "


def code(text: str) -> str:
    """A code span in a table cell: literal text (no HTML escaping inside), pipes still escaped."""
    text = " ".join(text.replace("`", "'").split()).replace("|", "\\|")
    return f"`{text}`" if text else ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def verdict(results: Sequence[Result]) -> str:
    findings = [f for r in results for f in r.findings]
    mandatory = sum(1 for f in findings if f.blocking and f.kind != "note")
    advisory = sum(1 for f in findings if not f.blocking and f.kind != "note")
    plan_blocked = any(r.blocked for r in results)
    if plan_blocked:
        what = _plural(mandatory, "mandatory finding") if mandatory else "plan blocked"
        head = f"## ❌ tierguard: blocked — {what}"
    else:
        head = "## ✅ tierguard: passed"
    if advisory:
        head += f" ({_plural(advisory, 'advisory finding')})"
    return head


def _level(f: Finding) -> str:
    if f.kind == "note":
        return "ℹ️ note"  # noqa: RUF001
    return _LEVEL_BADGE.get(f.enforcement_level, f.enforcement_level)


def _resource(f: Finding) -> str:
    if not f.urn:
        return "(stack)"
    name = name_of_urn(f.urn)
    return f"{cell(name)}<br>{code(f.type)}" if f.type else cell(name)


def _location(stack: Stack, f: Finding) -> str:
    """``path:line`` from the repository root; a link to that line when running in GitHub Actions."""
    if f.location is None or not f.location.file:
        return ""
    path = display_path(stack, f.location.file)
    text = code(f"{path}:{f.location.line}" if f.location.line else path)
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    if not (server and repo and sha) or path.startswith("/") or path.startswith("../"):
        return text
    anchor = f"#L{f.location.line}" if f.location.line else ""
    return f"[{text}]({server}/{repo}/blob/{sha}/{quote(path)}{anchor})"


def _table(stack: Stack, findings: list[Finding]) -> list[str]:
    rows = ["| severity | level | policy | resource | location | message |", "|---|---|---|---|---|---|"]
    for f in findings[:MAX_ROWS_PER_STACK]:
        location = _location(stack, f)
        rows.append(
            f"| {f.severity} | {_level(f)} | {code(f.policy)} | {_resource(f)} | {location} "
            f"| {cell(detail(f))} |"
        )
    if len(findings) > MAX_ROWS_PER_STACK:
        rows.append(f"\n_… and {len(findings) - MAX_ROWS_PER_STACK} more; see the SARIF or JSON report._")
    return rows


def _exempted_section(exempted: Sequence[Exempted]) -> list[str]:
    rows = [
        f"<details><summary>Exempted ({len(exempted)})</summary>",
        "",
        "| policy | resource | until | approved by | reason | exemption |",
        "|---|---|---|---|---|---|",
    ]
    for e in sorted(exempted, key=lambda e: (e.finding.policy, e.finding.urn))[:MAX_ROWS_PER_STACK]:
        ex = e.exemption
        rows.append(
            f"| {code(e.finding.policy)} | {_resource(e.finding)} | {ex.expires.isoformat()} "
            f"| {cell(ex.shown(ex.approved_by) or '')} | {cell(ex.shown_reason)} | {code(ex.where)} |"
        )
    if len(exempted) > MAX_ROWS_PER_STACK:
        rows.append(f"\n_… and {len(exempted) - MAX_ROWS_PER_STACK} more; see the JSON report._")
    return [*rows, "", "</details>", ""]


def _plan_summary(plan: dict) -> str:
    from tierguard.plan.summary import summary_markdown  # only for `tierguard plan` reports

    return summary_markdown(plan)


def _estate(results: Sequence[Result]) -> list[str]:
    """The estate diagram (tierguard.report.mermaid) in a block GitHub draws, unless too big to draw."""
    from tierguard.report.mermaid import MAX_DIAGRAM_CHARS, render

    drawn = render(results)
    if len(drawn) > MAX_DIAGRAM_CHARS:
        return [f"_The estate diagram ({len(drawn):,} characters) is larger than Mermaid draws "
                f"({MAX_DIAGRAM_CHARS:,}); see `--format mermaid`._", ""]
    return ["```mermaid", drawn.rstrip(), "```", ""]


def render(results: list[Result]) -> str:
    resources = sum(1 for r in results for x in r.stack.resources if not x.is_stack)
    checked = f"{_plural(len(results), 'stack')}, {_plural(resources, 'resource')} checked."
    lines = [verdict(results), "", checked, "", *_estate(results)]
    for r in results:
        shown = sorted(r.findings, key=lambda f: (f.kind == "note", not f.blocking, f.policy, f.urn))
        violations = [f for f in shown if f.kind != "note"]
        notes = [f for f in shown if f.kind == "note"]
        mark = "❌" if r.blocked else "✅"
        lines.append(f"### {mark} {cell(r.stack.label)}")
        lines.append("")
        if violations:
            lines.extend(_table(r.stack, violations))
        else:
            lines.append("No findings.")
        lines.append("")
        if notes:
            lines.append(f"<details><summary>{_plural(len(notes), 'preview note')}</summary>")
            lines.append("")
            lines.extend(_table(r.stack, notes))
            lines.append("")
            lines.append("</details>")
            lines.append("")
        if r.exempted:
            lines.extend(_exempted_section(r.exempted))
        if r.plan is not None:
            lines.append(f"#### Plan of {cell(r.stack.label)}")
            lines.append("")
            lines.append(_plan_summary(r.plan).rstrip())
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
