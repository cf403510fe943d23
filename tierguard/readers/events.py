"""The engine-event stream: one JSON event per line (``--event-log``, and ``pulumi preview --json``
with ``PULUMI_ENABLE_STREAMING_JSON_PREVIEW=1``).

Each line is ``{"sequence", "timestamp", "<kind>Event": {...}}``. What matters here:

* ``resourcePreEvent.metadata``: the step -- ``op``, ``urn``, ``type``, ``old``/``new`` states,
  ``keys`` (the properties forcing a replacement), ``diffs``, ``detailedDiff`` (``diffKind``),
  ``provider``. ``resOutputsEvent`` repeats the same step and is skipped;
* ``diagnosticEvent``: engine and provider messages (errors become plan findings);
* ``preludeEvent.config``: the stack config;
* ``summaryEvent``: the end of the run.

The stream always carries replacement sub-steps and sames (it is not filtered like the document),
which :func:`tierguard.model.steps.fold_steps` folds. Event states carry no ``sourcePosition`` or
dependencies, so findings from a stream have no source line.
"""

from __future__ import annotations

import json
from typing import Any

from tierguard.model.records import InputError, Resource, Stack
from tierguard.model.steps import Step
from tierguard.readers import schema
from tierguard.readers.export import resource_from_state
from tierguard.readers.preview import build, normalise_diagnostic

EVENT_KEYS = frozenset(
    {
        "cancelEvent",
        "stdoutEvent",
        "diagnosticEvent",
        "preludeEvent",
        "summaryEvent",
        "resourcePreEvent",
        "resOutputsEvent",
        "resOpFailedEvent",
        "policyEvent",
        "policyRemediationEvent",
        "policyLoadEvent",
        "policyAnalyzeSummaryEvent",
        "policyRemediateSummaryEvent",
        "policyAnalyzeStackSummaryEvent",
        "startDebuggingEvent",
        "progressEvent",
        "errorEvent",
    }
)


def is_event(obj: Any) -> bool:
    """An engine event: a sequence number and exactly the shape of ``apitype.EngineEvent``."""
    return isinstance(obj, dict) and "sequence" in obj and any(k in EVENT_KEYS for k in obj)


def _state(meta: Any, fallback_provider: str, source: str) -> Resource | None:
    if not isinstance(meta, dict):
        return None
    res = resource_from_state(meta, source)
    if res.provider is None and fallback_provider:
        res.provider = fallback_provider
    return res


def _details(meta: dict[str, Any]) -> dict[str, Any]:
    """The step's diff details, spelled as in the preview document."""
    diff = meta.get("detailedDiff")
    detailed = (
        {
            k: {"kind": (v or {}).get("diffKind", ""), "inputDiff": bool((v or {}).get("inputDiff"))}
            for k, v in diff.items()
        }
        if isinstance(diff, dict)
        else None
    )
    return {
        "replaceReasons": meta.get("keys") or [],
        "diffReasons": meta.get("diffs") or [],
        "detailedDiff": detailed,
    }


def read_events(events: list[dict[str, Any]], source: str) -> tuple[Stack, list[Step]]:
    """Parsed engine events (in file order) -> (new-state Stack, logical steps)."""
    for index, event in enumerate(events):
        schema.validate(event, "event", source, root=f"$[{index}]")
    raw: list[tuple[str, Resource | None, Resource | None, dict[str, Any]]] = []
    diagnostics: list[dict[str, Any]] = []
    config: dict[str, Any] = {}
    for event in events:
        pre = event.get("resourcePreEvent")
        if isinstance(pre, dict):
            meta = pre.get("metadata")
            if not isinstance(meta, dict) or not isinstance(meta.get("op"), str):
                raise InputError(
                    source, f"event {event.get('sequence')}: resourcePreEvent without metadata.op"
                )
            provider = meta.get("provider") or ""
            old = _state(meta.get("old"), provider, source)
            new = _state(meta.get("new"), provider, source)
            if old is None and new is None:
                continue
            raw.append((meta["op"], old, new, _details(meta)))
            continue
        diag = event.get("diagnosticEvent")
        if isinstance(diag, dict):
            kept = normalise_diagnostic(diag)
            if kept:
                diagnostics.append(kept)
            continue
        prelude = event.get("preludeEvent")
        if isinstance(prelude, dict) and isinstance(prelude.get("config"), dict):
            config = prelude["config"]
            continue
        error = event.get("errorEvent")
        if isinstance(error, dict) and error.get("error"):
            diagnostics.append({"urn": "", "severity": "error", "message": str(error["error"])})
    if not raw:
        errors = [d["message"].splitlines()[0] for d in diagnostics if d["severity"] == "error"]
        reason = f"; it failed: {errors[0]}" if errors else ""
        raise InputError(source, f"the event stream has no resource steps (no resourcePreEvent){reason}")
    return build(raw, kind="events", source=source, config=config, diagnostics=diagnostics)


def parse_lines(text: str, source: str) -> list[dict[str, Any]]:
    """JSON lines -> events; a bad line is reported with its line and column."""
    events: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                source, f"engine-event stream: invalid JSON at line {number} column {exc.colno}: {exc.msg}"
            ) from None
        if not is_event(obj):
            raise InputError(source, f"engine-event stream: line {number} is not an engine event")
        schema.validate(obj, "event", f"{source}:{number}")
        events.append(obj)
    return events
