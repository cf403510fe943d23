"""The plan summary a reviewer reads in ten seconds: verdict and counts first, then the risky
changes, then IAM, then the bulk by type. Works on the JSON-ready ``Result.plan`` dict only, so
every reporter (text, markdown) shows the same facts.
"""

from __future__ import annotations

from typing import Any

_MARK = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "import": "="}
_ORDER = ("create", "update", "replace", "delete", "import")
MAX_RISKY = 15
MAX_IAM = 10
MAX_TYPES = 8


def _num(value: Any) -> str:
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _counts(plan: dict[str, Any]) -> str:
    counts = plan.get("counts") or {}
    return ", ".join(f"{counts[op]} {op}" for op in _ORDER if counts.get(op)) or "no changes"


def _where(entry: dict[str, Any]) -> str:
    loc = entry.get("location")
    if not loc:
        return ""
    return f"{loc['file']}:{loc['line']}" if loc.get("line") is not None else loc["file"]


def _why(entry: dict[str, Any]) -> str:
    parts = []
    if entry.get("reasons"):
        parts.append("[" + ", ".join(entry["reasons"]) + "]")
    if entry.get("forcedBy"):
        parts.append(
            "forced by " + ", ".join(entry["forcedBy"][:3]) + ("…" if len(entry["forcedBy"]) > 3 else "")
        )
    return " ".join(parts)


def _verdict(plan: dict[str, Any]) -> str:
    return "BLOCKED" if plan.get("blocked") else "ok"


def _limits(plan: dict[str, Any]) -> str:
    t = plan.get("thresholds") or {}
    counts = plan.get("counts") or {}
    return (
        f"changes {plan.get('changed', 0)}/{_num(t.get('maxChanges'))} · "
        f"deletes {counts.get('delete', 0)}/{_num(t.get('maxDeletes'))} · "
        f"replaces {counts.get('replace', 0)}/{_num(t.get('maxReplaces'))} · "
        f"score {_num(plan.get('score'))} "
        f"(warn {_num(t.get('warnScore'))}, block {_num(t.get('blockScore'))})"
    )


def _change_line(e: dict[str, Any], why: str = "") -> str:
    """One change: op mark, op, type, name, why it is risky (when given), where it is declared."""
    mark = f"{_MARK.get(e['op'], '?'):<2} {e['op']:<7}"
    return "  " + "  ".join(x for x in (mark, e["type"], e["name"], why, _where(e)) if x)


def summary_text(plan: dict[str, Any]) -> str:
    """Plain text (no markup), a dozen lines at most plus capped lists."""
    lines = [
        f"Plan: {plan.get('changed', 0)} to change ({_counts(plan)}), {plan.get('unchanged', 0)} unchanged"
        f" — {_verdict(plan)}",
        f"Tier {plan.get('tier')} ({plan.get('tierSource')}) · {_limits(plan)}",
    ]
    if plan.get("blockedBy"):
        lines.append("Blocked by: " + ", ".join(plan["blockedBy"]))
    risky = plan.get("risky") or []
    if risky:
        lines.append(f"Risky changes ({len(risky)}):")
        lines.extend(_change_line(e, _why(e)) for e in risky[:MAX_RISKY])
        if len(risky) > MAX_RISKY:
            lines.append(f"  … and {len(risky) - MAX_RISKY} more (see --format json)")
    iam = plan.get("iam") or []
    if iam:
        lines.append(f"IAM changes ({len(iam)}):")
        lines.extend(_change_line(e) for e in iam[:MAX_IAM])
        if len(iam) > MAX_IAM:
            lines.append(f"  … and {len(iam) - MAX_IAM} more")
    by_type = plan.get("byType") or []
    if by_type:
        shown = by_type[:MAX_TYPES]
        more = f" (top {len(shown)} of {len(by_type)})" if len(by_type) > len(shown) else ""
        lines.append(f"By type{more}:")
        width = max(len(str(t["total"])) for t in shown)
        for t in shown:
            ops = ", ".join(f"{t[op]} {op}" for op in _ORDER if t.get(op))
            lines.append(f"  {t['total']:>{width}}  {t['type']}  ({ops})")
    if plan.get("engineErrors"):
        lines.append(f"Pulumi engine errors: {plan['engineErrors']} (see findings)")
    return "\n".join(lines) + "\n"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|")


def summary_markdown(plan: dict[str, Any]) -> str:
    """The same facts as :func:`summary_text`, as GitHub-flavoured markdown (PR comments)."""
    icon = "🛑" if plan.get("blocked") else "✅"
    out = [
        f"**{icon} Plan: {plan.get('changed', 0)} to change** ({_counts(plan)}), "
        f"{plan.get('unchanged', 0)} unchanged — **{_verdict(plan)}**",
        "",
        f"Tier `{plan.get('tier')}` ({_md(plan.get('tierSource'))}) · {_md(_limits(plan))}",
    ]
    if plan.get("blockedBy"):
        out += ["", "Blocked by: " + ", ".join(f"`{p}`" for p in plan["blockedBy"])]
    risky = plan.get("risky") or []
    if risky:
        out += [
            "",
            f"**Risky changes ({len(risky)})**",
            "",
            "| op | type | name | why | location |",
            "|---|---|---|---|---|",
        ]
        for e in risky[:MAX_RISKY]:
            out.append(
                f"| {e['op']} | `{_md(e['type'])}` | {_md(e['name'])} | {_md(_why(e))} | {_md(_where(e))} |"
            )
        if len(risky) > MAX_RISKY:
            out.append(f"| … | {len(risky) - MAX_RISKY} more | | | |")
    iam = plan.get("iam") or []
    if iam:
        out += ["", f"**IAM changes ({len(iam)})**", ""]
        out += [
            f"- {e['op']} `{_md(e['type'])}` {_md(e['name'])} {_md(_where(e))}".rstrip()
            for e in iam[:MAX_IAM]
        ]
        if len(iam) > MAX_IAM:
            out.append(f"- … and {len(iam) - MAX_IAM} more")
    by_type = plan.get("byType") or []
    if by_type:
        out += ["", "| type | " + " | ".join(_ORDER) + " | total |", "|---|" + "---|" * (len(_ORDER) + 1)]
        for t in by_type[: MAX_TYPES * 2]:
            out.append(
                f"| `{_md(t['type'])}` | "
                + " | ".join(str(t.get(op, "")) for op in _ORDER)
                + f" | {t['total']} |"
            )
        if len(by_type) > MAX_TYPES * 2:
            out.append(f"| … {len(by_type) - MAX_TYPES * 2} more types | " + " | " * len(_ORDER) + " |")
    if plan.get("engineErrors"):
        out += ["", f"Pulumi engine errors: {plan['engineErrors']} (see findings)"]
    return "\n".join(out) + "\n"
