"""Exemptions: a recorded, expiring exception to one policy on one resource (or a pattern of them).

An exemption is written in one of two places, both reviewed like code:

* the **policy config** (``--policy-pack-config``, Pulumi Cloud policy groups): key ``exemptions``
  under ``all`` or under one policy -- the central, org-owned list;
* the **stack config** (``Pulumi.<stack>.yaml``): key ``tierguard:exemptions`` -- next to the code.

Both are validated by one JSON Schema (:data:`ITEM_SCHEMA`), which every policy's config schema also
carries, so the Pulumi CLI validates per-policy entries itself. This module only *reads and judges*
exemptions; it is applied inside the packs' policies (:mod:`tierguard.policies.base` wraps each
policy's report callback), so ``pulumi preview --policy-pack`` and ``tierguard check`` decide alike.

The clock is injectable: ``TIERGUARD_TODAY=YYYY-MM-DD`` fixes "today" (tests, reproducible CI runs);
otherwise today is the UTC date.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from tierguard.model.globs import matches, type_matches
from tierguard.model.urn import split_urn

CLOCK_ENV = "TIERGUARD_TODAY"
STACK_KEY = "tierguard:exemptions"
DEFAULT_MAX_DAYS = 180
SECRET_TEXT = "[secret]"

# One exemption. `policy` may be left out only inside a policy's own config entry (it is that policy).
ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "policy": {"type": "string", "minLength": 1, "description": "Policy name or glob (fnmatch)."},
        "resource": {
            "type": "string",
            "minLength": 1,
            "description": "A URN, a resource name, `type:<type glob>`, or `*` (globs allowed).",
        },
        "reason": {"type": "string", "minLength": 1, "pattern": "\\S", "description": "Why (required)."},
        "expires": {
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}",
            "description": "ISO date (YYYY-MM-DD), at most maxExemptionDays ahead.",
        },
        "approvedBy": {"type": "string", "minLength": 1},
        "ticket": {"type": "string", "minLength": 1},
    },
    "required": ["resource", "reason", "expires"],
    "additionalProperties": False,
}

# What every policy's config schema gains (so the CLI accepts and checks them).
CONFIG_PROPERTIES: dict[str, dict[str, Any]] = {
    "exemptions": {
        "type": "array",
        "items": ITEM_SCHEMA,
        "description": "Exemptions: {resource, reason, expires[, policy, approvedBy, ticket]}.",
    },
    "maxExemptionDays": {
        "type": "integer",
        "minimum": 1,
        "description": f"How far ahead an exemption may expire (days; default {DEFAULT_MAX_DAYS}).",
    },
}



def schema_problem(item: Any) -> tuple[str, str] | None:
    """The first way ``item`` breaks :data:`ITEM_SCHEMA`, as (field, problem); None when it fits.

    A small reading of the schema's own keywords (type, required, additionalProperties, minLength,
    pattern) rather than the jsonschema library: the packs run under the CLI with only pulumi and
    pulumi-policy installed. ``tests/test_exemptions.py`` checks it agrees with jsonschema. Problems
    never quote the value (it may come from secret config).
    """
    if not isinstance(item, dict):
        return "", "must be a mapping {policy, resource, reason, expires, ...}"
    for key in ITEM_SCHEMA["required"]:
        if key not in item:
            return "", f"'{key}' is required"
    extra = sorted(set(item) - set(ITEM_SCHEMA["properties"]))
    if extra:
        return "", f"Additional properties are not allowed ({', '.join(map(repr, extra))})"
    for key, rule in ITEM_SCHEMA["properties"].items():
        if key not in item:
            continue
        value = item[key]
        if not isinstance(value, str):
            return key, "must be a string"
        if len(value) < rule.get("minLength", 0):
            return key, "must not be empty"
        if "pattern" in rule and not re.search(rule["pattern"], value):
            return key, f"does not match {rule['pattern']!r}"
    return None


def today() -> date:
    """The injectable clock: ``TIERGUARD_TODAY`` when set, else today's UTC date."""
    fixed = os.environ.get(CLOCK_ENV)
    if fixed:
        return date.fromisoformat(fixed.strip()[:10])
    return datetime.now(timezone.utc).date()


