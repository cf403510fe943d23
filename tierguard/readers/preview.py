"""``pulumi preview --json``: one document ``{config, steps[], diagnostics[], duration, changeSummary}``.

Each step is ``{op, urn, provider, oldState, newState, diffReasons, replaceReasons, detailedDiff}``
with states shaped like stack-export resources. The CLI always lists the root stack resource, so a
document without steps is not a finished preview. Sames appear only with ``--show-sames`` and
replacement sub-steps only with ``--show-replacement-steps``; both are folded by
:func:`tierguard.model.steps.fold_steps`.

Two views come out of one read: the **new state** (a :class:`Stack` of what will exist, each
resource carrying its step's ``op``, ``old`` state and diff details) for the policy packs, and
the logical :class:`~tierguard.model.steps.Step` list for the plan rules, which also sees deletes.
"""

from __future__ import annotations

import json
from typing import Any

from tierguard.model.records import InputError, Resource, Stack
from tierguard.model.steps import GONE_OPS, NO_CHANGE_OPS, Step, fold_steps
from tierguard.model.urn import names_from_urns
from tierguard.readers import schema
from tierguard.readers.export import resource_from_state, stack_tags


def normalise_diagnostic(diag: dict[str, Any]) -> dict[str, Any] | None:
    """``{urn, message, severity}`` from a preview diagnostic or a ``diagnosticEvent``."""
    if not isinstance(diag, dict):
        return None
    message = f"{diag.get('prefix') or ''}{diag.get('message') or ''}".strip()
    severity = str(diag.get("severity") or "info")
    if not message or severity == "debug" or diag.get("ephemeral"):
        return None
    return {"urn": diag.get("urn") or "", "severity": severity, "message": message}


def _config_text(value: Any) -> str:
    """A config value as the engine hands it to a pack: text, structured values as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def build(
    raw: list[tuple[str, Resource | None, Resource | None, dict[str, Any]]],
    *,
    kind: str,
    source: str,
    config: dict[str, Any],
    diagnostics: list[dict[str, Any]],
) -> tuple[Stack, list[Step]]:
    """The new-state Stack and the logical steps, from physical ``(op, old, new, details)`` steps."""
    steps = fold_steps(raw)
    resources: list[Resource] = []
    for step in steps:
        details = {
            "replaceReasons": step.replace_reasons,
            "diffReasons": step.diff_reasons,
            "detailedDiff": step.detailed_diff,
        }
        for res in (step.new, step.old):
            if res is not None:
                res.op = step.op
                res.step = details
        if step.new is not None:
            step.new.old = step.old
        if step.op not in GONE_OPS and step.new is not None:
            resources.append(step.new)
    project, stack_name = names_from_urns([s.urn for s in steps])
    flat_config = {str(k): _config_text(v) for k, v in (config or {}).items()}
    stack = Stack(
        project=project,
        stack=stack_name,
        resources=resources,
        kind=kind,
        source=source,
        tags=stack_tags(flat_config),
        config=flat_config,
        config_secret_keys=[k for k, v in flat_config.items() if v == "[secret]"],
        dry_run=True,
        config_file=source,
        diagnostics=diagnostics,
    )
    return stack, steps


def read_preview(doc: dict[str, Any], source: str) -> tuple[Stack, list[Step]]:
    """A parsed ``pulumi preview --json`` document -> (new-state Stack, logical steps)."""
    schema.validate(doc, "preview", source)
    raw_steps = doc.get("steps")
    summary = doc.get("changeSummary") if isinstance(doc.get("changeSummary"), dict) else {}
    diagnostics = [d for d in map(normalise_diagnostic, doc.get("diagnostics") or []) if d]
    if raw_steps is None or raw_steps == []:
        errors = [d["message"].splitlines()[0] for d in diagnostics if d["severity"] == "error"]
        changes = {k: v for k, v in summary.items() if k not in NO_CHANGE_OPS and v}
        if raw_steps == [] and not errors and not changes:
            pass  # an explicitly empty plan: nothing will change
        elif errors:
            raise InputError(source, f"the preview has no steps; it failed: {errors[0]}")
        elif changes:
            raise InputError(
                source,
                f"the preview has no steps but its changeSummary lists {sum(changes.values())} change(s)",
            )
        else:
            raise InputError(source, "the preview has no steps (the CLI always lists the stack resource)")
    if not isinstance(raw_steps, list):
        raise InputError(source, "'steps' is not a list")
    raw: list[tuple[str, Resource | None, Resource | None, dict[str, Any]]] = []
    for index, step in enumerate(raw_steps):
        if not isinstance(step, dict) or not isinstance(step.get("op"), str):
            raise InputError(source, f"step {index} is not an object with an 'op'")
        old_state, new_state = step.get("oldState"), step.get("newState")
        old = resource_from_state(old_state, source) if isinstance(old_state, dict) else None
        new = resource_from_state(new_state, source) if isinstance(new_state, dict) else None
        if old is None and new is None:
            raise InputError(
                source, f"step {index} ({step['op']} {step.get('urn', '?')}) has no oldState or newState"
            )
        raw.append((step["op"], old, new, step))
    return build(
        raw,
        kind="preview",
        source=source,
        config=doc.get("config") or {},
        diagnostics=diagnostics,
    )
