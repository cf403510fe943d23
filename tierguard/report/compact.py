"""``--format compact``: one line per finding, ``path:line: level policy message`` -- the convention
of compilers and linters, which editors, ``grep`` and pre-commit output read (the hook's default).

``level`` is ``error`` (mandatory: blocks), ``warning`` (advisory) or ``note`` (can't judge during
preview). ``path`` is relative to the working directory; a finding without a source line points at
the stack's Pulumi.yaml (or the input file) at line 1. A summary line ends the output.
"""

from __future__ import annotations

import os
from pathlib import Path

from tierguard.model.records import Exempted, Finding, Result
from tierguard.report.locations import detail, display_path, fallback_file, resource_label
from tierguard.report.text import summary_line


def level(f: Finding) -> str:
    if f.kind == "note":
        return "note"
    return "error" if f.blocking else "warning"


def where(result: Result, f: Finding) -> tuple[str, int]:
    """(path relative to the working directory, line) of a finding; line 1 of the fallback file."""
    if f.location is not None:
        return display_path(result.stack, f.location.file), f.location.line or 1
    return _relative(fallback_file(result.stack)), 1


def _relative(path: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


def one_line(text: str) -> str:
    return " ".join(text.split())


def line(result: Result, f: Finding) -> str:
    path, number = where(result, f)
    return f"{path}:{number}: {level(f)} {f.policy} {one_line(detail(f))} [{one_line(resource_label(f))}]"


def exempted_line(result: Result, e: Exempted) -> str:
    """An exempted finding: a ``note`` (it does not block) saying until when and why."""
    f, ex = e.finding, e.exemption
    path, number = where(result, f)
    why = f"exempted until {ex.expires.isoformat()}: {ex.shown_reason} ({ex.where})"
    return f"{path}:{number}: note {f.policy} {one_line(why)} [{one_line(resource_label(f))}]"


def render(results: list[Result]) -> str:
    order = {"error": 0, "warning": 1, "note": 2}
    lines = []
    for r in results:
        located = sorted(r.findings, key=lambda f: (where(r, f), order[level(f)], f.policy, f.urn))
        lines.extend(line(r, f) for f in located)
        exempted = sorted(r.exempted, key=lambda e: (where(r, e.finding), e.finding.policy, e.finding.urn))
        lines.extend(exempted_line(r, e) for e in exempted)
    lines.append(summary_line(results))
    return "\n".join(lines) + "\n"