class ExemptionError(Exception):
    """A malformed exemption: ``where`` names the entry (e.g. ``tierguard:exemptions[1]``)."""

    def __init__(self, where: str, problem: str, file: str | None = None) -> None:
        self.where = where
        self.problem = problem
        self.file = file
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Exemption:
    policy: str
    resource: str
    reason: str
    expires: date
    # "stack" (Pulumi.<stack>.yaml) or "policy" (policy config)
    source: str
    # the entry, e.g. "tierguard:exemptions[0]", "all.exemptions[1]", "<policy>.exemptions[0]"
    where: str
    approved_by: str | None = None
    ticket: str | None = None
    # its texts come from secret config: reason, approvedBy and ticket are never shown
    secret: bool = False
    file: str | None = None
    # the policy whose own config entry lists it (None: `all` or the stack config)
    owner: str | None = None

    @property
    def label(self) -> str:
        return f"{self.where} ({self.policy} on {self.resource})"

    @property
    def shown_reason(self) -> str:
        return SECRET_TEXT if self.secret else self.reason

    def shown(self, value: str | None) -> str | None:
        return None if value is None else SECRET_TEXT if self.secret else value

    def expired(self, on: date | None = None) -> bool:
        return (on or today()) > self.expires

    def days_left(self, on: date | None = None) -> int:
        return (self.expires - (on or today())).days

    def matches_policy(self, name: str) -> bool:
        return matches(name, self.policy)

    def matches_resource(self, urn: str) -> bool:
        """``*`` matches everything, the stack-wide findings (no URN) included."""
        pattern = self.resource
        if pattern == "*":
            return True
        if not urn:
            return False
        _, _, type_, name = split_urn(urn)
        if pattern.startswith("urn:"):
            return matches(urn, pattern)
        if pattern.startswith("type:"):
            return type_matches(type_, pattern[5:])
        return matches(name, pattern)

    def to_json(self, on: date | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy": self.policy,
            "resource": self.resource,
            "reason": self.shown_reason,
            "expires": self.expires.isoformat(),
            "daysLeft": self.days_left(on),
            "expired": self.expired(on),
            "source": self.source,
            "entry": self.where,
        }
        if self.approved_by is not None:
            out["approvedBy"] = self.shown(self.approved_by)
        if self.ticket is not None:
            out["ticket"] = self.shown(self.ticket)
        if self.file:
            out["file"] = self.file
        return out


def exempted_text(ex: Exemption, detail: str) -> str:
    """What an exempted finding says (under the CLI, an advisory diagnostic)."""
    head = f"exempted until {ex.expires.isoformat()}: {ex.shown_reason} [{ex.where}]"
    return f"{head}\n{detail}" if detail else head


def expired_text(ex: Exemption, detail: str) -> str:
    """What a finding whose exemption has expired says (it is a violation again)."""
    tail = f"exemption {ex.label} expired on {ex.expires.isoformat()}: it no longer applies"
    return f"{detail}\n{tail}" if detail else tail


def stale_text(ex: Exemption, pack: str) -> str:
    state = f"expired on {ex.expires.isoformat()} and " if ex.expired() else ""
    return (
        f"stale exemption {ex.label}: {state}matches no finding of pack '{pack}'; "
        "remove it so the list does not rot"
    )


def _parse_date(where: str, value: str, file: str | None, secret: bool) -> date:
    text = value.strip()
    shown = "the value" if secret else repr(value)
    problem = f"expires: {shown} is not an ISO date (YYYY-MM-DD)"
    rest = text[10:]
    if rest and not rest.startswith(("T", " ")):
        raise ExemptionError(where, problem, file)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ExemptionError(where, problem, file) from None


def _normalise(value: Any) -> Any:
    """YAML turns an unquoted ``2026-12-31`` into a date: accept it as the ISO string it was."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def parse_list(
    raw: Any,
    *,
    source: str,
    prefix: str,
    policy: str | None = None,
    secret: bool = False,
    file: str | None = None,
    max_days: int = DEFAULT_MAX_DAYS,
    on: date | None = None,
    hidden: Iterable[str] = (),
) -> list[Exemption]:
    """Validate and read one list of exemptions. ``policy`` is the owning policy of a per-policy
    entry (its items may leave ``policy`` out); ``hidden`` are values that stand for secrets the
    reader could not decrypt (they may only be texts, never what an exemption matches on)."""
    raw = _normalise(raw)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ExemptionError(prefix, "must be a list of exemptions", file)
    hidden = set(hidden)
    out: list[Exemption] = []
    now = on or today()
    for i, item in enumerate(raw):
        where = f"{prefix}[{i}]"
        problem = schema_problem(item)
        if problem is not None:
            field_, text = problem
            raise ExemptionError(where, f"{field_}: {text}" if field_ else text, file)
        name = item.get("policy")
        if name is None:
            if policy is None:
                raise ExemptionError(where, "'policy' is required (a policy name or glob)", file)
            name = policy
        elif policy is not None and not matches(policy, name):
            raise ExemptionError(where, f"policy {name!r} does not name the policy it is listed under", file)
        for key in ("policy", "resource", "expires"):
            if key in item and item[key] in hidden:
                raise ExemptionError(where, f"{key} may not be a secret (only the texts may be)", file)
        expires = _parse_date(where, item["expires"], file, secret)
        ahead = (expires - now).days
        if ahead > max_days:
            raise ExemptionError(
                where,
                f"expires {expires.isoformat()} is {ahead} days ahead; the limit is {max_days} "
                "(maxExemptionDays)",
                file,
            )
        out.append(
            Exemption(
                policy=name,
                resource=item["resource"],
                reason=item["reason"],
                expires=expires,
                source=source,
                where=where,
                approved_by=item.get("approvedBy"),
                ticket=item.get("ticket"),
                secret=secret,
                file=file,
                owner=policy,
            )
        )
    return out


def stack_list(config: Mapping[str, str], secret_keys: Iterable[str], file: str | None = None) -> Any:
    """The raw ``tierguard:exemptions`` value of a stack's config (a JSON string, as the CLI sends it)."""
    raw = config.get(STACK_KEY)
    if raw is None:
        return None
    if raw == SECRET_TEXT and STACK_KEY in set(secret_keys):
        raise ExemptionError(
            STACK_KEY,
            "is secret and this input hides its value; keep secrets out of exemptions "
            "(reference a ticket instead)",
            file,
        )
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            raise ExemptionError(STACK_KEY, "must be a list of exemptions", file) from None
    return raw


