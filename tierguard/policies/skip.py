"""One name for "do not judge these resources", in every pack: ``allowedResources``.

Each entry is a glob over the resource's Pulumi name, its URN or its type token (the type token
matched case-insensitively, as everywhere: :mod:`tierguard.model.globs`). A policy skips a resource any
entry matches.

Three policies of the first packs had their own name for the same list, typed over type tokens
only. Those names stay accepted as **aliases** (their schema keeps them, so ``pulumi preview
--policy-pack-config`` still validates a config that uses them): ``exemptTypes`` (storage-protection),
``excludeTypes`` (plan-size), ``allowedDatastoreTypes`` (no-datastore-in-app-tier). An alias adds
its entries to ``allowedResources``; given where ``allowedResources`` still holds its default, it
stands in for that default, as it did before (plan-size's list of uncounted types is the default
that matters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tierguard.model.globs import matcher, type_matcher

KEY = "allowedResources"
DESCRIPTION = "Resources exempt from this rule: globs over the Pulumi name, URN or type token."


def config(
    alias: str | None = None, default: Sequence[str] = (), description: str = DESCRIPTION
) -> dict[str, dict[str, Any]]:
    """The config-schema properties of the list: ``allowedResources`` with its default, and the
    policy's old name for it (no default, so only a user's config sets it)."""
    out: dict[str, dict[str, Any]] = {
        KEY: {
            "type": "array",
            "items": {"type": "string"},
            "default": list(default),
            "description": description,
        }
    }
    if alias:
        out[alias] = {
            "type": "array",
            "items": {"type": "string"},
            "description": f"Old name of `{KEY}` (still accepted; its entries add to `{KEY}`).",
        }
    return out


def patterns(cfg: Mapping[str, Any], alias: str | None = None, default: Sequence[str] = ()) -> list[str]:
    """The entries in force: ``allowedResources`` plus the alias's; an alias given while
    ``allowedResources`` holds its default (the CLI fills schema defaults) replaces that default."""
    own = cfg.get(KEY)
    old = cfg.get(alias) if alias else None
    if own is None:
        own = list(default)
    if not isinstance(old, (list, tuple)):
        return [p for p in own if isinstance(p, str)] if isinstance(own, (list, tuple)) else []
    if list(own) == list(default):
        own = []
    return [p for p in (*own, *old) if isinstance(p, str)]


def matchers(entries: Any) -> tuple[Callable[[Any], bool], Callable[[str], bool]]:
    """(names and URNs, type tokens): the two tests of :func:`skipped`, compiled once per list."""
    key = tuple(e for e in entries or () if isinstance(e, str))
    return matcher(key), type_matcher(key)


def skipped(resource: Any, entries: Any) -> bool:
    """Whether one of ``entries`` names ``resource`` (validation args or a stack policy's resource)
    by its Pulumi name, URN or type token."""
    if not entries:  # nothing skipped (the default)
        return False
    named, typed = matchers(entries)
    type_token = getattr(resource, "resource_type", None)
    return (
        named(getattr(resource, "name", None))
        or named(getattr(resource, "urn", None))
        or (isinstance(type_token, str) and typed(type_token))
    )
