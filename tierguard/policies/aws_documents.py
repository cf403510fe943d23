"""One reader for AWS IAM policy documents, wherever they appear, so each AWS rule is written once.

A document may be a JSON string (``json.dumps``, ``aws.iam.get_policy_document(...).json``), an
object, a secret, or unknown during preview (``pulumi.Output.json_dumps`` over another resource's
ARN); single elements may be unknown too. :func:`read_documents` turns every document a resource
carries (``catalog.aws_iam.POLICY_DOCUMENTS``) into :class:`Document` records of normalised
:class:`Statement` s -- lists for the string-or-list fields, lower-case actions, principals by type --
read once per props object. Unknown parts become :data:`UNKNOWN`; rules decide from what is known.
Documents are never echoed (they may be secrets): rules name the statement by index or ``Sid``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tierguard.catalog import aws_iam as catalog
from tierguard.policies import props as p
from tierguard.policies.props import UNKNOWN

Strings = Any  # tuple of (str | UNKNOWN), or UNKNOWN when the whole field is unknown


@dataclass(frozen=True)
class Statement:
    """One statement; ``actions``/``resources`` hold NotAction/NotResource when ``not_*`` is set."""

    index: int
    sid: str | None
    effect: Any  # "Allow" | "Deny" | UNKNOWN
    actions: Strings  # lower-cased
    not_actions: bool
    resources: Strings | None  # None when the statement names none (resource and trust policies)
    not_resources: bool
    principals: Any  # {"*": ("*",)} | {"aws": (...), "service": (...), "federated": (...)} | UNKNOWN | None
    not_principals: bool
    condition: Any  # None, a mapping, or UNKNOWN

    @property
    def allows(self) -> bool:
        return isinstance(self.effect, str) and self.effect.lower() == "allow"

    @property
    def conditional(self) -> bool:
        """Carries a condition (an unknown one counts: the program wrote one)."""
        return self.condition is UNKNOWN or (isinstance(self.condition, Mapping) and bool(self.condition))

    @property
    def label(self) -> str:
        return f"statement {self.index}" + (f" ({self.sid})" if self.sid else "")

    def known(self, field: Strings | None) -> tuple[str, ...]:
        if field is None or field is UNKNOWN:
            return ()
        return tuple(v for v in field if isinstance(v, str))

    def principal_values(self, kind: str) -> Strings:
        """Values of one principal type (``aws``, ``service``, ``federated``, ``*``)."""
        if self.principals is UNKNOWN:
            return UNKNOWN
        if not isinstance(self.principals, Mapping):
            return ()
        return self.principals.get(kind, ())

    @property
    def public_principal(self) -> bool:
        """``Principal: "*"`` or ``{"AWS": "*"}`` (anyone), or an Allow with ``NotPrincipal``."""
        if self.not_principals:
            return self.principals is not None
        if not isinstance(self.principals, Mapping):
            return False
        return any("*" in self.known(values) for values in self.principals.values() if values is not UNKNOWN)


@dataclass(frozen=True)
class Document:
    """The statements of one document property; ``statements`` is UNKNOWN when unreadable now."""

    path: str  # e.g. "policy", "inlinePolicies[1].policy"
    kind: str  # identity | resource | trust
    statements: Any  # tuple[Statement, ...] | UNKNOWN
    unknown_path: tuple[str | int, ...] | None = None  # where to raise the "can't run" note from


def _strings(value: Any, lower: bool = False) -> Strings:
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if item is UNKNOWN:
            out.append(UNKNOWN)
        elif isinstance(item, str):
            out.append(item.lower() if lower else item)
    return tuple(out)


def _principals(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return None
    if isinstance(value, str):
        return {"*": (value,)} if value == "*" else {"aws": (value,)}
    if isinstance(value, Mapping):
        return {str(k).lower(): _strings(v) for k, v in value.items()}
    return UNKNOWN


def _statement(index: int, raw: Any) -> Statement | None:
    if not isinstance(raw, Mapping):
        return None
    has_not_action = "NotAction" in raw and "Action" not in raw
    has_not_resource = "NotResource" in raw and "Resource" not in raw
    has_not_principal = "NotPrincipal" in raw and "Principal" not in raw
    resources = raw.get("NotResource" if has_not_resource else "Resource")
    sid = raw.get("Sid")
    return Statement(
        index=index,
        sid=sid if isinstance(sid, str) else None,
        effect=raw.get("Effect", UNKNOWN),
        actions=_strings(raw.get("NotAction" if has_not_action else "Action"), lower=True),
        not_actions=has_not_action,
        resources=None if resources is None else _strings(resources),
        not_resources=has_not_resource,
        principals=_principals(raw.get("NotPrincipal" if has_not_principal else "Principal")),
        not_principals=has_not_principal,
        condition=raw.get("Condition"),
    )


def parse_document(document: Any) -> Any:
    """Statements of a document (JSON text or object); UNKNOWN when unknown or unreadable."""
    data = p.to_plain(document)
    if data is UNKNOWN:
        return UNKNOWN
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return UNKNOWN
    if not isinstance(data, Mapping):
        return UNKNOWN
    raw = data.get("Statement")
    if raw is UNKNOWN:
        return UNKNOWN
    raws = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out = []
    for index, item in enumerate(raws):
        if item is UNKNOWN:
            return UNKNOWN
        statement = _statement(index, item)
        if statement is not None:
            out.append(statement)
    return tuple(out)


def _documents_at(props: Any, path: str, kind: str) -> list[Document]:
    head, sep, tail = path.partition("[].")
    if not sep:
        value = p.get(props, path)
        if value is None:
            return []
        return [Document(path, kind, parse_document(value), (path,) if value is UNKNOWN else None)]
    items = p.to_plain(p.get(props, head))
    if items is UNKNOWN:
        return [Document(f"{head}[]", kind, UNKNOWN, (head,))]
    if not isinstance(items, list):
        return []
    out: list[Document] = []
    for index in range(len(items)):
        value = p.get(props, [head, index, tail])
        if value is None:
            continue
        unknown = (head, index, tail) if value is UNKNOWN else None
        out.append(Document(f"{head}[{index}].{tail}", kind, parse_document(value), unknown))
    return out


_last_read: tuple[Any, str, list[Document] | None] = (None, "", None)


def read_documents(resource_type: str, props: Any) -> list[Document] | None:
    """Every policy document of a resource; None when the type carries none (read once per props)."""
    global _last_read
    last_props, last_type, documents = _last_read
    if props is last_props and resource_type == last_type:
        return documents
    places = catalog.POLICY_DOCUMENTS.get(resource_type)
    documents = None
    if places is not None:
        documents = [d for path, kind in places for d in _documents_at(props, path, kind)]
    _last_read = (props, resource_type, documents)
    return documents
