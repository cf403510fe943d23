"""A preview's steps: what ``pulumi preview`` will *do* to each resource (model layer).

A :class:`Step` is one resource's logical change in a preview. Readers fold the CLI's physical
steps into it with :func:`fold_steps`, so a replace counts once whether or not
``--show-replacement-steps`` listed its ``create-replacement`` / ``delete-replaced`` sub-steps;
the plan guard (:mod:`tierguard.plan`) judges the Steps. Both import this module, neither the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tierguard.model.records import Location, Resource

# The step operations the engine reports (display.StepOp). An op tierguard does not know is refused
# by the readers: a guard that skipped it could pass a plan that should block.
STEP_OPS = (
    "same", "create", "update", "delete", "replace", "create-replacement", "delete-replaced", "read",
    "read-replacement", "refresh", "discard", "discard-replaced", "remove-pending-replace", "import",
    "import-replacement",
)

# Physical ops the CLI may list for one logical change, and that change. Replacement sub-steps
# (shown with --show-replacement-steps, always present in the engine-event stream) fold into their
# logical "replace"; the replacement of a read (data-source) resource stays a "read".
LOGICAL_OP = {
    "create-replacement": "replace",
    "delete-replaced": "replace",
    "import-replacement": "replace",
    "read-replacement": "read",
    "discard-replaced": "read",
}

# Logical ops that change something in the cloud (or adopt it into the stack), and so count.
CHANGE_OPS = ("create", "update", "replace", "delete", "import")

# Ops of a preview's changeSummary that mean nothing will change (a summary of only these is "no changes").
NO_CHANGE_OPS = frozenset({"same", "read", "refresh"})

# Physical ops after which the resource is no longer part of the stack's new state.
GONE_OPS = frozenset({"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"})


@dataclass
class Step:
    """One resource's logical change, with its old and new state."""

    urn: str
    type: str
    name: str
    # Logical op: create, update, delete, replace, same, read, import, refresh, discard, ...
    op: str
    # Physical ops the CLI listed for this URN, in order (e.g. create-replacement, replace, delete-replaced).
    ops: list[str] = field(default_factory=list)
    old: Resource | None = None
    new: Resource | None = None
    replace_reasons: list[str] = field(default_factory=list)
    diff_reasons: list[str] = field(default_factory=list)
    # property path -> {"kind": "update-replace", "inputDiff": bool} (the preview document's spelling)
    detailed_diff: dict[str, Any] | None = None

    @property
    def resource(self) -> Resource:
        """The state that describes this resource best: the new one, or the old one if it goes."""
        res = self.new or self.old
        assert res is not None
        return res

    @property
    def location(self) -> Location | None:
        for res in (self.new, self.old):
            if res is not None and res.location is not None:
                return res.location
        return None

    @property
    def changed(self) -> bool:
        return self.op in CHANGE_OPS

    @property
    def destroys(self) -> bool:
        """The old resource is deleted (a delete, or the delete half of a replace)."""
        return self.op in ("delete", "replace")

    @property
    def counted(self) -> bool:
        """Stack, provider and component resources are left out of plan counts: they change nothing
        in the cloud themselves (a component's children are counted)."""
        res = self.new or self.old
        return (
            self.type != "pulumi:pulumi:Stack"
            and not self.type.startswith("pulumi:providers:")
            and (res is None or res.custom)
        )

    def forcing_properties(self) -> list[str]:
        """The properties whose change forces the replacement, best source first."""
        if self.replace_reasons:
            return list(self.replace_reasons)
        if self.detailed_diff:
            return [
                k
                for k, v in self.detailed_diff.items()
                if str((v or {}).get("kind", "")).endswith("-replace")
            ]
        return []


def fold_steps(raw: list[tuple[str, Resource | None, Resource | None, dict[str, Any]]]) -> list[Step]:
    """Fold physical steps ``(op, old, new, details)`` into one logical :class:`Step` per change.

    ``details`` has ``replaceReasons``, ``diffReasons`` and ``detailedDiff`` as the preview document
    writes them. Steps are keyed by (URN, logical op), so the sub-steps of a replace meet in one
    Step while an unrelated op on the same URN stays separate. Linear in the number of steps.
    """
    by_key: dict[tuple[str, str], Step] = {}
    order: list[Step] = []
    for op, old, new, details in raw:
        res = new or old
        if res is None:
            continue
        logical = LOGICAL_OP.get(op, op)
        step = by_key.get((res.urn, logical))
        if step is None:
            step = by_key[(res.urn, logical)] = Step(urn=res.urn, type=res.type, name=res.name, op=logical)
            order.append(step)
        step.ops.append(op)
        if old is not None and step.old is None:
            step.old = old
        if new is not None and (step.new is None or op == logical):
            step.new = new
        for key, attr in (("replaceReasons", "replace_reasons"), ("diffReasons", "diff_reasons")):
            known = getattr(step, attr)
            for reason in details.get(key) or ():
                if reason not in known:
                    known.append(reason)
        diff = details.get("detailedDiff")
        if diff:
            step.detailed_diff = {**(step.detailed_diff or {}), **diff}
    return order


__all__ = [
    "CHANGE_OPS",
    "GONE_OPS",
    "LOGICAL_OP",
    "NO_CHANGE_OPS",
    "STEP_OPS",
    "Step",
    "fold_steps",
]
