"""Which CLI file is this? Detect by content, not by name: CI pipes previews through stdin.

* a JSON object with ``steps``: ``pulumi preview --json`` (:mod:`tierguard.readers.preview`);
* a JSON object with ``version`` + ``deployment`` (or a bare deployment with ``manifest`` +
  ``resources``): ``pulumi stack export`` (:mod:`tierguard.readers.export`);
* JSON lines of engine events (``sequence`` + ``resourcePreEvent``/``preludeEvent``/...), or a JSON
  array / ``{"events": [...]}`` batch of them: the engine-event stream (:mod:`tierguard.readers.events`).

Anything else raises :class:`~tierguard.model.records.InputError` with a one-line reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tierguard.model.records import InputError, Stack
from tierguard.model.steps import Step
from tierguard.readers.events import is_event, parse_lines, read_events
from tierguard.readers.export import read_export
from tierguard.readers.preview import read_preview

STDIN_LABEL = "<stdin>"
_PREVIEW_ONLY_KEYS = ("changeSummary", "diagnostics", "duration")


def read_text(path: str) -> tuple[str, str]:
    """(text, source label); ``-`` reads standard input."""
    if path == "-":
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
        source = STDIN_LABEL
    else:
        source = path
        try:
            data = Path(path).read_bytes()
        except IsADirectoryError:
            raise InputError(path, "is a directory without Pulumi.yaml") from None
        except OSError as exc:
            raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig"), source
    except UnicodeDecodeError as exc:
        raise InputError(source, f"not UTF-8 text (byte {exc.start}): not a Pulumi JSON file") from None


def _json_error(exc: json.JSONDecodeError, text: str, what: str = "") -> str:
    prefix = f"{what}: " if what else ""
    # JSON strings hold no raw newline, so a string still open on the last line means the input ended.
    open_string = exc.msg.startswith("Unterminated string") and "\n" not in text[exc.pos :]
    if open_string or exc.pos >= len(text.rstrip()):
        return f"{prefix}truncated JSON: input ends at line {exc.lineno} column {exc.colno} ({exc.msg})"
    return f"{prefix}invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"


def _is_event_line(line: str) -> bool:
    """Whether one line is an engine event on its own: the mark of an event log."""
    try:
        return is_event(json.loads(line))
    except json.JSONDecodeError:
        return False


def parse(text: str, source: str) -> tuple[str, Any]:
    """(kind, parsed) with kind one of "preview", "export", "events"."""
    stripped = text.strip()
    if not stripped:
        raise InputError(
            source,
            "empty file: expected `pulumi preview --json`, an engine-event log or `pulumi stack export`",
        )
    newline = stripped.find("\n")  # (not split: that would copy the whole document once more)
    first_line = (stripped if newline < 0 else stripped[:newline]).strip()
    # Engine-event lines are compact single-line objects; a pretty-printed document's first line is "{".
    event_shaped = first_line.startswith("{") and first_line.endswith("}") and "\n" in stripped
    if event_shaped and _is_event_line(first_line):
        return "events", parse_lines(text, source)
    try:
        doc = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and first_line.startswith("{"):
            # Several JSON values one after another: only an event stream looks like that.
            if _is_event_line(first_line):
                return "events", parse_lines(text, source)
            raise InputError(
                source, f"several JSON documents one after another (line {exc.lineno}), not engine events"
            ) from None
        raise InputError(source, _json_error(exc, stripped)) from None
    return classify(doc, source)


def classify(doc: Any, source: str) -> tuple[str, Any]:
    if isinstance(doc, dict):
        if "steps" in doc:
            return "preview", doc
        if "deployment" in doc and "version" in doc:
            return "export", doc
        if "resources" in doc and "manifest" in doc:
            return "export", doc
        if is_event(doc):
            return "events", [doc]
        if isinstance(doc.get("events"), list) and all(is_event(e) for e in doc["events"]):
            return "events", doc["events"]
        if any(k in doc for k in _PREVIEW_ONLY_KEYS):
            return "preview", doc  # a preview document without steps: read_preview explains
        keys = ", ".join(sorted(doc)[:6]) or "none"
        raise InputError(
            source,
            f"unknown kind of JSON object (keys: {keys}): expected `pulumi preview --json` (steps), "
            "an engine-event log or `pulumi stack export` (version, deployment)",
        )
    if isinstance(doc, list) and doc and all(is_event(e) for e in doc):
        return "events", doc
    kind = type(doc).__name__ if not isinstance(doc, list) else "array"
    raise InputError(
        source, f"unknown kind of JSON ({kind}): expected a Pulumi preview, event log or stack export"
    )


def read_plan_text(text: str, source: str) -> tuple[Stack, list[Step]]:
    """A preview document or event stream -> (new-state Stack, logical steps); exports are refused."""
    kind, doc = parse(text, source)
    if kind == "export":
        raise InputError(
            source,
            "this is a `pulumi stack export` (current state), not a plan: "
            "pass `pulumi preview --json` output",
        )
    if kind == "events":
        return read_events(doc, source)
    return read_preview(doc, source)


def read_plan(path: str) -> tuple[Stack, list[Step]]:
    """For ``tierguard plan``: the new-state Stack (for the packs) and every logical step (for the rules)."""
    text, source = read_text(path)
    return read_plan_text(text, source)


def read_stack_text(text: str, source: str) -> Stack:
    kind, doc = parse(text, source)
    if kind == "export":
        return read_export(doc, source)
    if kind == "events":
        return read_events(doc, source)[0]
    return read_preview(doc, source)[0]


def read_file(path: str) -> Stack:
    """Any of the three CLI files as a Stack of the **new** state (what ``tierguard check`` evaluates):
    resources being deleted by a preview are not in it; :func:`read_plan` keeps them."""
    text, source = read_text(path)
    return read_stack_text(text, source)
