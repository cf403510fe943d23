"""Shared by the reporters: where a finding is in the repository, and how to name it briefly."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from tierguard.model.records import Finding, Stack
from tierguard.model.urn import name_of_urn


def _source_dir(stack: Stack) -> Path | None:
    if stack.source in ("", "-", "test"):
        return None
    src = Path(stack.source)
    return src if stack.kind == "program" or src.is_dir() else src.parent


def artifact_path(stack: Stack, file: str) -> Path:
    """The file a location names, as a path usable from the working directory.

    Program locations are relative to the project directory (``Stack.source``); a preview's
    ``sourcePosition`` is relative to a project directory we may not have, so prefer what exists.
    """
    path = Path(file)
    if path.is_absolute():
        return path
    base = _source_dir(stack)
    candidates = ([base / path] if base is not None else []) + [path]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0] if stack.kind == "program" else path


def fallback_file(stack: Stack) -> Path:
    """Where a finding without a location is anchored: Pulumi.yaml, else the input file."""
    if stack.project_file:
        return artifact_path(stack, stack.project_file)
    base = _source_dir(stack)
    if stack.kind == "program" and base is not None:
        return base / "Pulumi.yaml"
    if stack.source not in ("", "-", "test"):
        return Path(stack.source)
    return Path("Pulumi.yaml")  # standard input: `pulumi preview --json | tierguard` runs in the project


def artifact_uri(path: Path, root: Path | None = None) -> str:
    """A URI relative to ``root`` (the working directory) with forward slashes, or an absolute file URI."""
    root = (root or Path.cwd()).resolve()
    absolute = path if path.is_absolute() else Path(os.path.abspath(path))
    try:
        relative = absolute.resolve().relative_to(root)
    except ValueError:
        return absolute.resolve().as_uri()
    return quote(relative.as_posix(), safe="/")


def display_path(stack: Stack, file: str) -> str:
    """A location's file as a reviewer finds it in the repository: relative to the working directory."""
    path = artifact_path(stack, file)
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


def resource_label(f: Finding) -> str:
    if not f.urn:
        return "the stack"
    name = name_of_urn(f.urn)
    return f"{name} ({f.type})" if f.type else name


def detail(f: Finding) -> str:
    """The analyzer's message is "<description>\\n<detail>": the detail says what is wrong here."""
    head, _, rest = f.message.partition("\n")
    return rest.strip() or head.strip()
