"""Options and output handling shared by ``check`` and ``plan``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from tierguard.crossguard.packconfig import PackConfig
from tierguard.model.records import InputError, Result
from tierguard.policies.base import Pack
from tierguard.policies.packs import PACK_MODULES, load_pack
from tierguard.report import FORMATS, exit_code, render


def report_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--format`` and ``--output``, repeatable and paired by position (the i-th output file gets the
    i-th format; formats without a file go to standard output), and ``--show-exempted``."""
    fn = click.option(
        "--show-exempted",
        "show_exempted",
        is_flag=True,
        help="Text report: list the findings exemptions cover (JSON, SARIF, JUnit, Markdown always do).",
    )(fn)
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
        help="Report format: text (default), json, sarif, junit, markdown, compact (path:line: level "
        "policy message), github (Actions annotations), mermaid (the estate as a diagram). Repeatable.",
    )(fn)
    return fn


def pack_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--pack`` (built-in packs), ``--policy-pack`` (a user's pack directory) and
    ``--policy-pack-config``, as ``packs``, ``policy_packs`` and ``pack_config`` (see selected_packs)."""
    fn = click.option(
        "--pack",
        "packs",
        multiple=True,
        type=click.Choice(sorted(PACK_MODULES)),
        help="Run this built-in pack (repeatable); default: all four, unless --policy-pack is given.",
    )(fn)
    fn = click.option(
        "--policy-pack",
        "policy_packs",
        multiple=True,
        type=click.Path(),
        help="A Python policy pack directory, as `pulumi preview --policy-pack` takes (repeatable).",
    )(fn)
    fn = click.option(
        "--policy-pack-config",
        "pack_config",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="Policy config in the `pulumi preview --policy-pack-config` format; with --policy-pack, one "
        "per --policy-pack, paired by position as the CLI pairs them; without, one for the built-in packs.",
    )(fn)
    return fn


def _split(values: Sequence[str] | str | None) -> list[str]:
    """Repeated or comma-separated values, as the CLI's string-slice flags read them."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [part for value in values for part in value.split(",") if part]


def selected_packs(
    names: Sequence[str],
    config_files: Sequence[str] | str | None,
    policy_packs: Sequence[str] = (),
) -> tuple[list[Pack], PackConfig, list[PackConfig | None]]:
    """The packs to run, the config of the built-in ones and each user pack's own, validated up front
    (a bad pack or config is exit 2 before any work).

    Without ``--policy-pack`` the built-in packs run (``--pack`` picks some) with at most one config
    file. With it, the user's packs run, beside the built-in ones named by ``--pack``, and the config
    files pair with the pack directories by position -- none, or exactly one each, as
    ``pulumi preview`` requires."""
    from tierguard.evaluate.userpack import load_policy_pack

    configs = _split(config_files)
    directories = _split(policy_packs)
    if directories:
        if configs and len(configs) != len(directories):
            raise InputError(
                None, "the number of --policy-pack-config flags must match the number of --policy-pack flags"
            )
        builtins = [load_pack(n) for n in names]
        user = [load_policy_pack(d) for d in directories]
        shared = PackConfig()
        paired: list[PackConfig | None] = [None] * len(builtins) + [PackConfig.load(c) for c in configs]
        packs = builtins + user
    else:
        if len(configs) > 1:
            raise InputError(
                None, "one --policy-pack-config serves the built-in packs; pair more with --policy-pack"
            )
        packs = [load_pack(n) for n in (names or PACK_MODULES)]
        shared = PackConfig.load(configs[0] if configs else None)
        paired = []
    names_seen: dict[str, str] = {}
    for pack in packs:
        where = pack.source or "built-in"
        if pack.name in names_seen:
            raise InputError(
                pack.source, f"two policy packs named {pack.name!r} ({names_seen[pack.name]}, {where})"
            )
        names_seen[pack.name] = where
    from tierguard.evaluate.evaluator import Evaluator

    evaluator = Evaluator(packs, shared, paired)
    configs = {id(evaluator.config_of(i)): evaluator.config_of(i) for i in range(len(packs))}
    for cfg in configs.values():  # each file against the packs it serves
        cfg.reconcile([p for j, p in enumerate(packs) if evaluator.config_of(j) is cfg])
    return packs, shared, paired


def emit(
    results: Sequence[Result],
    formats: Sequence[str],
    outputs: Sequence[str],
    show_exempted: bool = False,
) -> int:
    """Render every requested report, write files, print the rest; return the exit code."""
    formats = list(formats) or ["text"]
    if len(outputs) > len(formats):
        raise InputError(None, f"{len(outputs)} --output given for {len(formats)} --format")
    to_stdout = formats[len(outputs) :]
    if len(to_stdout) > 1:
        raise InputError(None, "only one --format can go to standard output; give the others an --output")
    for fmt, out in zip(formats, outputs, strict=False):
        path = Path(out)
        text = render(fmt, results, show_exempted=show_exempted)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(str(path), f"cannot write report: {exc.strerror}") from None
    for fmt in to_stdout:
        sys.stdout.write(render(fmt, results, show_exempted=show_exempted))
    sys.stdout.flush()
    return exit_code(results)
