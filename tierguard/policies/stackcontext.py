"""What a pack knows about the stack it judges, kept in one place that policies read.

Under ``pulumi preview --policy-pack`` a Python pack run through the language host's ``RunPlugin``
gets no ``PULUMI_CONFIG``/``PULUMI_STACK``: the stack's config arrives only in the analyzer's
``ConfigureStack`` request, and pulumi-policy keeps just its tags. tierguard's server
(:mod:`tierguard.crossguard.serve`) stores the request's config here, and the policy config (``Configure``)
beside it; the in-process evaluator (:mod:`tierguard.evaluate.evaluator`) fills the same fields from the stack
file and ``--policy-pack-config``. Policies then read exemptions through :func:`exemptions`,
whichever way they run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tierguard.policies.exemptions import Exemption, Exemptions, build


@dataclass
class StackContext:
    """What exemptions are read from: the stack's config and the policy config."""

    # flat "namespace:key" -> string, structured values as JSON, as ConfigureStack sends them
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)
    stack_file: str | None = None
    # policy name (and "all") -> config properties, as Configure sends them
    policy_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy_file: str | None = None


_lock = threading.Lock()
_context = StackContext()
_book: Exemptions | None = None
# (exemption entry, policy) pairs that decided a finding since the last reset
_used: set[tuple[str, str]] = set()


def configure_stack(
    *,
    config: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
    stack_file: str | None = None,
) -> None:
    global _book
    with _lock:
        _context.config = dict(config or {})
        _context.secret_keys = list(secret_keys)
        _context.stack_file = stack_file
        _book = None


def configure_policies(config: Mapping[str, Mapping[str, Any] | None], file: str | None = None) -> None:
    global _book
    with _lock:
        _context.policy_config = {k: dict(v or {}) for k, v in config.items()}
        _context.policy_file = file
        _book = None


def reset() -> None:
    """Forget everything (a new evaluation, or a test)."""
    global _context, _book
    with _lock:
        _context = StackContext()
        _book = None
        _used.clear()


def exemptions() -> Exemptions:
    """Every exemption in the current context, validated once (raises ``ExemptionError``)."""
    global _book
    book = _book
    if book is None:
        with _lock:
            book = _book = build(
                stack_config=_context.config,
                secret_keys=_context.secret_keys,
                policy_config=_context.policy_config,
                stack_file=_context.stack_file,
                policy_file=_context.policy_file,
            )
    return book


def record(ex: Exemption, policy: str) -> None:
    _used.add((ex.where, policy))


def stale(policies: Iterable[str]) -> list[tuple[str, Exemption]]:
    """Exemptions that concern one of ``policies`` (a pack's enabled policies) yet decided none of
    their findings: (the first such policy, the exemption)."""
    names = list(policies)
    out = []
    for ex in exemptions().all():
        claimed = [p for p in names if (p == ex.owner if ex.owner else ex.matches_policy(p))]
        if claimed and not any((ex.where, p) in _used for p in claimed):
            out.append((claimed[0], ex))
    return out
