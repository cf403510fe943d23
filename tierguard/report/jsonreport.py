"""``--format json``: one document, the contract in the README (change it only additively)."""

from __future__ import annotations

import json
from typing import Any

from tierguard import __version__
from tierguard.model.records import Result
from tierguard.policies.tier import stack_tier


def document(results: list[Result]) -> dict[str, Any]:
    violations = [f.to_json() for r in results for f in r.findings if f.kind != "note"]
    notes = [f.to_json() for r in results for f in r.findings if f.kind == "note"]
    stacks = []
    for r in results:
        tier = stack_tier(r.stack)
        entry: dict[str, Any] = {
            "stack": r.stack.label,
            "project": r.stack.project,
            "name": r.stack.stack,
            "kind": r.stack.kind,
            "source": r.stack.source,
            "resources": sum(1 for x in r.stack.resources if not x.is_stack),
            "tier": tier.tier,
            "tierSource": tier.source,
            "blocked": r.blocked,
            "mandatory": sum(1 for f in r.findings if f.blocking),
            "advisory": sum(1 for f in r.findings if f.enforcement_level == "advisory" and f.kind != "note"),
            "exempted": len(r.exempted),
        }
        if r.stack.notes:
            entry["notes"] = list(r.stack.notes)
        references = r.stack.references_of()
        if references:
            entry["stackReferences"] = [ref.to_json() for ref in references]
        if r.plan is not None:
            entry["plan"] = r.plan
        if r.remediations:
            entry["remediations"] = [
                {"policy": m.policy, "pack": m.pack, "urn": m.urn, "diagnostic": m.diagnostic}
                for m in r.remediations
            ]
        stacks.append(entry)
    return {
        "tool": "tierguard",
        "version": __version__,
        "verdict": "fail" if any(r.blocked for r in results) else "pass",
        "resources": sum(s["resources"] for s in stacks),
        "violations": violations,
        "notes": notes,
        # findings an exemption in force covers: the finding as it would have been, plus the exemption
        "exempted": [e.to_json() for r in results for e in r.exempted],
        "stacks": stacks,
    }


def render(results: list[Result]) -> str:
    return json.dumps(document(results), indent=2, sort_keys=False) + "\n"
