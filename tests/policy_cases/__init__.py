"""Exact cases per built-in policy, as data (Checkov-style: compliant and violating examples per check).

Each module here holds ``CASES``: a list of :class:`Case` (or :class:`PlanCase` for the rules of
``tierguard plan``). A case names the policy it is about, the
resources of one stack (wire form: unknowns and secrets as the engine sends them), the stack's tier and
config, and the EXACT set of findings the policy's whole pack gives -- (policy, resource name, level)
for every violation, every preview note listed too. ``tests/test_policy_cases.py`` runs each case
through the in-process evaluator ``tierguard check`` uses, and a meta-test requires, for every policy
in the pack registry, at least one passing and one failing case, one with an unknown value and one
with a secret.

Policies are addressed by name only (the registry finds their pack), never by module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tierguard import wire
from tierguard.model import Resource
from tierguard.model_steps import Step
from tierguard.testing import UNKNOWN, resource

M = "mandatory"
A = "advisory"
# The "can't run policy ... during preview" note the analyzer gives when a policy reads an unknown.
NOTE = "note"

Expect = tuple[str, str, str]  # (policy, resource name -- the stack's for stack findings, level)


@dataclass(frozen=True)
class Case:
    """One stack and the exact findings of the pack holding ``policy``."""

    policy: str
    id: str
    resources: tuple[Resource, ...]
    expect: frozenset[Expect]
    tier: str | None = "infra"
    config: Mapping[str, Any] = field(default_factory=dict)
    project: str = "proj"
    stack: str = "dev"
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def failing(self) -> bool:
        """Whether the policy the case is about has a violation in it."""
        return any(p == self.policy and level != NOTE for p, _, level in self.expect)

    @property
    def has_unknown(self) -> bool:
        return any(_contains(r.inputs, wire.is_unknown) for r in self.resources) or _contains(
            self.config, wire.is_unknown
        )

    @property
    def has_secret(self) -> bool:
        return any(_contains(r.inputs, wire.is_secret) for r in self.resources) or _contains(
            self.config, wire.is_secret
        )


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
    return Case(policy, id, tuple(resources), frozenset(expect), **options)


def secret(value: Any) -> dict[str, Any]:
    return wire.secret(value)


__all__ = ["NOTE", "UNKNOWN", "A", "Case", "M", "case", "r", "secret"]


@dataclass(frozen=True)
class PlanCase:
    """Preview steps and the exact findings of the plan guard's rules (``tierguard plan``)."""

    policy: str
    id: str
    steps: tuple[Step, ...]
    expect: frozenset[Expect]
    tier: str | None = "infra"
    # the `plan:` section of .tierguard.yaml
    plan_config: Mapping[str, Any] = field(default_factory=dict)
    # engine diagnostics kept from the preview; "urn" may name a step's resource by its name
    diagnostics: tuple[Mapping[str, Any], ...] = ()
    project: str = "proj"
    stack: str = "dev"

    @property
    def failing(self) -> bool:
        """A plan rule's notes are its own findings (an engine warning is reported as a note)."""
        return any(p == self.policy for p, _, _ in self.expect)

    @property
    def has_unknown(self) -> bool:
        return any(_contains(r.inputs, wire.is_unknown) for s in self.steps for r in (s.old, s.new) if r)

    @property
    def has_secret(self) -> bool:
        return any(_contains(r.inputs, wire.is_secret) for s in self.steps for r in (s.old, s.new) if r)


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
    old = None if op == "create" else res
    new = None if op == "delete" else res
    return Step(
        urn=res.urn,
        type=type_,
        name=name,
        op=op,
        ops=[op],
        old=old,
        new=new,
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
    return PlanCase(policy, id, tuple(steps), frozenset(expect), **options)


__all__ = ["NOTE", "UNKNOWN", "A", "Case", "M", "PlanCase", "case", "plan_case", "r", "secret", "step"]
