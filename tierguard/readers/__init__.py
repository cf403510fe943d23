"""Input readers: each turns one kind of input into :class:`~tierguard.model.records.Stack` records.

* a directory with ``Pulumi.yaml``: the program, run offline (:mod:`tierguard.readers.program`);
* any other directory: every project beneath it (:mod:`tierguard.readers.discover`), as one estate;
* a file or ``-``: ``pulumi preview --json``, an engine-event stream, or ``pulumi stack export``,
  detected from the content (:mod:`tierguard.readers.detect`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tierguard.model.records import InputError, Stack

if TYPE_CHECKING:
    from tierguard.readers import program


def load_stacks(
    targets: Sequence[Path | str],
    *,
    stack: str | None = None,
    references: str | None = None,
    mocks: str | None = None,
    use_cache: bool = True,
    progress: program.CaptureProgress | None = None,
    capture: str = "mocks",
) -> list[Stack]:
    """Read every target, in order; the stacks come back in that order.

    A directory that is not a project stands for every project beneath it; nothing beneath it is
    an :class:`InputError`. Program directories share one capture session: every project starts
    capturing at once (its stack configs in one runner process), so independent projects use both
    cores while a project whose StackReference names another waits for that sibling's capture
    instead of repeating it.
    ``use_cache=False`` (``--no-cache``) neither reads nor writes the capture cache; ``progress``
    is told of each capture as it starts and ends; ``capture="engine"`` (``--capture engine``) runs
    each program against the offline engine instead of the SDK's mocks.
    """
    from tierguard.readers import detect, program

    targets = _expanded(targets)
    stacks: list[Stack] = []
    project_dirs = [Path(t) for t in targets if t != "-" and Path(t).is_dir()]
    with contextlib.ExitStack() as cleanup:
        session: program.Session | None = None
        for target in targets:
            if target == "-":
                stacks.append(detect.read_file("-"))
                continue
            path = Path(target)
            if path.is_dir():
                if session is None:  # at the first program: the files before it were read as before
                    session = cleanup.enter_context(
                        program.Session(
                            references, mocks, project_dirs, use_cache=use_cache, progress=progress,
                            capture=capture,
                        )
                    )
                    plans = []
                    for directory in project_dirs:
                        with contextlib.suppress(InputError):  # raised again, in target order, below
                            plans.append(program.stacks_to_read(directory, stack))
                    session.prefetch(plans)
                stacks.extend(
                    program.read_program(
                        path, stack=stack, references=references, mocks=mocks, siblings=project_dirs,
                        session=session,
                    )
                )
            elif path.is_file():
                stacks.append(detect.read_file(str(path)))
            else:
                raise InputError(str(path), "no such file or directory")
    return stacks


def _expanded(targets: Sequence[Path | str]) -> list[Path | str]:
    """Each directory that is not a project replaced by the projects beneath it; each project once."""
    from tierguard.readers import discover

    out: dict[Path | str, None] = {}
    for target in targets:
        if target != "-" and Path(target).is_dir():
            for project in discover.find_projects(Path(target)):
                out.setdefault(project, None)
        else:
            out.setdefault(target, None)
    return list(out)
