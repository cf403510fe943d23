"""Plan rules: size, deletes, replaces, weighted blast radius, destroyed storage or protected
resources, and the CLI's own error diagnostics -- over the logical steps of one preview.

Every rule is one pass over the steps (or the diagnostics), so a 20,000-step plan stays cheap.
Messages name resources, types and property *names* only, never values (which may be secret).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from tierguard.model.records import ENGINE_CATEGORY, Exempted, Finding, InputError, Location, Rule, Stack
from tierguard.model.steps import CHANGE_OPS, Step
from tierguard.model.urn import split_urn
from tierguard.plan.config import BASE, SETTINGS_SCHEMA, PlanSettings
from tierguard.plan.kinds import is_iam, is_storage
from tierguard.policies.exemptions import (
    Exemption,
    ExemptionError,
    Exemptions,
    build,
    exempted_text,
    expired_text,
    stale_text,
)

PACK = "plan-guard"

DESCRIPTION = (
    "Judges a preview before it runs: size, deletes and replaces per tier, a weighted blast-radius "
    "score, destroyed storage or protected resources, and the Pulumi engine's own diagnostics. Run by "
    "`tierguard plan` (not served to `pulumi preview`); thresholds come from the plan config "
    "(.tierguard.yaml `plan:`)."
)

_SPLIT = "Split the change into smaller previews, or raise the limit in the plan config (.tierguard.yaml) "
_SPLIT += "if this size is intended."



def _plan_config(*keys: str) -> dict[str, dict[str, Any]]:
    """The plan-config keys (``.tierguard.yaml`` ``plan:``) a rule reads, with their schema and,
    where one holds for every tier, their default; per-tier defaults are in ``tierThresholds``."""
    out = {}
    for key in keys:
        schema = dict(SETTINGS_SCHEMA["properties"][key])
        if key in BASE:
            schema["default"] = BASE[key]
        out[key] = schema
    return out


# The plan guard's rules, defined like every pack policy's (metadata beside the code): the first
# line of every message is the rule's description. Levels are the defaults; the plan config sets
# `protectedDestroy`, a blast-radius score between the two thresholds is advisory.
RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule(
            name="plan-protected-destroy",
            title="No destroyed storage or protected resources",
            description="The plan deletes or replaces storage, or a resource marked protect/retainOnDelete.",
            category="deletion-protection",
            severity="critical",
            enforcement="mandatory",
            remediation="Keep the resource (revert the change, or add an alias), or destroy it deliberately "
            "in a change of its own with an exemption.",
            config=_plan_config("protectedDestroy", "storageTypes"),
        ),
        Rule(
            name="plan-max-changes",
            title="Changed resources within the tier's limit",
            description="The plan changes more resources than the tier allows.",
            category="plan-size",
            severity="high",
            enforcement="mandatory",
            remediation=_SPLIT,
            config=_plan_config("maxChanges"),
        ),
        Rule(
            name="plan-max-deletes",
            title="Deletes within the tier's limit",
            description="The plan deletes more resources than the tier allows.",
            category="plan-size",
            severity="high",
            enforcement="mandatory",
            remediation=_SPLIT,
            config=_plan_config("maxDeletes"),
        ),
        Rule(
            name="plan-max-replaces",
            title="Replaces within the tier's limit",
            description="The plan replaces more resources than the tier allows.",
            category="plan-size",
            severity="high",
            enforcement="mandatory",
            remediation=_SPLIT,
            config=_plan_config("maxReplaces"),
        ),
        Rule(
            name="plan-blast-radius",
            title="Weighted blast radius below the tier's thresholds",
            description="The plan's weighted blast-radius score is too high.",
            category="plan-size",
            severity="high",
            enforcement="mandatory",
            remediation="Split the change into smaller previews; the score weighs deletes, replaces, "
            "storage and IAM most (opWeights, classWeights, typeWeights in the plan config).",
            config=_plan_config("warnScore", "blockScore", "opWeights", "classWeights", "typeWeights"),
        ),
        Rule(
            name="pulumi-engine-error",
            title="The preview ran without engine errors",
            description="The Pulumi engine reported an error during the preview.",
            category=ENGINE_CATEGORY,
            severity="high",
            enforcement="mandatory",
            remediation="Fix what the engine reports (a refused delete of a protected resource is filed "
            "under deletion-protection); a preview that failed says nothing about the plan.",
        ),
        Rule(
            name="pulumi-engine-warning",
            title="Engine warnings during the preview",
            description="The Pulumi engine reported a warning during the preview.",
            category=ENGINE_CATEGORY,
            severity="low",
            enforcement="advisory",
            remediation="Read the warning; the plan guard reports it as a note.",
        ),
    )
}

_OP_MARK = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "import": "="}


def _finding(
    policy: str,
    stack: Stack,
    detail: str,
    level: str = "mandatory",
    step: Step | None = None,
    category: str | None = None,
    kind: str = "violation",
    urn: str = "",
    type_: str = "",
    location: Location | None = None,
) -> Finding:
    rule = RULES[policy]
    return Finding(
        policy=policy,
        pack=PACK,
        category=category or rule.category,
        enforcement_level=level,
        message=f"{rule.description}\n{detail}",
        severity=rule.severity,
        urn=step.urn if step else urn,
        type=step.type if step else type_,
        location=step.location if step else location,
        stack=stack.label,
        kind=kind,
    )


@dataclass
class PlanExemptions:
    """The exemptions the plan rules honour (stack config and the policy config's ``all``): an
    approved delete or replace of one protected resource passes until its date, and a step an
    exemption names is left out of the op limits it names; everything else is still judged."""

    book: Exemptions = field(default_factory=Exemptions)
    exempted: list[Exempted] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    def judge(self, finding: Finding) -> Finding | None:
        """The finding to report, or None when an exemption in force covers it."""
        ex = self.book.decide(finding.policy, finding.urn)
        if ex is None:
            return finding
        self.used.add(ex.where)
        if ex.expired():
            return replace(finding, message=expired_text(ex, finding.message))
        description, _, detail = finding.message.partition("\n")
        self.exempted.append(Exempted(finding, ex, f"{description}\n{exempted_text(ex, detail)}"))
        return None

    def spares(self, policy: str, step: Step) -> Exemption | None:
        """An exemption in force naming this step's resource (not merely ``*``) for ``policy``."""
        ex = self.book.decide(policy, step.urn)
        if ex is None or ex.expired() or ex.resource == "*":
            return None
        return ex

    def stale(self, stack: Stack, pack_policies: Iterable[str]) -> list[Finding]:
        """Notes for exemptions of plan rules (and of no pack policy) that decided nothing."""
        pack_policies = set(pack_policies)
        out = []
        for ex in self.book.all():
            if ex.where in self.used or any(ex.matches_policy(p) for p in pack_policies):
                continue
            claimed = [name for name in RULES if ex.matches_policy(name)]
            if claimed:
                out.append(_finding(claimed[0], stack, stale_text(ex, PACK), "advisory", kind="note"))
        return out


def plan_exemptions(stack: Stack, everywhere: Any, policy_file: str | None) -> PlanExemptions:
    """The plan's exemptions: the stack config's, and those under the policy config's ``all``
    (``everywhere``, that entry); a malformed one is bad input naming the file and the entry."""
    entry = everywhere if isinstance(everywhere, dict) else {}
    props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
    try:
        book = build(
            stack_config=stack.config,
            secret_keys=stack.config_secret_keys,
            policy_config={"all": props},
            stack_file=stack.config_file,
            policy_file=policy_file,
        )
    except ExemptionError as exc:
        raise InputError(exc.file or stack.source, f"{exc.where}: {exc.problem}") from None
    return PlanExemptions(book)


def type_weight(step: Step, settings: PlanSettings) -> float:
    if step.type in settings.type_weights:
        return settings.type_weights[step.type]
    if step_is_storage(step, settings):
        return settings.class_weights.get("storage", 1)
    if is_iam(step.type):
        return settings.class_weights.get("iam", 1)
    return 1


def step_is_storage(step: Step, settings: PlanSettings) -> bool:
    res = step.old or step.new
    return is_storage(step.type, res.inputs if res else None, settings.storage_types)


def destroy_reasons(step: Step, settings: PlanSettings) -> list[str]:
    """Why destroying this resource is dangerous (empty: it is not)."""
    reasons = []
    if step_is_storage(step, settings):
        reasons.append("storage")
    if step.old is not None and step.old.protect:
        reasons.append("protect: true")
    if step.old is not None and step.old.retain_on_delete:
        reasons.append("retainOnDelete: true")
    return reasons


def forcing_text(step: Step) -> str:
    """What forces the destroy, in property names only."""
    if step.op == "delete":
        return "it is no longer declared in the program (or was moved without an alias)"
    props = step.forcing_properties()
    if props:
        kinds = step.detailed_diff or {}
        shown = []
        for name in props[:5]:
            kind = str((kinds.get(name) or {}).get("kind", ""))
            shown.append(f"`{name}` ({kind})" if kind else f"`{name}`")
        more = f" and {len(props) - 5} more" if len(props) > 5 else ""
        return "replacement forced by a change to " + ", ".join(shown) + more
    return "the provider requires a replacement (the preview names no property)"


def evaluate_plan(
    stack: Stack,
    steps: list[Step],
    settings: PlanSettings,
    exemptions: PlanExemptions | None = None,
) -> tuple[list[Finding], dict[str, Any]]:
    """Findings of the plan rules and the JSON-ready plan summary (``Result.plan``); findings an
    exemption covers go to ``exemptions.exempted`` instead."""
    exemptions = exemptions or PlanExemptions()
    findings: list[Finding] = []
    counted = [s for s in steps if s.counted]
    changed = [s for s in counted if s.op in CHANGE_OPS]
    counts = Counter(s.op for s in changed)
    by_type: dict[str, Counter[str]] = {}
    score = 0.0
    risky: list[tuple[int, dict[str, Any]]] = []
    iam: list[dict[str, Any]] = []

    for step in changed:
        weight = settings.op_weights.get(step.op, 1) * type_weight(step, settings)
        score += weight
        by_type.setdefault(step.type, Counter())[step.op] += 1
        entry: dict[str, Any] | None = None
        if step.destroys:
            reasons = destroy_reasons(step, settings)
            entry = _entry(step, weight, reasons)
            if reasons and settings.protected_destroy != "disabled":
                entry["finding"] = "plan-protected-destroy"
                detail = (
                    f"{step.op} of {step.type} '{step.name}' ({', '.join(reasons)}): {forcing_text(step)}. "
                    "Keep it (revert the change, or add an alias), "
                    "or destroy it deliberately in a change of its own."
                )
                judged = exemptions.judge(
                    _finding("plan-protected-destroy", stack, detail, settings.protected_destroy, step)
                )
                if judged is None:
                    entry["exempted"] = True
                else:
                    findings.append(judged)
            # risky order: guarded destroys first, then IAM, then other destroys
            risky.append((0 if reasons else 1 if is_iam(step.type) else 2, entry))
        if is_iam(step.type):
            iam.append(entry if entry is not None else _entry(step, weight, []))

    n_changed = len(changed)
    for policy, ops, limit, what in (
        ("plan-max-changes", CHANGE_OPS, settings.max_changes, "changed resources"),
        ("plan-max-deletes", ("delete",), settings.max_deletes, "deletes"),
        ("plan-max-replaces", ("replace",), settings.max_replaces, "replaces"),
    ):
        mine = [s for s in changed if s.op in ops]
        spared = [(s, ex) for s in mine if (ex := exemptions.spares(policy, s)) is not None]
        breakdown = _ops_text(counts) if policy == "plan-max-changes" else ""
        over = _limit([], stack, settings, policy, len(mine), limit, what, breakdown)
        counted_now = _limit([], stack, settings, policy, len(mine) - len(spared), limit, what, breakdown)
        for _, ex in spared:
            exemptions.used.add(ex.where)
        if counted_now:
            judged = exemptions.judge(counted_now[0])
            if judged is not None:
                findings.append(judged)
        elif over and spared:
            # the approved steps are what bring the plan within the limit
            description, _, detail = over[0].message.partition("\n")
            ex = spared[0][1]
            exemptions.exempted.append(Exempted(over[0], ex, f"{description}\n{exempted_text(ex, detail)}"))
    score_text = f"{score:g}"
    if settings.block_score is not None and score >= settings.block_score:
        findings.append(
            _finding(
                "plan-blast-radius",
                stack,
                f"Blast-radius score {score_text} is at or above the block threshold "
                f"{settings.block_score:g} "
                f"for tier {settings.tier}: split the change into smaller previews.",
            )
        )
    elif settings.warn_score is not None and score >= settings.warn_score:
        findings.append(
            _finding(
                "plan-blast-radius",
                stack,
                f"Blast-radius score {score_text} is at or above the warning threshold "
                f"{settings.warn_score:g} "
                f"for tier {settings.tier} (blocks at {_num(settings.block_score)}).",
                level="advisory",
            )
        )

    findings.extend(engine_findings(stack, steps))

    plan = {
        "tier": settings.tier,
        "tierSource": settings.tier_source,
        "configFile": settings.config_file,
        "changed": n_changed,
        "unchanged": sum(1 for s in counted if s.op == "same"),
        "counts": {op: counts[op] for op in CHANGE_OPS if counts[op]},
        "byType": [
            {"type": t, "total": sum(c.values()), **{op: c[op] for op in CHANGE_OPS if c[op]}}
            for t, c in sorted(by_type.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        ],
        "risky": [e for _, e in sorted(risky, key=lambda pair: pair[0])],
        "iam": iam,
        "score": round(score, 3),
        "thresholds": settings.thresholds(),
        "weights": {
            "op": settings.op_weights,
            "class": settings.class_weights,
            "type": settings.type_weights,
        },
        "engineErrors": sum(1 for d in stack.diagnostics if d.get("severity") == "error"),
        "blocked": any(f.blocking for f in findings),
        "blockedBy": sorted({f.policy for f in findings if f.blocking}),
    }
    return findings, plan


def _entry(step: Step, weight: float, reasons: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "op": step.op,
        "type": step.type,
        "name": step.name,
        "urn": step.urn,
        "weight": weight,
        "reasons": reasons,
    }
    if step.destroys:
        entry["forcedBy"] = step.forcing_properties() if step.op == "replace" else []
    if step.location is not None:
        entry["location"] = step.location.to_json()
    return entry


def _ops_text(counts: Counter[str]) -> str:
    return ", ".join(f"{counts[op]} {op}" for op in CHANGE_OPS if counts[op])


def _num(value: float | None) -> str:
    return "never" if value is None else f"{value:g}"


def _limit(
    findings: list[Finding],
    stack: Stack,
    settings: PlanSettings,
    policy: str,
    count: int,
    limit: int | None,
    what: str,
    breakdown: str = "",
) -> list[Finding]:
    if limit is None or count <= limit:
        return findings
    extra = f" ({breakdown})" if breakdown else ""
    findings.append(
        _finding(
            policy,
            stack,
            f"{count} {what}{extra} exceed the limit of {limit} for tier {settings.tier}: split the change, "
            "or raise the limit in the plan config if this size is intended.",
        )
    )
    return findings


def engine_findings(stack: Stack, steps: list[Step]) -> list[Finding]:
    """The CLI's own error diagnostics as mandatory findings (its warnings as notes).

    A protected resource the engine refused to delete or replace is a deletion-protection finding;
    the closing "preview failed" line is dropped when a more specific error exists.
    """
    located = {s.urn: s for s in steps}
    errors = [d for d in stack.diagnostics if d.get("severity") == "error"]
    specific = [d for d in errors if not _is_generic_failure(d)]
    out: list[Finding] = []
    for diag in stack.diagnostics:
        severity = diag.get("severity")
        if severity not in ("error", "warning"):
            continue
        if severity == "error" and specific and _is_generic_failure(diag):
            continue
        message = str(diag.get("message", "")).strip()
        # a refused delete of a protected resource is deletion protection; anything else is the
        # engine's own (neither a size nor an IAM problem)
        category = "deletion-protection" if "protect" in message.lower() else ENGINE_CATEGORY
        step = located.get(diag.get("urn") or "")
        policy = "pulumi-engine-error" if severity == "error" else "pulumi-engine-warning"
        out.append(
            _finding(
                policy,
                stack,
                message.replace("\n", " "),
                level="mandatory" if severity == "error" else "advisory",
                step=step,
                category=category,
                kind="violation" if severity == "error" else "note",
                urn=diag.get("urn") or "",
                type_=split_urn(diag.get("urn") or "")[2],
            )
        )
    return out


def _is_generic_failure(diag: dict[str, Any]) -> bool:
    text = str(diag.get("message", "")).strip().lower().removeprefix("error:").strip()
    return not diag.get("urn") and text in ("preview failed", "update failed")
