"""``tierguard check``: every pack over stacks read from programs, previews or stack exports."""

from __future__ import annotations

from pathlib import Path

import click

from tierguard.cli.common import emit, pack_options, report_options, selected_packs
from tierguard.cli.progress import capture_progress
from tierguard.evaluate.evaluator import Evaluator
from tierguard.model.records import TIERS
from tierguard.readers import load_stacks, program


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--stack", "-s", help="Stack name (Pulumi.<stack>.yaml); default: every stack config found.")
@click.option("--tier", type=click.Choice(TIERS), help="Force the tier instead of detecting it.")
@click.option(
    "--stack-references",
    "references",
    type=click.Path(dir_okay=False),
    help='JSON file: {"org/project/stack": {output: value}} for StackReference.',
)
@click.option(
    "--mocks",
    "mocks_file",
    type=click.Path(dir_okay=False),
    help="JSON file overriding the answers to invokes (e.g. gcp:organizations/getProject:getProject).",
)
@click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    help="Run every program even if its capture is cached (the cache is neither read nor written).",
)
@click.option(
    "--capture",
    "capture",
    type=click.Choice(program.CAPTURE_MODES),
    default="mocks",
    show_default=True,
    help="How programs run offline: under the SDK's mocks, or launched as the Pulumi CLI launches them "
    "against tierguard's offline engine (a gRPC resource monitor that also registers default providers).",
)
@pack_options
@report_options
def check(
    paths, stack, tier, no_cache, capture, pack_config, policy_packs, packs, references, mocks_file, formats,
    outputs, show_exempted,
) -> int:
    """Check Pulumi programs (directories), preview JSON or stack exports against the packs.

    A directory that is not a Pulumi project stands for every project beneath it (skipping
    virtualenvs, node_modules, build output, dot-directories and what git ignores), checked as one
    estate; with no PATH, the current directory. Finding no project is an error (exit 2).
    """
    targets = [Path(p) if p != "-" else p for p in paths] or [Path(".")]
    selected, config, paired = selected_packs(packs, pack_config, policy_packs)
    with capture_progress() as progress:
        stacks = load_stacks(
            targets, stack=stack, references=references, mocks=mocks_file, use_cache=not no_cache,
            progress=progress, capture=capture,
        )
    evaluator = Evaluator(selected, config, paired)
    results = []
    for st in stacks:
        for note in st.notes:
            click.echo(f"tierguard: note: {st.source}: {note}", err=True)
        if tier:
            st.tier = tier
        result = evaluator.evaluate(st)
        run = program.run_info(st)
        if run is not None:
            result.timings["capture"] = run.seconds
        results.append(result)
    return emit(results, formats, outputs, show_exempted)
