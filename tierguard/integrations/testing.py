"""Small builders for tests of policies: a resource in wire form, a stack, findings of a pack.

Used by tierguard's own tests and by the pytest plugin; values may be wire unknowns
(``tierguard.model.wire.UNKNOWN_STRING``) or secrets (``tierguard.model.wire.secret(v)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tierguard.crossguard.packconfig import PackConfig
from tierguard.evaluate.evaluator import Evaluator
from tierguard.model.records import Finding, Location, Resource, Result, Stack
from tierguard.policies.packs import load_pack

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

__all__ = ["UNKNOWN", "findings", "resource", "run", "stack", "urn"]


def urn(
    type_: str, name: str, project: str = "proj", stack: str = "dev", parent_type: str | None = None
) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def resource(
    type_: str,
    inputs: Mapping[str, Any] | None = None,
    name: str | None = None,
    *,
    project: str = "proj",
    stack: str = "dev",
    line: int | None = None,
    **fields: Any,
) -> Resource:
    """A resource as a reader would produce it; ``fields`` are other :class:`Resource` fields."""
    name = name or type_.rsplit(":", 1)[-1].lower()
    return Resource(
        urn=fields.pop("urn", None) or urn(type_, name, project, stack),
        type=type_,
        name=name,
        inputs=dict(inputs or {}),
        location=Location("__main__.py", line) if line is not None else None,
        **fields,
    )


def stack(
    resources: Iterable[Resource],
    *,
    project: str = "proj",
    name: str = "dev",
    tags: Mapping[str, str] | None = None,
    tier: str | None = None,
    kind: str = "program",
    dry_run: bool = True,
) -> Stack:
    return Stack(
        project=project,
        stack=name,
        resources=list(resources),
        kind=kind,
        source="test",
        tags=dict(tags or {}),
        tier=tier,
        dry_run=dry_run,
    )


def run(
    packs: str | Iterable[str],
    st: Stack,
    config: Mapping[str, Any] | None = None,
) -> Result:
    names = [packs] if isinstance(packs, str) else list(packs)
    return Evaluator([load_pack(n) for n in names], PackConfig(entries=dict(config or {}))).evaluate(st)


def findings(
    packs: str | Iterable[str],
    st: Stack,
    config: Mapping[str, Any] | None = None,
    policy: str | None = None,
) -> list[Finding]:
    """Violations (not preview notes) of ``packs`` over ``st``, optionally of one policy."""
    out = [f for f in run(packs, st, config).findings if f.kind == "violation"]
    return [f for f in out if policy is None or f.policy == policy]
