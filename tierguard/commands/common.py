"""Options and output handling shared by ``check`` and ``plan``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from tierguard.model import InputError, Result
from tierguard.packconfig import PackConfig
from tierguard.packs import PACK_MODULES, load_pack
from tierguard.policies.base import Pack
from tierguard.report import FORMATS, exit_code, render


def report_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--format`` and ``--output``, repeatable and paired by position (the i-th output file gets the
    i-th format; formats without a file go to standard output)."""
    fn = click.option(
        "--output",
        "-o",
        "outputs",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="Write the matching --format to this file (repeatable, paired by position).",
    )(fn)
    fn = click.option(
        "--format",
        "-f",
        "formats",
        multiple=True,
        type=click.Choice(sorted(FORMATS)),
        help="Report format: text (default), json, sarif, junit, markdown. Repeatable.",
    )(fn)
    return fn


def pack_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--pack`` (repeatable, default all) and ``--policy-pack-config``, as ``packs`` and ``pack_config``."""
    fn = click.option(
        "--pack",
        "packs",
        multiple=True,
        type=click.Choice(sorted(PACK_MODULES)),
        help="Run only these packs (repeatable); default: all.",
    )(fn)
    fn = click.option(
        "--policy-pack-config",
        "pack_config",
        type=click.Path(dir_okay=False),
        help="Policy config in the `pulumi preview --policy-pack-config` format.",
    )(fn)
    return fn


def selected_packs(names: Sequence[str], config_file: str | None) -> tuple[list[Pack], PackConfig]:
    """The packs to run and their config, validated up front: a bad config is exit 2 before any work."""
    packs = [load_pack(n) for n in (names or PACK_MODULES)]
    config = PackConfig.load(config_file)
    config.reconcile(packs)
    return packs, config


def emit(results: Sequence[Result], formats: Sequence[str], outputs: Sequence[str]) -> int:
    """Render every requested report, write files, print the rest; return the exit code."""
    formats = list(formats) or ["text"]
    if len(outputs) > len(formats):
        raise InputError(None, f"{len(outputs)} --output given for {len(formats)} --format")
    to_stdout = formats[len(outputs) :]
    if len(to_stdout) > 1:
        raise InputError(None, "only one --format can go to standard output; give the others an --output")
    for fmt, out in zip(formats, outputs, strict=False):
        path = Path(out)
        text = render(fmt, results)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(str(path), f"cannot write report: {exc.strerror}") from None
    for fmt in to_stdout:
        sys.stdout.write(render(fmt, results))
    sys.stdout.flush()
    return exit_code(results)
