"""``pulumi stack export`` (deployment v3) and the resource states shared with the preview reader.

A preview step's ``oldState``/``newState`` has exactly the shape of a stack-export resource
(``apitype.ResourceV3``), so :func:`resource_from_state` serves both readers.

What the CLI's JSON needs before policies may see it:

* ``__defaults`` (at any depth of ``inputs``) lists the keys the provider defaulted; it is not a
  property and is dropped;
* secrets are ``"[secret]"`` (preview) or ``{"4dabf...": "1b47...", "ciphertext": ...}`` (export):
  both become wire secret envelopes, so policies and reports know they are secret;
* unknowns are already the engine's sentinel strings, which *is* the wire form;
* ``sourcePosition`` (``project:///index.ts#5,20``) gives the declaring file and line.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from tierguard.model import wire
from tierguard.model.records import InputError, Location, Resource, Stack
from tierguard.model.urn import names_from_urns, split_urn

_DEFAULTS_KEY = "__defaults"
_SECRET_PLACEHOLDER = wire.SECRET_PLACEHOLDER
_SIG_KEY = wire.SIG_KEY
_SECRET_SIG = wire.SECRET_SIG


class BadValue(ValueError):
    """A property value the Pulumi SDK could not unmarshal; ``path`` grows as it propagates up."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str | int] = []


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


# Signed objects (assets, archives, resource references, output values) as the SDK unmarshals them:
# signature -> a check of the object, and what it should look like (the SDK asserts otherwise).
_SIGNED: dict[str, tuple[Any, str]] = {
    wire.ASSET_SIG: (
        lambda v: any(k in v for k in ("path", "text", "uri")), "an asset needs path, text or uri"
    ),
    wire.ARCHIVE_SIG: (
        lambda v: isinstance(v.get("assets"), dict) or _is_str(v.get("path")) or _is_str(v.get("uri")),
        "an archive needs assets (an object), path or uri",
    ),
    wire.RESOURCE_SIG: (
        lambda v: split_urn(v["urn"])[2] != "" if _is_str(v.get("urn")) else False,
        "a resource reference needs a well-formed urn",
    ),
    wire.OUTPUT_SIG: (
        lambda v: isinstance(v.get("secret", False), bool)
        and isinstance(v.get("dependencies", []), list)
        and all(_is_str(d) for d in v.get("dependencies", [])),
        "an output value needs a boolean secret and a list of URNs as dependencies",
    ),
}


def _signed(value: dict[str, Any]) -> dict[str, Any]:
    spec = _SIGNED.get(value[_SIG_KEY]) if _is_str(value[_SIG_KEY]) else None
    if spec is None:
        raise BadValue(f"unknown Pulumi signature {json.dumps(value[_SIG_KEY])[:40]}")
    check, shape = spec
    if not check(value):
        raise BadValue(shape)
    out = {k: wire_inputs(v) for k, v in value.items() if k != _DEFAULTS_KEY}
    if value[_SIG_KEY] == wire.ARCHIVE_SIG and isinstance(out.get("assets"), dict):
        for name, item in out["assets"].items():
            if not (isinstance(item, dict) and item.get(_SIG_KEY) in (wire.ASSET_SIG, wire.ARCHIVE_SIG)):
                error = BadValue("an archive's assets must be assets or archives")
                error.path = ["assets", name]
                raise error
    return out


def wire_inputs(value: Any) -> Any:
    """CLI JSON -> analyzer wire form, in one pass: drop ``__defaults``, wrap secrets, refuse signed
    objects the SDK could not unmarshal (:class:`BadValue`).

    One walk (rather than ``wire.from_cli_json`` plus a second filter) keeps a 20,000-step preview
    linear and cheap.
    """
    if isinstance(value, dict):
        if _SIG_KEY in value:
            if value[_SIG_KEY] == _SECRET_SIG:
                return wire.secret(_SECRET_PLACEHOLDER)
            return _signed(value)
        out = {}
        for k, v in value.items():
            if k == _DEFAULTS_KEY:
                continue
            try:
                out[k] = wire_inputs(v)
            except BadValue as error:
                error.path.insert(0, k)
                raise
        return out
    if isinstance(value, list):
        items = []
        for index, v in enumerate(value):
            try:
                items.append(wire_inputs(v))
            except BadValue as error:
                error.path.insert(0, index)
                raise
        return items
    if value == _SECRET_PLACEHOLDER:
        return wire.secret(_SECRET_PLACEHOLDER)
    return value


