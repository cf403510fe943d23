"""``--format junit``: JUnit XML, the one test-report format every CI system displays.

One ``<testsuite>`` per stack and one ``<testcase>`` per policy (``classname`` the stack, ``name``
``pack/policy``), so a CI test tab reads like a checklist of guardrails. Mandatory findings are a
``<failure>`` listing every resource; advisory findings and preview notes do not fail the case and go to
its ``<system-out>``, where reviewers still see them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from tierguard.model.records import Exempted, Finding, Result
from tierguard.model.urn import name_of_urn
from tierguard.report.sarif import detail, rules_for

# XML 1.0 forbids most control characters even when escaped; a message must never break the report.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _XML_INVALID.sub("?", text)


def _line(f: Finding) -> str:
    where = f" at {f.location}" if f.location else ""
    resource = name_of_urn(f.urn) if f.urn else "(stack)"
    kind = f" ({f.type})" if f.type else ""
    level = "note" if f.kind == "note" else f.enforcement_level
    return f"- [{level}] {resource}{kind}{where}: {detail(f)}"


def _exempted_line(e: Exempted) -> str:
    ex = e.exemption
    rest = _line(e.finding).split("] ", 1)[1]
    return f"- [exempted until {ex.expires.isoformat()}: {ex.shown_reason}; {ex.where}] {rest}"


def _testcase(
    suite: ET.Element,
    label: str,
    case_name: str,
    findings: list[Finding],
    exempted: Sequence[Exempted] = (),
) -> tuple[bool, bool]:
    """Add one test case; return whether it failed, and whether it was skipped: every finding of the
    policy is exempted, so the check stands aside for now and the reason says why."""
    case = ET.SubElement(suite, "testcase", {"classname": label, "name": case_name, "time": "0"})
    blocking = [f for f in findings if f.blocking and f.kind != "note"]
    others = [f for f in findings if f not in blocking]
    skipped = bool(exempted) and not blocking
    if blocking:
        first = detail(blocking[0]).splitlines()[0] if detail(blocking[0]) else blocking[0].policy
        message = f"{len(blocking)} mandatory finding(s): {first}"
        failure = ET.SubElement(case, "failure", {"message": _clean(message), "type": "mandatory"})
        failure.text = _clean("\n".join(_line(f) for f in blocking))
    if skipped:
        ex = exempted[0].exemption
        message = f"{len(exempted)} finding(s) exempted until {ex.expires.isoformat()}: {ex.shown_reason}"
        ET.SubElement(case, "skipped", {"message": _clean(message)})
    lines = [_exempted_line(e) for e in exempted] + [_line(f) for f in others]
    if lines:
        out = ET.SubElement(case, "system-out")
        out.text = _clean("\n".join(lines))
    return bool(blocking), skipped


def document(results: Sequence[Result]) -> ET.Element:
    root = ET.Element("testsuites", {"name": "tierguard"})
    total_tests = total_failures = total_skipped = 0
    for r in results:
        label = r.stack.label
        # Every rule this stack was judged by, plus any rule only its findings name.
        ordered = sorted(rules_for([r]).items(), key=lambda item: (item[1][0], item[0]))
        suite = ET.SubElement(root, "testsuite", {"name": label})
        props = ET.SubElement(suite, "properties")
        for key, value in (("source", r.stack.source), ("kind", r.stack.kind)):
            ET.SubElement(props, "property", {"name": key, "value": _clean(value)})
        by_policy: dict[str, list[Finding]] = {}
        for f in r.findings:
            by_policy.setdefault(f.policy, []).append(f)
        exempted_of: dict[str, list[Exempted]] = {}
        for e in r.exempted:
            exempted_of.setdefault(e.finding.policy, []).append(e)
        tests = failures = skipped = 0
        for name, (pack, _rule) in ordered:
            tests += 1
            failed, skip = _testcase(
                suite, label, f"{pack}/{name}", by_policy.get(name, []), exempted_of.get(name, [])
            )
            failures += failed
            skipped += skip
        total_skipped += skipped
        suite.attrib.update(
            {
                "tests": str(tests),
                "failures": str(failures),
                "errors": "0",
                "skipped": str(skipped),
                "time": "0",
            }
        )
        total_tests += tests
        total_failures += failures
    root.attrib.update(
        {
            "tests": str(total_tests),
            "failures": str(total_failures),
            "errors": "0",
            "skipped": str(total_skipped),
            "time": "0",
        }
    )
    return root


def render(results: list[Result]) -> str:
    root = document(results)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
