"""``tierguard pack build``: turn a pack into a directory ``pulumi policy publish`` can upload."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def pack() -> None:
    """Build publishable CrossGuard policy packs."""


@pack.command()
@click.argument("name", metavar="PACK|DIR")
@click.option("--output", "-o", "output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the pack to (must be empty or absent).")
@click.option("--force", is_flag=True, help="Replace a non-empty output directory.")
def build(name: str, output: Path, force: bool) -> int:
    """Write PACK (a pack name, or its directory such as policypacks/tier-boundaries) as a
    self-contained pack: entry files, requirements.txt and the vendored library.

    Then: cd DIR && pulumi policy publish <org>
    """
    from tierguard.crossguard.packbuild import build as build_pack  # only this command pays for the import

    built = build_pack(name, output, force=force)
    click.echo(
        f"tierguard: built pack {built.name} in {built.directory} "
        f"({len(built.modules)} vendored modules; requires {', '.join(built.requirements)})",
        err=True,
    )
    return 0
