"""Exact cases per built-in rule, as data (Checkov-style: compliant and violating examples per check).

Each module here holds ``CASES``: a list of :class:`Case` (a pack policy) or :class:`PlanCase` (a rule
of ``tierguard plan``). A case names the rule it is about, its input -- the resources of one stack,
or the steps of one preview, in wire form with unknowns and secrets as the engine sends them -- the
tier and config, and the EXACT set of findings the rule's whole pack gives: (policy, resource name,
level) for every violation, every note listed too. ``tests/test_policy_cases.py`` runs each case
through the evaluator ``tierguard check`` (or ``tierguard plan``) uses, and a meta-test requires, for
every rule ``tierguard policies`` describes, a passing and a failing case, one with a value unknown
during preview and one with a secret.

Rules are addressed by name only (the registry finds their pack), never by module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tierguard.model import wire
from tierguard.model.records import Resource
from tierguard.model.steps import Step
from tierguard.testing import UNKNOWN, resource

M = "mandatory"
A = "advisory"
# The "can't run policy ... during preview" note the analyzer gives when a policy reads an unknown
# (and the plan guard's engine warnings, which are notes).
NOTE = "note"

Expect = tuple[str, str, str]  # (policy, resource name -- the stack's for stack findings, level)


@dataclass(frozen=True, kw_only=True)
class _Judged:
    """What every case has, and what the meta-test asks of it: does it fail its rule, does it hold
    values unknown during preview, secrets."""

    policy: str
    id: str
    expect: frozenset[Expect]
    tier: str | None = "infra"
    project: str = "proj"
    stack: str = "dev"

    # whether a note of the rule counts as the rule failing (plan rules report warnings as notes)
    notes_fail: ClassVar[bool] = False

    def values(self) -> Iterator[Any]:
        raise NotImplementedError

    @property
    def failing(self) -> bool:
        return any(p == self.policy and (self.notes_fail or lvl != NOTE) for p, _, lvl in self.expect)

    @property
    def has_unknown(self) -> bool:
        return any(_contains(v, wire.is_unknown) for v in self.values())

    @property
    def has_secret(self) -> bool:
        return any(_contains(v, wire.is_secret) for v in self.values())


@dataclass(frozen=True, kw_only=True)
class Case(_Judged):
    """One stack and the exact findings of the pack holding ``policy``."""

    resources: tuple[Resource, ...]
    config: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)

    def values(self) -> Iterator[Any]:
        yield from (r.inputs for r in self.resources)
        yield self.config


@dataclass(frozen=True, kw_only=True)
class PlanCase(_Judged):
    """Preview steps and the exact findings of the plan guard's rules (``tierguard plan``)."""

    steps: tuple[Step, ...]
    # the `plan:` section of .tierguard.yaml
    plan_config: Mapping[str, Any] = field(default_factory=dict)
    # engine diagnostics kept from the preview; "urn" may name a step's resource by its name
    diagnostics: tuple[Mapping[str, Any], ...] = ()
    notes_fail: ClassVar[bool] = True

    def values(self) -> Iterator[Any]:
        yield from (r.inputs for s in self.steps for r in (s.old, s.new) if r is not None)


def _contains(value: Any, test: Any) -> bool:
    if test(value):
        return True
    if isinstance(value, Mapping):
        return any(_contains(v, test) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains(v, test) for v in value)
    return False


def r(type_: str, name: str, inputs: Mapping[str, Any] | None = None, **fields: Any) -> Resource:
    """A resource called ``name`` (its URN's last part, what the expectations name)."""
    return resource(type_, inputs or {}, name, **fields)


def case(
    policy: str,
    id: str,
    resources: Iterable[Resource],
    expect: Iterable[Expect] = (),
    **options: Any,
) -> Case:
    return Case(policy=policy, id=id, resources=tuple(resources), expect=frozenset(expect), **options)


def step(
    op: str,
    type_: str,
    name: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    protect: bool = False,
    retain_on_delete: bool = False,
    replace_reasons: Iterable[str] = (),
) -> Step:
    """One logical change: a create has only a new state, a delete only an old one."""
    res = resource(type_, inputs or {}, name, protect=protect, retain_on_delete=retain_on_delete)
    return Step(
        urn=res.urn,
        type=type_,
        name=name,
        op=op,
        ops=[op],
        old=None if op == "create" else res,
        new=None if op == "delete" else res,
        replace_reasons=list(replace_reasons),
    )


def plan_case(
    policy: str,
    id: str,
    steps: Iterable[Step],
    expect: Iterable[Expect] = (),
    **options: Any,
) -> PlanCase:
    if "diagnostics" in options:
        options["diagnostics"] = tuple(options["diagnostics"])
    return PlanCase(policy=policy, id=id, steps=tuple(steps), expect=frozenset(expect), **options)


def secret(value: Any) -> dict[str, Any]:
    return wire.secret(value)


__all__ = ["NOTE", "UNKNOWN", "A", "Case", "M", "PlanCase", "case", "plan_case", "r", "secret", "step"]
