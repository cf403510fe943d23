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


def _bad(path: list[str | int], problem: str) -> BadValue:
    error = BadValue(problem)
    error.path = path
    return error


def _kind(value: Any) -> str:
    """A JSON value's type as the readers word it (``an array``)."""
    from tierguard.readers.schema import _TYPE_NAMES

    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _not_strings(value: dict[str, Any], what: str, fields: tuple[str, ...]) -> None:
    for field in fields:
        if field in value and not _is_str(value[field]):
            raise _bad([field], f"{what} {field} must be a string, got {_kind(value[field])}")


# The fields of assets and archives, typed as the engine's deserializers type them
# (sdk/go/common/resource/asset.Deserialize, archive.Deserialize): every one present must be a string,
# except that a non-empty archive path is read first and ends the read (its uri is then never looked at).
# pulumi-policy (deserialize._deserialize_asset/_archive) hands them to pulumi.FileAsset, StringAsset,
# ... which raise TypeError on anything but a string.
_ASSET_STRINGS = ("hash", "path", "text", "uri")


def _check_asset(value: dict[str, Any]) -> None:
    _not_strings(value, "an asset's", _ASSET_STRINGS)
    if not any(k in value for k in ("path", "text", "uri")):
        raise _bad([], "an asset needs path, text or uri")


def _check_archive(value: dict[str, Any]) -> None:
    _not_strings(value, "an archive's", ("hash", "path"))
    if not (_is_str(value.get("path")) and value["path"]):
        _not_strings(value, "an archive's", ("uri",))
    # pulumi-policy reads `assets` first, whatever else is there; the engine wants an object.
    if "assets" in value and not isinstance(value["assets"], dict):
        raise _bad(["assets"], f"an archive's assets must be an object, got {_kind(value['assets'])}")
    if not any(k in value for k in ("assets", "path", "uri")):
        raise _bad([], "an archive needs assets (an object), path or uri")
    for name, item in (value.get("assets") or {}).items():
        if not (isinstance(item, dict) and item.get(_SIG_KEY) in (wire.ASSET_SIG, wire.ARCHIVE_SIG)):
            raise _bad(["assets", name], "an archive's assets must be assets or archives")
        try:
            (_check_asset if item[_SIG_KEY] == wire.ASSET_SIG else _check_archive)(item)
        except BadValue as error:
            error.path[:0] = ["assets", name]
            raise


def _check_resource(value: dict[str, Any]) -> None:
    if not (_is_str(value.get("urn")) and split_urn(value["urn"])[2] != ""):
        raise _bad([], "a resource reference needs a well-formed urn")


def _check_output(value: dict[str, Any]) -> None:
    deps = value.get("dependencies", [])
    urns = isinstance(deps, list) and all(map(_is_str, deps))
    if not (isinstance(value.get("secret", False), bool) and urns):
        raise _bad([], "an output value needs a boolean secret and a list of URNs as dependencies")


# Signed objects (assets, archives, resource references, output values) as the SDK unmarshals them:
# signature -> a check that raises BadValue where the SDK would assert or raise.
_SIGNED: dict[str, Any] = {
    wire.ASSET_SIG: _check_asset,
    wire.ARCHIVE_SIG: _check_archive,
    wire.RESOURCE_SIG: _check_resource,
    wire.OUTPUT_SIG: _check_output,
}
# Signed objects whose fields are kept as they are: an asset's are strings, an archive's are strings or
# (its assets) assets and archives, already checked whole; a "[secret]" there is text, not a secret.
_LEAF_SIGS = frozenset({wire.ASSET_SIG, wire.ARCHIVE_SIG})


def check_signed(value: dict[str, Any]) -> None:
    """Raise :class:`BadValue` if the signed object ``value`` is one the SDK could not unmarshal."""
    check = _SIGNED.get(value[_SIG_KEY]) if _is_str(value[_SIG_KEY]) else None
    if check is None:
        raise BadValue(f"unknown Pulumi signature {json.dumps(value[_SIG_KEY])[:40]}")
    check(value)


def _signed(value: dict[str, Any]) -> dict[str, Any]:
    check_signed(value)
    if value[_SIG_KEY] in _LEAF_SIGS:
        return value
    return {k: wire_inputs(v) for k, v in value.items() if k != _DEFAULTS_KEY}


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


def _refused(error: BadValue, root: str, urn: str, source: str) -> InputError:
    from tierguard.readers.schema import json_path

    return InputError(source, f"resource {urn}: {json_path(error.path, root=root)}: {error.problem}")


def _wired(value: dict[str, Any], root: str, urn: str, source: str) -> Any:
    """:func:`wire_inputs`, a value the SDK could not unmarshal refused with its property path."""
    try:
        return wire_inputs(value)
    except BadValue as error:
        raise _refused(error, root, urn, source) from None


def _check_wire(value: Any) -> None:
    """:func:`check_signed` on every signed object inside a wire-form value, a secret's value
    included (pulumi-policy unwraps it before it rebuilds the assets inside)."""
    if isinstance(value, dict):
        if _SIG_KEY not in value:
            items: Any = value.items()
        elif value[_SIG_KEY] == _SECRET_SIG:
            _check_wire(value.get("value"))
            return
        else:
            check_signed(value)
            if value[_SIG_KEY] in _LEAF_SIGS:
                return
            items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        try:
            _check_wire(item)
        except BadValue as error:
            error.path.insert(0, key)
            raise


def check_inputs(res: Resource, source: str) -> None:
    """Refuse a captured resource (inputs already in the wire form, registered by a program) whose
    inputs hold a signed object the SDK could not unmarshal: the engine refuses the registration
    (plugin.UnmarshalPropertyValue -> asset.Deserialize), pulumi-policy would raise."""
    try:
        _check_wire(res.inputs)
    except BadValue as error:
        raise _refused(error, "inputs", res.urn, source) from None


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
