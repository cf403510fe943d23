"""Input readers: each turns one kind of input into :class:`~tierguard.model.Stack` records.

* a directory with ``Pulumi.yaml``: the program, run offline (:mod:`tierguard.readers.program`);
* a file or ``-``: ``pulumi preview --json``, an engine-event stream, or ``pulumi stack export``,
  detected from the content (:mod:`tierguard.readers.detect`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tierguard.model import InputError, Stack


def load_stacks(
    targets: Sequence[Path | str],
    *,
    stack: str | None = None,
    references: str | None = None,
    mocks: str | None = None,
) -> list[Stack]:
    """Read every target; program directories are run in order so later ones can reference earlier."""
    from tierguard.readers import detect, program

    stacks: list[Stack] = []
    project_dirs = [Path(t) for t in targets if t != "-" and Path(t).is_dir()]
    for target in targets:
        if target == "-":
            stacks.append(detect.read_file("-"))
            continue
        path = Path(target)
        if path.is_dir():
            stacks.extend(
                program.read_program(
                    path, stack=stack, references=references, mocks=mocks, siblings=project_dirs
                )
            )
        elif path.is_file():
            stacks.append(detect.read_file(str(path)))
        else:
            raise InputError(str(path), "no such file or directory")
    return stacks
