"""Pulumi URNs: ``urn:pulumi:<stack>::<project>::<qualified type>::<name>``.

The one place that takes a URN apart (model layer: readers, policies, the plan guard, exemptions
and reporters all read URNs, so none of them owns this). The name is everything after the third
``::`` as the engine splits it (a name may itself contain ``::``); the type is the qualified type
without its ``parent$`` qualifiers.
"""

from __future__ import annotations

PREFIX = "urn:pulumi:"


def split_urn(urn: str) -> tuple[str, str, str, str]:
    """``urn:pulumi:<stack>::<project>::<qualified type>::<name>`` -> (stack, project, type, name);
    anything else -> ("", "", "", urn)."""
    if not urn.startswith(PREFIX):
        return "", "", "", urn
    parts = urn[len(PREFIX) :].split("::", 3)
    if len(parts) < 4:
        return "", "", "", urn
    stack, project, qualified, name = parts
    return stack, project, qualified.rsplit("$", 1)[-1], name


def project_of_urn(urn: str | None) -> str | None:
    """``urn:pulumi:<stack>::<project>::...`` -> project (None when the URN names none)."""
    if not urn or not urn.startswith(PREFIX):
        return None
    parts = urn[len(PREFIX) :].split("::", 3)
    return parts[1] if len(parts) >= 3 and parts[1] else None


def stack_of_urn(urn: str | None) -> str | None:
    """``urn:pulumi:<stack>::...`` -> stack name (None when the URN names none)."""
    if not urn or not urn.startswith(PREFIX):
        return None
    stack = urn[len(PREFIX) :].split("::", 1)[0]
    return stack or None


def name_of_urn(urn: str) -> str:
    """The resource name of a URN (the whole string when it is not a URN)."""
    return split_urn(urn)[3]


def names_from_urns(urns: list[str]) -> tuple[str, str]:
    """(project, stack) from the first well-formed URN; ("unknown", "unknown") if none."""
    for urn in urns:
        stack, project, _, _ = split_urn(urn)
        if project:
            return project, stack
    return "unknown", "unknown"


__all__ = ["PREFIX", "name_of_urn", "names_from_urns", "project_of_urn", "split_urn", "stack_of_urn"]