def _max_days(props: Mapping[str, Any] | None, fallback: int, where: str, file: str | None) -> int:
    value = (props or {}).get("maxExemptionDays")
    if value is None:
        return fallback
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 1 or value != int(value):
        raise ExemptionError(f"{where}.maxExemptionDays", "must be a whole number of days, at least 1", file)
    return int(value)


@dataclass
class Exemptions:
    """Every exemption that reached one pack (or one evaluation), by where it was written."""

    stack: list[Exemption] = field(default_factory=list)
    everywhere: list[Exemption] = field(default_factory=list)  # policy config `all`
    per_policy: dict[str, list[Exemption]] = field(default_factory=dict)
    _memo: dict[str, list[Exemption]] = field(default_factory=dict, repr=False)
    # no exemption at all: what policies check first, on every call (the common case)
    empty: bool = True

    def all(self) -> list[Exemption]:
        out = list(self.everywhere)
        for items in self.per_policy.values():
            out.extend(items)
        out.extend(self.stack)
        return out

    def for_policy(self, name: str) -> list[Exemption]:
        """The policy's own entries first, then `all`, then the stack's: the first match decides."""
        hit = self._memo.get(name)
        if hit is None:
            hit = self._memo[name] = [
                *self.per_policy.get(name, []),
                *(e for e in self.everywhere if e.matches_policy(name)),
                *(e for e in self.stack if e.matches_policy(name)),
            ]
        return hit

    def decide(self, policy: str, urn: str, on: date | None = None) -> Exemption | None:
        """The exemption covering this finding: one in force wins over an expired one."""
        expired = None
        for ex in self.for_policy(policy):
            if ex.matches_resource(urn):
                if not ex.expired(on):
                    return ex
                expired = expired or ex
        return expired


def build(
    *,
    stack_config: Mapping[str, str],
    secret_keys: Iterable[str],
    policy_config: Mapping[str, Mapping[str, Any] | None],
    stack_file: str | None = None,
    policy_file: str | None = None,
    check_stack: bool = True,
) -> Exemptions:
    """Read and validate every exemption; raise :class:`ExemptionError` on the first bad one."""
    secret_keys = set(secret_keys)
    everywhere_props = policy_config.get("all") or {}
    limit = _max_days(everywhere_props, DEFAULT_MAX_DAYS, "all", policy_file)
    out = Exemptions()
    out.everywhere = parse_list(
        everywhere_props.get("exemptions"),
        source="policy",
        prefix="all.exemptions",
        file=policy_file,
        max_days=limit,
    )
    for name, props in policy_config.items():
        if name == "all" or not props or "exemptions" not in props:
            continue
        own_limit = _max_days(props, limit, name, policy_file)
        out.per_policy[name] = parse_list(
            props["exemptions"],
            source="policy",
            prefix=f"{name}.exemptions",
            policy=name,
            file=policy_file,
            max_days=own_limit,
        )
    if check_stack:
        raw = stack_list(stack_config, secret_keys, stack_file)
        out.stack = parse_list(
            raw,
            source="stack",
            prefix=STACK_KEY,
            secret=STACK_KEY in secret_keys,
            file=stack_file,
            max_days=limit,
            hidden={SECRET_TEXT},
        )
    out.empty = not out.all()
    return out