def parse_source_position(position: Any) -> Location | None:
    """``project:///index.ts#5,20`` -> Location("index.ts", 5, 20); ``file:///abs/x.py#3`` too.

    Hand-parsed (not ``urlsplit``): it runs once per resource and dominated reading large previews.
    """
    if not isinstance(position, str) or not position:
        return None
    uri, _, fragment = position.partition("#")
    if uri.startswith("project://"):
        path = uri[len("project://") :].lstrip("/")
    elif uri.startswith("file://"):
        path = uri[len("file://") :]
    else:
        return None
    if "%" in path:
        path = unquote(path)
    if not path:
        return None
    head, _, tail = fragment.partition(",")
    line = int(head) if head.isdigit() else None
    column = int(tail) if tail.isdigit() else None
    return Location(path, line, column)


def _timeouts(value: Any) -> dict[str, float] | None:
    if not isinstance(value, dict):
        return None
    out = {
        k: float(v)
        for k, v in value.items()
        if k in ("create", "update", "delete") and isinstance(v, (int, float))
    }
    return out or None


def _prop_deps(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        return {}
    # The CLI writes `null` for a property that depends on nothing.
    return {k: list(v or []) for k, v in value.items()}


def _wired(value: dict[str, Any], root: str, urn: str, source: str) -> Any:
    """:func:`wire_inputs`, a value the SDK could not unmarshal refused with its property path."""
    try:
        return wire_inputs(value)
    except BadValue as error:
        from tierguard.readers.schema import json_path

        where = json_path(error.path, root=root)
        raise InputError(source, f"resource {urn}: {where}: {error.problem}") from None


def resource_from_state(state: dict[str, Any], source: str, with_outputs: bool = False) -> Resource:
    """One ``ResourceV3`` state (stack export resource, preview old/new state) as a Resource;
    ``with_outputs`` keeps the state's outputs (a stack export's are the deployed values)."""
    urn = state.get("urn")
    type_ = state.get("type")
    if not isinstance(urn, str) or not isinstance(type_, str):
        raise InputError(source, "a resource state without a string 'urn' and 'type'")
    inputs = state.get("inputs")
    outputs = state.get("outputs") if with_outputs else None
    wired = _wired(inputs, "inputs", urn, source) if isinstance(inputs, dict) else {}
    wired_outputs = _wired(outputs, "outputs", urn, source) if isinstance(outputs, dict) else None
    return Resource(
        urn=urn,
        type=type_,
        name=split_urn(urn)[3],
        inputs=wired,
        outputs=wired_outputs,
        custom=bool(state.get("custom", True)),
        id=state.get("id") or None,
        protect=bool(state.get("protect", False)),
        retain_on_delete=bool(state.get("retainOnDelete", False)),
        delete_before_replace=state.get("deleteBeforeReplace"),
        ignore_changes=list(state.get("ignoreChanges") or []),
        aliases=[a for a in state.get("aliases") or [] if isinstance(a, str)],
        custom_timeouts=_timeouts(state.get("customTimeouts")),
        additional_secret_outputs=list(state.get("additionalSecretOutputs") or []),
        parent=state.get("parent") or None,
        dependencies=list(state.get("dependencies") or []),
        property_dependencies=_prop_deps(state.get("propertyDependencies")),
        provider=state.get("provider") or None,
        location=parse_source_position(state.get("sourcePosition")),
    )


def stack_tags(config: dict[str, Any]) -> dict[str, str]:
    """Stack tags set through the ``pulumi:tags`` config key (a JSON object as a string)."""
    raw = config.get("pulumi:tags")
    if isinstance(raw, dict):
        tags = raw
    elif isinstance(raw, str):
        try:
            tags = json.loads(raw)
        except ValueError:
            return {}
    else:
        return {}
    return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}


def read_export(doc: dict[str, Any], source: str) -> Stack:
    """A ``pulumi stack export`` document (``{"version": 3, "deployment": {...}}``) or a bare
    deployment (``{"manifest": ..., "resources": [...]}``)."""
    from tierguard.readers import schema

    schema.validate(doc, "export", source)
    deployment = doc.get("deployment", doc) if "deployment" in doc else doc
    version = doc.get("version")
    if "deployment" in doc and version not in (3, 4):
        raise InputError(source, f"stack export version {version!r} is not supported (expected 3)")
    if not isinstance(deployment, dict):
        raise InputError(source, "stack export 'deployment' is not an object")
    states = deployment.get("resources") or []
    if not isinstance(states, list) or not all(isinstance(s, dict) for s in states):
        raise InputError(source, "stack export 'deployment.resources' is not a list of objects")
    # Resources pending deletion (left over from a failed replace) are not part of the stack.
    resources = [resource_from_state(s, source, True) for s in states if not s.get("delete")]
    project, stack = names_from_urns([r.urn for r in resources])
    return Stack(
        project=project,
        stack=stack,
        resources=resources,
        kind="export",
        source=source,
        dry_run=False,
    )
