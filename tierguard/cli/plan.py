"""``tierguard plan``: one verdict for a ``pulumi preview --json`` -- plan rules plus every pack.

CI line::

    pulumi preview --stack prod --json | tierguard plan - --format json --output plan.json
"""

from __future__ import annotations

import sys
import time

import click

from tierguard.cli.common import emit, pack_options, report_options, selected_packs
from tierguard.model.records import TIERS, InputError


@click.command()
@click.argument("file", required=False, type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--tier", type=click.Choice(TIERS), help="Judge the plan by this tier's thresholds (and tell the packs)."
)
@click.option(
    "--stack",
    "-s",
    "stack_name",
    help="The stack the preview must be of (also selects its `stacks:` entry in the plan config).",
)
@click.option(
    "--config",
    "plan_config",
    type=click.Path(dir_okay=False),
    help="Plan config (default: .tierguard.yaml or tierguard.yaml, from the working directory up).",
)
@click.option("--plan-only", is_flag=True, help="Only the plan rules; run no policy pack.")
@pack_options
@report_options
def plan(
    file, tier, stack_name, plan_config, pack_config, policy_packs, packs, plan_only, formats, outputs,
    show_exempted,
) -> int:
    """Judge a `pulumi preview --json` document or engine-event log (FILE, or - for standard input).

    Blocks (exit 1) on too many changes, deletes or replaces, a blast-radius score at or above the
    tier's threshold, any delete or replace of storage or of a protect/retainOnDelete resource,
    the engine's own errors, and mandatory findings of the packs on the new state.
    """
    from tierguard.crossguard.packconfig import PackConfig
    from tierguard.evaluate.evaluator import Evaluator
    from tierguard.plan.config import PlanConfig
    from tierguard.plan.rules import PACK, RULES, evaluate_plan, plan_exemptions
    from tierguard.readers.detect import read_plan

    if file is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise click.UsageError("give the preview file, or - to read it from standard input")
        file = "-"
    # Configs first: a bad config is exit 2 before any work, whatever the input.
    settings_source = PlanConfig.load(plan_config)
    if plan_only:
        for path in pack_config:  # no pack runs, but a bad file is still exit 2
            PackConfig.load(path)
        selected, pack_cfg, paired = [], PackConfig(), []
    else:
        selected, pack_cfg, paired = selected_packs(packs, pack_config, policy_packs)

    started = time.perf_counter()
    stack, steps = read_plan(file)
    read_seconds = time.perf_counter() - started
    if stack_name:
        if stack.stack not in ("unknown", stack_name):
            raise InputError(
                stack.source, f"this preview is of stack {stack.stack!r}, not {stack_name!r} (--stack)"
            )
        stack.stack = stack_name
    settings = settings_source.settings(stack, tier)
    if settings.tier in TIERS and settings.tier_source in ("--tier", "plan config stacks entry"):
        stack.tier = settings.tier  # the packs' tier-aware policies follow an explicit choice

    # the plan rules' exemptions: the stack config's and those under the policy config's `all`
    central = pack_cfg
    if plan_only:
        central = PackConfig.load(pack_config[0]) if pack_config else PackConfig()
    exemptions = plan_exemptions(stack, central.entries.get("all"), central.source)

    started = time.perf_counter()
    plan_findings, summary = evaluate_plan(stack, steps, settings, exemptions)
    plan_findings += exemptions.stale(stack, [p.name for pack in selected for p in pack.policies])
    plan_seconds = time.perf_counter() - started

    result = Evaluator(selected, pack_cfg, paired).evaluate(stack)
    result.rules = {**{name: (PACK, rule) for name, rule in RULES.items()}, **result.rules}
    result.findings = plan_findings + result.findings
    result.exempted = exemptions.exempted + result.exempted
    summary["blocked"] = result.blocked
    summary["blockedBy"] = sorted({f.policy for f in result.findings if f.blocking})
    summary["packs"] = [p.name for p in selected]
    result.plan = summary
    result.timings.update({"read": read_seconds, "plan": plan_seconds})
    return emit([result], formats, outputs, show_exempted)
