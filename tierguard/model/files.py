"""Reading the files users hand tierguard (configs, Pulumi.yaml, stack files), with the one-line
errors of the exit-2 contract: ``<file>: cannot read …``, ``<file>: invalid YAML at line L …``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tierguard.model.records import InputError


def read_text(path: str | Path, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot read {what}: {exc.strerror or exc}") from None


# libyaml's parser when PyYAML has it (8x faster on stack files, the same documents: the constructor
# is SafeLoader's); an error is reported by the pure-Python parser, whose messages are the documented ones
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise InputError(source, f"invalid YAML{where}: {problem}") from None


def load_yaml(path: str | Path, what: str) -> Any:
    return parse_yaml(read_text(path, what), str(path))


def load_json_object(path: str | Path, what: str) -> dict[str, Any]:
    text = read_text(path, what)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            str(path), f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(doc, dict):
        raise InputError(str(path), f"{what} must be a JSON object")
    return doc
