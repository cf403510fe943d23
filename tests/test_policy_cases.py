"""Every built-in policy against its exact cases (tests/policy_cases/): the whole pack's findings
must equal the case's expectation -- not a subset -- and every rule `tierguard policies` describes
(the registry's packs and the plan guard) must have a passing and a failing case, one reading a
value unknown during preview and one reading a secret."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace

import policy_cases
import pytest
from policy_cases import NOTE, Case, PlanCase

from tierguard.cli.docs import PLAN_GUARD, selected_packs
from tierguard.crossguard.packconfig import PackConfig
from tierguard.evaluate.evaluator import Evaluator
from tierguard.model.records import Finding, Resource
from tierguard.model.urn import name_of_urn
from tierguard.plan.config import PlanConfig
from tierguard.plan.rules import evaluate_plan
from tierguard.testing import stack, urn

# every module of tests/policy_cases/ (a new one is picked up without editing this file)
CASES: list[Case | PlanCase] = [
    c
    for m in sorted(pkgutil.iter_modules(policy_cases.__path__), key=lambda m: m.name)
    for c in importlib.import_module(f"policy_cases.{m.name}").CASES
]


def _pack_of() -> dict[str, object]:
    """Rule name -> the pack that holds it: every pack of the registry, and the plan guard."""
    return {rule.name: pack for pack in selected_packs() for rule in pack.rules()}


def _found(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {
        (f.policy, name_of_urn(f.urn), NOTE if f.kind == "note" else f.enforcement_level) for f in findings
    }


def evaluate(case: Case) -> set[tuple[str, str, str]]:
    """The case's stack through the evaluator `tierguard check` uses, with the pack of its policy."""
    pack = _pack_of()[case.policy]
    # the resources' URNs name the case's project and stack, as a reader would write them
    resources = [
        replace(res, urn=urn(res.type, res.name, case.project, case.stack)) for res in case.resources
    ]
    found = []
    for prefilter in (True, False):  # the type pre-filter must not change a verdict (the CLI has none)
        st = stack(resources, project=case.project, name=case.stack, tags=case.tags, tier=case.tier)
        evaluator = Evaluator([pack], PackConfig(entries=dict(case.config)), prefilter=prefilter)
        found.append(_found(evaluator.evaluate(st).findings))
    assert found[0] == found[1], "the resource-type pre-filter changed the findings"
    return found[0]


def evaluate_steps(case: PlanCase) -> set[tuple[str, str, str]]:
    """The case's steps through the plan rules, as `tierguard plan` judges a preview."""
    assert _pack_of()[case.policy].name == PLAN_GUARD
    own = {s.name: urn(s.type, s.name, case.project, case.stack) for s in case.steps}

    def located(res: Resource | None) -> Resource | None:
        return None if res is None else replace(res, urn=own[res.name])

    steps = [replace(s, urn=own[s.name], old=located(s.old), new=located(s.new)) for s in case.steps]
    st = stack([s.new for s in steps if s.new], project=case.project, name=case.stack, tier=case.tier)
    st.diagnostics = [{**d, "urn": own.get(d.get("urn", ""), d.get("urn", ""))} for d in case.diagnostics]
    settings = PlanConfig(data=dict(case.plan_config)).settings(st, case.tier)
    findings, _ = evaluate_plan(st, steps, settings)
    return _found(findings)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.policy}:{c.id}" for c in CASES])
def test_case_gives_exactly_its_findings(case: Case | PlanCase) -> None:
    if isinstance(case, PlanCase):
        assert evaluate_steps(case) == set(case.expect)
        return
    assert evaluate(case) == set(case.expect)


def test_case_ids_are_unique() -> None:
    ids = [(c.policy, c.id) for c in CASES]
    assert len(ids) == len(set(ids))


def test_every_case_names_a_policy_of_the_registry() -> None:
    known = _pack_of()
    assert [c.policy for c in CASES if c.policy not in known] == []
    named = {p for c in CASES for p, _, _ in c.expect}
    assert sorted(named - set(known)) == []


@pytest.mark.parametrize("policy", sorted(_pack_of()))
def test_every_policy_has_passing_failing_unknown_and_secret_cases(policy: str) -> None:
    own = [c for c in CASES if c.policy == policy]
    missing = [
        what
        for what, present in (
            ("failing case", any(c.failing for c in own)),
            ("passing case", any(not c.failing for c in own)),
            ("case with a value unknown during preview", any(c.has_unknown for c in own)),
            ("case with a secret", any(c.has_secret for c in own)),
        )
        if not present
    ]
    assert missing == [], f"{policy} has no {', no '.join(missing)} in tests/policy_cases/"
