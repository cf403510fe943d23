"""Reporters: each turns a list of :class:`~tierguard.model.records.Result` into one document (a string).

Reporters see findings and summaries only; they never re-evaluate anything.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from tierguard.model.records import Result

# format name -> "module:function(results) -> str"
FORMATS: dict[str, str] = {
    "text": "tierguard.report.text:render",
    "json": "tierguard.report.jsonreport:render",
    "sarif": "tierguard.report.sarif:render",
    "junit": "tierguard.report.junit:render",
    "markdown": "tierguard.report.markdown:render",
    "compact": "tierguard.report.compact:render",
    "github": "tierguard.report.github:render",
    "mermaid": "tierguard.report.mermaid:render",
}


def render(fmt: str, results: Sequence[Result], show_exempted: bool = False) -> str:
    module, _, attr = FORMATS[fmt].partition(":")
    fn = getattr(importlib.import_module(module), attr)
    if show_exempted and fmt == "text":
        return fn(list(results), show_exempted=True)
    return fn(list(results))


def exit_code(results: Sequence[Result]) -> int:
    """0 clean (advisory findings allowed), 1 when any mandatory violation or blocked plan."""
    return 1 if any(r.blocked for r in results) else 0
