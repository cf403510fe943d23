"""Read resource properties the way a policy should: without tripping over values unknown during preview.

Policies receive ``args.props`` in one of three shapes, and these helpers accept all of them:

* during validation, pulumi-policy's ``unknown_checking_proxy`` -- reading an unknown value raises
  ``UnknownValueError``, which the analyzer turns into an *advisory* "can't run during preview" note;
* during remediation, pulumi-policy's secrets-preserving proxy -- unknowns come back as the engine's
  sentinel strings and nothing raises;
* plain wire-form dicts (sentinel strings, ``{sig: secret, value: ...}`` envelopes), e.g. in tests.

A rule that lets one unknown abort it silently turns a mandatory check into an advisory note, so rules
read with :func:`get`, which answers :data:`UNKNOWN` instead of raising, decide from what is known,
and call :func:`raise_if_unknown` only when the answer really hinges on a value nobody knows yet.

Secrets are unwrapped transparently (a rule needs the value to decide), so callers must never put a
value read here into a message -- name the property instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from tierguard.model import wire

# The one type/glob matcher lives in the model layer; re-exported for the policies that read both.
from tierguard.model.globs import first_match, type_matcher, type_matches

__all__ = [
    "UNKNOWN",
    "first_match",
    "get",
    "is_known",
    "is_unknown",
    "non_empty",
    "path_text",
    "raise_if_unknown",
    "set_path",
    "to_plain",
    "type_matcher",
    "type_matches",
]

# pulumi_policy.secret.Secret is what remediation proxies hold
from pulumi_policy.secret import Secret as _PolicySecret


class _Unknown:
    """The one value meaning "not known until the update runs" (falsy, so it never reads as true)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Any = _Unknown()

Path = str | Sequence[str | int]


def _keys(path: Path) -> list[str | int]:
    """``"a.b.0.c"`` -> ["a", "b", 0, "c"]; a sequence is taken as is (for keys that contain dots)."""
    if isinstance(path, str):
        return [int(k) if k.isdigit() else k for k in path.split(".") if k]
    return list(path)


def path_text(path: Path) -> str:
    """A path as messages show it: ``settings.deletionProtectionEnabled``."""
    return ".".join(str(k) for k in _keys(path))


def _unwrap(value: Any) -> Any:
    """Turn sentinels into :data:`UNKNOWN` and secret envelopes into their content."""
    while True:
        if wire.is_unknown(value):
            return UNKNOWN
        if isinstance(value, _PolicySecret):
            value = value.value
            continue
        if wire.is_secret(value):
            value = value.get("value")
            continue
        return value


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or wire.is_unknown(value)


def is_known(value: Any) -> bool:
    return not is_unknown(value)


def get(props: Any, path: Path, default: Any = None, *, plain: bool = False) -> Any:
    """The value at ``path``; ``default`` when any step is absent or null; :data:`UNKNOWN` when any
    step is unknown. Never raises for unknowns, missing keys or unexpected shapes.

    ``plain=True`` answers a deep plain copy (:func:`to_plain`): what a rule that iterates a list
    or mapping whose elements may be unknown needs."""
    value = _get(props, path, default)
    return to_plain(value) if plain and value is not default else value


def _get(props: Any, path: Path, default: Any) -> Any:
    current = _unwrap(props)
    for key in _keys(path):
        if current is None or current is UNKNOWN:
            return default if current is None else UNKNOWN
        try:
            if isinstance(key, int):
                if isinstance(current, (str, bytes)) or not isinstance(current, Sequence):
                    return default
                if not -len(current) <= key < len(current):
                    return default
                current = current[key]
            else:
                if not isinstance(current, Mapping) or key not in current:
                    return default
                current = current[key]
        except UnknownValueError:
            return UNKNOWN
        current = _unwrap(current)
    if current is None:
        return default
    return current


def to_plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists, unknowns as :data:`UNKNOWN`, secrets unwrapped -- so a rule
    can iterate a list whose elements may be unknown without the proxy raising mid-loop."""
    value = _unwrap(value)
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key in list(value):
            try:
                out[key] = to_plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(to_plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def non_empty(value: Any) -> bool | Any:
    """True for a non-empty list/mapping/string, False for empty or absent, :data:`UNKNOWN` when unknown."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return False
    if isinstance(value, (Mapping, Sequence)):
        return len(value) > 0
    return bool(value)


def raise_if_unknown(props: Any, paths: Iterable[Path]) -> None:
    """Re-read ``paths`` through the policy SDK's proxy so the first unknown raises its own
    ``UnknownValueError`` -- the analyzer then reports its standard advisory "can't run during preview"
    note naming the property. Used when a rule cannot decide from what is known."""
    for path in paths:
        if get(props, path) is not UNKNOWN:
            continue
        current = props
        walked: list[str] = []
        for key in _keys(path):
            walked.append(str(key))
            try:
                current = current[key]
            except UnknownValueError:
                raise
            except (KeyError, IndexError, TypeError):
                break
            if wire.is_unknown(current):
                # Not behind the checking proxy (remediation, plain dicts): raise the same error.
                raise UnknownValueError(current, walked)
            current = _unwrap(current)


def set_path(props: Any, path: Path, value: Any) -> bool:
    """Set ``path`` to ``value`` in place, creating missing objects on the way. Returns False (and
    changes nothing) when a step is unknown or not an object: a remediation must not guess."""
    keys = _keys(path)
    current = props
    for key in keys[:-1]:
        try:
            nxt = current.get(key)
        except UnknownValueError:
            return False
        if nxt is None:
            current[key] = {}
            nxt = current[key]
        if is_unknown(nxt) or not isinstance(nxt, Mapping):
            return False
        current = nxt
    if not isinstance(current, Mapping):
        return False
    current[keys[-1]] = value  # type: ignore[index]
    return True
