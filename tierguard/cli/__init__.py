"""The ``tierguard`` command. Subcommands live in :mod:`tierguard.cli` and are imported only
when used, so ``tierguard check`` does not pay for what ``tierguard pack build`` needs."""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from tierguard import __version__
from tierguard.model.records import InputError

# command name -> "module:attribute"
COMMANDS: dict[str, str] = {
    "check": "tierguard.cli.check:check",
    "plan": "tierguard.cli.plan:plan",
    "policies": "tierguard.cli.policies:policies",
    "pack": "tierguard.cli.pack:pack",
    "config": "tierguard.cli.config:config",
    "exemptions": "tierguard.cli.exemptions:exemptions",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tierguard")
def cli() -> None:
    """Guardrails for three-tier Pulumi estates: identity, infra and app stacks."""


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """A command is short and keeps millions of objects alive (a 20,000-step preview is 37 MB of
    JSON, then its resources and their props): CPython's cycle collector rescans them over and over,
    which took half of `tierguard plan` at 20,000 steps. Reference counting still frees nearly all
    garbage; the collector is back when the command ends (tests call :func:`main` in-process)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def main(argv: list[str] | None = None) -> int:
    """Entry point: click's usage errors exit 2, InputError exits 2 with one line, never a traceback."""
    try:
        with without_cycle_collector():
            rv = cli.main(args=argv, prog_name="tierguard", standalone_mode=False)
    except InputError as exc:
        click.echo(f"tierguard: {exc}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("tierguard: aborted", err=True)
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2
    except KeyboardInterrupt:
        return 130
    return int(rv or 0)


def exit_now(code: int) -> NoReturn:
    """Exit without freeing every object one by one (a 20,000-step plan leaves millions: that took
    0.1-0.2 s after the answer was printed). Exit handlers still run (a user pack's server is
    closed) and the output is flushed first."""
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: exit the ordinary way
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say on it
            stream.flush()
    os._exit(code)


def run() -> NoReturn:
    """The ``tierguard`` command (console script and ``python -m tierguard``)."""
    exit_now(main())


if __name__ == "__main__":
    run()
