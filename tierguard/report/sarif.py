"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

Choices made for GitHub's ingestion (docs: "SARIF support for code scanning"):

* one run, tool ``tierguard``, one ``reportingDescriptor`` per policy of every pack (ids are policy names,
  stable across runs), with ``security-severity`` and ``security`` tag so alerts get a severity;
* every result has exactly one location with a **relative** URI (forward slashes, from the working
  directory, which is the repository root in CI) and a ``region.startLine``; a finding with no known line
  is anchored at line 1 of the stack's ``Pulumi.yaml`` (or of its input file), never left unlocated;
* ``partialFingerprints`` hash policy + URN + stack (not the line), so an alert survives edits that move
  the resource declaration and code scanning does not open duplicates.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tierguard import __version__
from tierguard.model.records import Exempted, Finding, Result, Rule, Stack
from tierguard.report.locations import (
    artifact_path,
    artifact_uri,
    detail,
    fallback_file,
    resource_label,
)

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

# GitHub reads a rule's "security-severity" (a number 0.0-10.0 written as a string) to rank alerts:
# over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"low": "3.0", "medium": "5.0", "high": "7.5", "critical": "9.5"}

# A policy evaluates declared configuration, not heuristics: its answers are exact.
PRECISION = "very-high"

_LEVEL_OF_ENFORCEMENT = {
    "mandatory": "error", "remediate": "error", "advisory": "warning", "disabled": "none",
}


def result_level(f: Finding) -> str:
    """mandatory -> error, advisory -> warning, preview/engine notes -> note."""
    if f.kind == "note":
        return "note"
    return _LEVEL_OF_ENFORCEMENT.get(f.enforcement_level, "warning")


# -- which rules to describe ----------------------------------------------------------------------


def rules_for(results: Sequence[Result]) -> dict[str, tuple[str, Rule]]:
    """policy name -> (pack name, rule): every rule the results were judged by (``Result.rules``:
    each policy of the packs run, the plan rules), plus any policy only seen in findings, described
    from the finding itself."""
    rules: dict[str, tuple[str, Rule]] = {}
    for r in results:
        for name, described in r.rules.items():
            rules.setdefault(name, described)
    for r in results:
        for f in [*r.findings, *(e.finding for e in r.exempted)]:
            if f.policy not in rules:
                rules[f.policy] = (f.pack, rule_from_finding(f))
    return rules


def rule_from_finding(f: Finding) -> Rule:
    description = f.message.partition("\n")[0] if f.kind != "note" else f.policy
    return Rule(
        name=f.policy,
        title=f.policy,
        description=description or f.policy,
        category=f.category,
        severity=f.severity,
        enforcement=f.enforcement_level,
        remediation="",
    )


# -- locations ---------------------------------------------------------------------------------------


def physical_location(stack: Stack, f: Finding, root: Path | None = None) -> dict[str, Any]:
    if f.location is not None and f.location.file:
        path = artifact_path(stack, f.location.file)
        line, column = f.location.line, f.location.column
    else:
        path, line, column = fallback_file(stack), None, None
    region: dict[str, Any] = {"startLine": line if line and line > 0 else 1}
    if line and column and column > 0:
        region["startColumn"] = column
    return {"artifactLocation": {"uri": artifact_uri(path, root)}, "region": region}


# -- results -------------------------------------------------------------------------------------------


def fingerprint(f: Finding, stack_label: str) -> str:
    """Stable across runs and line moves: the policy, the resource and the stack."""
    key = "\0".join((f.pack, f.policy, f.urn, stack_label))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _sarif_result(
    r: Result, f: Finding, rule_index: dict[str, int], occurrence: int, root: Path | None
) -> dict[str, Any]:
    digest = fingerprint(f, r.stack.label)
    return {
        "ruleId": f.policy,
        "ruleIndex": rule_index[f.policy],
        "level": result_level(f),
        "message": {"text": f"{detail(f)} [{resource_label(f)} in {r.stack.label}]"},
        "locations": [{"physicalLocation": physical_location(r.stack, f, root)}],
        "partialFingerprints": {
            # Set by us, so upload-sarif keeps it instead of hashing the source line.
            "primaryLocationLineHash": f"{digest}:{occurrence}",
            "tierguardFinding/v1": f"{digest}:{occurrence}",
        },
        "properties": {
            "urn": f.urn,
            "type": f.type,
            "pack": f.pack,
            "stack": r.stack.label,
            "category": f.category,
            "severity": f.severity,
            "enforcementLevel": f.enforcement_level,
            "kind": f.kind,
        },
    }


