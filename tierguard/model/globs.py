"""The one glob matcher, with one case rule: a **type token** matches case-insensitively (pulumi-gcp
spells the same word ``iAM``, ``iam`` and ``Iam``), **anything else** -- names, URNs, roles,
members, policy names -- exactly as written.

Patterns are ``fnmatch`` globs (``*``, ``?``, ``[...]``); a pattern without one is compared as a
whole. Every catalog table, allowlist, exemption and "skip these types" config key of tierguard is
matched here, so a pattern means the same wherever a user writes it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

_GLOB_CHARS = frozenset("*?[")


def is_glob(pattern: str) -> bool:
    """Whether ``pattern`` has a wildcard (otherwise it matches only itself)."""
    return not _GLOB_CHARS.isdisjoint(pattern)


@lru_cache(maxsize=4096)
def _regex(pattern: str, fold_case: bool) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE if fold_case else 0)


def matches(value: str, pattern: str) -> bool:
    """A name, URN, role, member or policy name against one glob, case-sensitively."""
    if not is_glob(pattern):
        return value == pattern
    return _regex(pattern, False).match(value) is not None


def type_matches(type_token: str, pattern: str) -> bool:
    """A type token against an exact token or a glob (``gcp:projects/iam*``), case-insensitively."""
    if not is_glob(pattern):
        return type_token.lower() == pattern.lower()
    return _regex(pattern, True).match(type_token) is not None


def matches_any(value: Any, patterns: Any) -> bool:
    """``value`` (a string; anything else, e.g. unknown, never matches) matches one of ``patterns``."""
    if not isinstance(value, str) or not patterns:
        return False
    return any(isinstance(p, str) and matches(value, p) for p in patterns)


def type_matches_any(type_token: str, patterns: Any) -> bool:
    """``type_token`` matches one of ``patterns`` (the case rule of type tokens)."""
    if not patterns:
        return False
    return any(isinstance(p, str) and type_matches(type_token, p) for p in patterns)


@lru_cache(maxsize=256)
def matcher(patterns: tuple[str, ...]) -> Callable[[Any], bool]:
    """``lambda v: matches_any(v, patterns)`` as one set lookup and one regular expression."""
    exact = {p for p in patterns if not is_glob(p)}
    globs = [fnmatch.translate(p) for p in patterns if is_glob(p)]
    regex = re.compile("|".join(globs)) if globs else None

    def matches(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        return value in exact or (regex is not None and regex.match(value) is not None)

    return matches


@lru_cache(maxsize=256)
def type_matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """``lambda t: type_matches_any(t, patterns)`` as one set lookup and one regular expression,
    for a long list of patterns asked about many tokens."""
    exact = {p.lower() for p in patterns if not is_glob(p)}
    globs = [fnmatch.translate(p) for p in patterns if is_glob(p)]
    regex = re.compile("|".join(globs), re.IGNORECASE) if globs else None

    def matches(type_token: str) -> bool:
        return type_token.lower() in exact or (regex is not None and regex.match(type_token) is not None)

    return matches


def first_match(
    type_token: str, table: Mapping[str, Any] | Iterable[tuple[str, Any]]
) -> tuple[str, Any] | None:
    """The first (pattern, value) of ``table`` whose pattern matches ``type_token`` (exact keys first
    when ``table`` is a mapping); None when nothing matches."""
    if isinstance(table, Mapping):
        if type_token in table:
            return type_token, table[type_token]
        table = table.items()
    for pattern, value in table:
        if type_matches(type_token, pattern):
            return pattern, value
    return None
