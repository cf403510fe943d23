"""``--format github``: GitHub Actions workflow-command annotations, for repositories without code
scanning (SARIF needs GitHub Advanced Security on private repositories).

One ``::error file=…,line=…,title=…::message`` (``::warning`` for advisory findings, ``::notice``
for preview notes) per finding, on the program line that declared the resource: GitHub shows it in
the run's summary and beside that line of the pull request's diff. Values are escaped as the
runner requires (``%``, CR, LF; and ``:``/``,`` inside properties). A plain summary line ends the
output.
"""

from __future__ import annotations

from tierguard.model.records import Exempted, Finding, Result
from tierguard.report.compact import one_line, where
from tierguard.report.locations import detail, resource_label
from tierguard.report.text import summary_line


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def command(f: Finding) -> str:
    if f.kind == "note":
        return "notice"
    return "error" if f.blocking else "warning"


def annotation(result: Result, f: Finding) -> str:
    path, line = where(result, f)
    title = f"{f.policy} ({f.enforcement_level})"
    message = f"{one_line(detail(f))} [{one_line(resource_label(f))}, stack {result.stack.label}]"
    props = f"file={_property(path)},line={line},title={_property(title)}"
    return f"::{command(f)} {props}::{_data(message)}"


def exempted_annotation(result: Result, e: Exempted) -> str:
    """An exempted finding: a ``::notice`` (it does not fail the run) saying until when and why."""
    f, ex = e.finding, e.exemption
    path, line = where(result, f)
    title = f"{f.policy} (exempted until {ex.expires.isoformat()})"
    message = (
        f"exempted until {ex.expires.isoformat()}: {ex.shown_reason} ({ex.where}); "
        f"{one_line(detail(f))} [{one_line(resource_label(f))}, stack {result.stack.label}]"
    )
    props = f"file={_property(path)},line={line},title={_property(title)}"
    return f"::notice {props}::{_data(message)}"


def render(results: list[Result]) -> str:
    lines = [annotation(r, f) for r in results for f in r.findings]
    lines += [exempted_annotation(r, e) for r in results for e in r.exempted]
    lines.append(summary_line(results))
    return "\n".join(lines) + "\n"