def suppression(exempted: Exempted) -> dict[str, Any]:
    """An exemption as SARIF sees it: a dismissed alert, ``external`` when the central policy
    config grants it, ``inSource`` when the stack's own config (beside the code) does."""
    ex = exempted.exemption
    justification = f"{ex.shown_reason} (until {ex.expires.isoformat()}"
    if ex.approved_by:
        justification += f", approved by {ex.shown(ex.approved_by)}"
    if ex.ticket:
        justification += f", {ex.shown(ex.ticket)}"
    justification += f"; {ex.where})"
    return {
        "kind": "inSource" if ex.source == "stack" else "external",
        "status": "accepted",
        "justification": justification,
        "properties": {"expires": ex.expires.isoformat(), "entry": ex.where, "source": ex.source},
    }


def _help_markdown(rule: Rule) -> str:
    parts = [rule.description]
    if rule.remediation:
        parts.append(f"**Remediation**\n\n{rule.remediation}")
    if rule.references:
        parts.append("**References:** " + ", ".join(rule.references))
    if rule.config:
        keys = ", ".join(
            f"`{k}` (default `{json.dumps(v['default'])}`)" if "default" in v else f"`{k}`"
            for k, v in rule.config.items()
        )
        parts.append(f"**Configuration:** {keys}")
    parts.append(f"Category `{rule.category}`, severity `{rule.severity}`, default `{rule.enforcement}`.")
    return "\n\n".join(parts)


def reporting_descriptor(pack: str, rule: Rule) -> dict[str, Any]:
    level = _LEVEL_OF_ENFORCEMENT.get(rule.enforcement, "warning")
    default_configuration: dict[str, Any] = {"level": level}
    if rule.enforcement == "disabled":
        default_configuration["enabled"] = False
    return {
        "id": rule.name,
        "name": _pascal(rule.name),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.remediation or rule.description, "markdown": _help_markdown(rule)},
        "defaultConfiguration": default_configuration,
        "properties": {
            "tags": [rule.category, "security"],
            "security-severity": SECURITY_SEVERITY.get(rule.severity, "5.0"),
            "precision": PRECISION,
            "problem.severity": "error" if level == "error" else "warning",
            "pack": pack,
            "references": list(rule.references),
        },
    }


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _occurrences(findings: Iterable[Finding], stack_label: str) -> list[tuple[Finding, int]]:
    """Number findings that share a fingerprint (one policy reporting one resource twice) in a stable
    order, so each keeps its own alert."""
    seen: dict[str, int] = {}
    out = []
    for f in sorted(findings, key=lambda f: (f.pack, f.policy, f.urn, f.message)):
        digest = fingerprint(f, stack_label)
        seen[digest] = seen.get(digest, 0) + 1
        out.append((f, seen[digest]))
    return out


def document(results: Sequence[Result], root: Path | None = None) -> dict[str, Any]:
    rules = rules_for(results)
    ordered = sorted(rules.items(), key=lambda item: (item[1][0], item[0]))
    rule_index = {name: i for i, (name, _) in enumerate(ordered)}
    sarif_results = []
    for r in results:
        exempted = {id(e.finding): e for e in r.exempted}
        for f, n in _occurrences([*r.findings, *(e.finding for e in r.exempted)], r.stack.label):
            item = _sarif_result(r, f, rule_index, n, root)
            if id(f) in exempted:
                item["suppressions"] = [suppression(exempted[id(f)])]
            sarif_results.append(item)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tierguard",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [reporting_descriptor(pack, rule) for _, (pack, rule) in ordered],
                    }
                },
                "results": sarif_results,
                "columnKind": "unicodeCodePoints",
                "properties": {"stacks": [r.stack.label for r in results]},
            }
        ],
    }


def render(results: list[Result]) -> str:
    return json.dumps(document(results), indent=2) + "\n"
