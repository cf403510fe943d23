"""``tierguard config export``: the per-tier ``--policy-pack-config`` JSON, from one generator."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tierguard.model.records import TIERS, InputError
from tierguard.policies.packs import PACK_MODULES


@click.group()
def config() -> None:
    """Policy configuration for `pulumi preview` and Pulumi Cloud policy groups."""


@config.command()
@click.option("--tier", type=click.Choice(TIERS), help="The tier whose stacks the config is for.")
@click.option("--pack", type=click.Choice(list(PACK_MODULES)), help="The pack the config is for.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON to this file instead of standard output.")
@click.option("--all", "everything", is_flag=True,
              help="Write every tier and pack as DIR/<tier>/<pack>.json (with --output-dir).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="With --all: the directory, e.g. ci/policy-groups.")
def export(tier: str | None, pack: str | None, output: Path | None, everything: bool,
           output_dir: Path | None) -> int:
    """Print the JSON that `pulumi preview --policy-pack-config` and `pulumi policy enable --config` take.

    Example: tierguard config export --tier app --pack storage-protection
    """
    from tierguard.crossguard import policyconfig_export as gen

    if everything:
        if tier or pack or output:
            raise click.UsageError(
                "--all writes every tier and pack: use --output-dir, not --tier/--pack/--output"
            )
        if output_dir is None:
            raise click.UsageError("--all needs --output-dir")
        for path in gen.write_all(output_dir):
            click.echo(str(path))
        return 0
    if output_dir is not None:
        raise click.UsageError("--output-dir goes with --all; for one file use --output")
    if not tier or not pack:
        raise click.UsageError("give --tier and --pack (or --all --output-dir DIR)")
    text = gen.render(gen.export(tier, pack))
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(str(output), f"cannot write config: {exc.strerror}") from None
    return 0
