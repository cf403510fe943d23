"""One reader for every GCP IAM resource type, so that each least-privilege rule is written once.

There are 474 IAM types in pulumi-gcp 10.2 (158 each of ``*IamMember``, ``*IamBinding``,
``*IamPolicy``), cased inconsistently. All of them say the same thing in one of three shapes:
``member`` + ``role``, ``members`` + ``role``, or ``policyData`` (a JSON IAM policy document). The
reader turns each into :class:`Grant` records carrying the scope (organization, folder, project or
the one resource the type is about), so a rule never looks at a type token again.

Values unknown during preview (a member that is another resource's email) become :data:`UNKNOWN`
instead of raising: rules decide from what is known. The reader accepts the ``unknown_checking_proxy``
props a policy receives as well as plain wire-form dicts (for tests and the plan guard).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tierguard.catalog import iam as catalog
from tierguard.policies.props import UNKNOWN, get, to_plain

# Values are read with :func:`tierguard.policies.props.get` (``plain=True`` where a list is walked).


@dataclass(frozen=True)
class Grant:
    """One role granted to some members at one scope, whatever IAM type said it."""

    scope_kind: str  # organization | folder | project | resource
    role: Any  # str or UNKNOWN
    members: Any  # tuple of (str or UNKNOWN), or UNKNOWN when the whole list is unknown
    condition: Any  # None, a dict {expression, title, description}, or UNKNOWN
    authoritative: bool  # Binding and Policy types replace grants made elsewhere
    source_kind: str  # member | binding | policy

    @property
    def broad(self) -> bool:
        """Granted at project, folder or organization scope (inherited by everything below)."""
        return self.scope_kind in catalog.BROAD_SCOPES

    @property
    def conditional(self) -> bool:
        """Carries an IAM condition that restricts something (a literal ``true`` restricts nothing).

        A condition whose expression is unknown during preview still counts: the program wrote one.
        """
        cond = self.condition
        if cond is None:
            return False
        if cond is UNKNOWN:
            return True
        expression = cond.get("expression") if isinstance(cond, Mapping) else None
        if expression is UNKNOWN:
            return True
        return isinstance(expression, str) and expression.strip() not in catalog.TRIVIAL_CONDITIONS

    @property
    def known_members(self) -> tuple[str, ...]:
        if self.members is UNKNOWN:
            return ()
        return tuple(m for m in self.members if isinstance(m, str))

    @property
    def has_unknown_members(self) -> bool:
        return self.members is UNKNOWN or any(m is UNKNOWN for m in self.members)


@lru_cache(maxsize=4096)
def iam_kind(resource_type: str) -> str | None:
    """``member``, ``binding`` or ``policy`` for a GCP IAM type token, else None."""
    if not resource_type.startswith("gcp:"):
        return None
    match = catalog.IAM_TYPE_NAME.search(resource_type.rsplit(":", 1)[-1])
    return match.group(1).lower() if match else None


@lru_cache(maxsize=4096)
def scope_of(resource_type: str) -> str:
    for prefix, scope in catalog.SCOPE_BY_MODULE.items():
        if resource_type.startswith(prefix):
            return scope
    return "resource"


def _members(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(m for m in value if isinstance(m, str) or m is UNKNOWN)
    return UNKNOWN


def _role(value: Any) -> Any:
    return value if isinstance(value, str) else UNKNOWN


def parse_policy_data(document: Any) -> list[dict[str, Any]] | None:
    """The ``bindings`` of an IAM policy document (JSON text), or None when it cannot be read.

    Never echoes the document: it may be a secret.
    """
    if isinstance(document, Mapping):
        data: Any = to_plain(document)
    elif isinstance(document, str):
        try:
            data = json.loads(document)
        except ValueError:
            return None
    else:
        return None
    if not isinstance(data, dict):
        return None
    bindings = data.get("bindings") or []
    return [b for b in bindings if isinstance(b, dict)] if isinstance(bindings, list) else None


# The last resource read: several rules of the pack read the same resource's grants in a row.
_last_read: tuple[Any, str, list[Grant] | None] = (None, "", None)


def read_grants(resource_type: str, props: Any) -> list[Grant] | None:
    """Every grant an IAM resource makes (see :func:`_read_grants`), read once per props object."""
    global _last_read
    last_props, last_type, grants = _last_read
    if props is last_props and resource_type == last_type:
        return None if grants is None else list(grants)
    grants = _read_grants(resource_type, props)
    _last_read = (props, resource_type, grants)
    return None if grants is None else list(grants)


def _read_grants(resource_type: str, props: Any) -> list[Grant] | None:
    """Every grant an IAM resource makes; None when the type is not a GCP IAM type.

    An unknown (or unreadable) ``policyData`` yields one grant whose role and members are
    :data:`UNKNOWN`, so rules see "something is granted here, can't tell what".
    """
    kind = iam_kind(resource_type)
    if kind is None:
        return None
    scope = scope_of(resource_type)

    def grant(role: Any, members: Any, condition: Any) -> Grant:
        return Grant(
            scope_kind=scope,
            role=_role(role),
            members=_members(members),
            condition=condition,
            authoritative=kind != "member",
            source_kind=kind,
        )

    if kind == "member":
        return [grant(get(props, "role", plain=True), get(props, "member", UNKNOWN, plain=True),
                      get(props, "condition", plain=True))]
    if kind == "binding":
        return [grant(get(props, "role", plain=True), get(props, "members", plain=True),
                      get(props, "condition", plain=True))]
    document = get(props, "policyData", plain=True)
    bindings = None if document is UNKNOWN else parse_policy_data(document)
    if bindings is None:
        return [grant(UNKNOWN, UNKNOWN, None)]
    return [grant(b.get("role"), b.get("members"), b.get("condition")) for b in bindings]


# -- shared by the IAM and RBAC policies -------------------------------------------------------


def settings(args: Any, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's config with schema defaults filled in (the CLI fills them; tests may not)."""
    given = args.get_config() or {}
    return {**defaults, **dict(given)}
