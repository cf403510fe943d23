"""The pre-commit hook (``.pre-commit-hooks.yaml``): check only the stacks a commit touches.

pre-commit hands the hook the staged file names. Each file belongs to the nearest enclosing
directory holding a ``Pulumi.yaml`` (a Pulumi project); those projects -- each once -- go to
``tierguard check``. A commit that touches no Pulumi project costs nothing, which keeps the hook
fast enough that nobody uninstalls it.

Run as ``python -m tierguard.integrations.precommit [check options] FILE...``; options before the files
(``--pack``, ``--policy-pack-config``, ``--stack-references``, ``--mocks``, ``--no-cache``) pass through to
``tierguard check``; the report is ``--format compact`` (one ``path:line: level policy message`` line
per finding) unless ``--format`` says otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

PROJECT_FILE = "Pulumi.yaml"


def stack_dirs(files: Iterable[str], root: Path | None = None) -> list[Path]:
    """Each touched file's nearest enclosing Pulumi project directory, deduplicated, in first-seen order.

    The search stops at ``root`` (the repository: pre-commit runs hooks from its top level), so a
    ``Pulumi.yaml`` above the repository never captures its files.
    """
    root = (root or Path.cwd()).resolve()
    found: dict[Path, None] = {}
    for name in files:
        path = (root / name).resolve()
        for candidate in (path, *path.parents) if path.is_dir() else path.parents:
            if candidate != root and root not in candidate.parents:
                break  # left the repository
            if (candidate / PROJECT_FILE).is_file():
                found.setdefault(candidate, None)
                break
    return list(found)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tierguard.integrations.precommit",
        description="Run `tierguard check` on the Pulumi projects that the given files belong to.",
    )
    parser.add_argument("files", nargs="*", help="Changed files (pre-commit passes the staged ones).")
    parser.add_argument("--pack", action="append", default=[], help="Run only this pack (repeatable).")
    parser.add_argument("--policy-pack-config", help="Policy config in the --policy-pack-config format.")
    parser.add_argument("--stack-references", help="JSON file of StackReference outputs.")
    parser.add_argument("--mocks", help="JSON file overriding invoke answers.")
    parser.add_argument(
        "--no-cache", action="store_true", help="Run every program even if its capture is cached."
    )
    parser.add_argument(
        "--format", default="compact", dest="format",
        help="Report format passed to tierguard check (default: compact, `path:line: level policy "
        "message`, one line per finding).",
    )
    return parser


def check_args(argv: Sequence[str] | None = None, root: Path | None = None) -> list[str] | None:
    """The ``tierguard check`` argument list for these hook arguments; None when no stack is touched."""
    args = _parser().parse_args(argv)
    root = (root or Path.cwd()).resolve()
    dirs = stack_dirs(args.files, root)
    if not dirs:
        return None
    out = ["check", "--format", args.format]
    if args.no_cache:
        out.append("--no-cache")
    for pack in args.pack:
        out += ["--pack", pack]
    for flag, value in (
        ("--policy-pack-config", args.policy_pack_config),
        ("--stack-references", args.stack_references),
        ("--mocks", args.mocks),
    ):
        if value:
            out += [flag, value]
    # Relative paths keep the report's locations short and repository-relative.
    out += [str(d.relative_to(root)) if d != root else "." for d in dirs]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = check_args(argv)
    if args is None:
        return 0
    from tierguard.cli import main as tierguard_main  # the CLI only when there is work to do

    return tierguard_main(args)


if __name__ == "__main__":
    sys.exit(main())
