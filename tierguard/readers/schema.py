"""The shape of each Pulumi CLI file, as JSON Schema: what the readers read, with the types they expect.

The readers trust these shapes, so hostile or damaged input (a number where a list was expected, a
list where a URN belongs) is refused here, before any reader walks it: exit 2 with the JSON path
that is wrong (``$.steps[3].newState.urn: expected a string, got an array``), never a traceback.

Only the fields tierguard reads are constrained; everything else stays open (``additionalProperties``
is allowed everywhere), so newer CLIs that add fields keep working. Resource ``inputs``/``outputs``
are any JSON object: policies read them defensively (:mod:`tierguard.policies.props`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from tierguard.model.records import InputError
from tierguard.model.steps import STEP_OPS

if TYPE_CHECKING:  # jsonschema is imported only to word a failure (importing it costs a command ~0.07 s)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_OBJ = {"type": "object"}
_STRINGS = {"type": "array", "items": _STR}
_NULLABLE_STRINGS = {"type": ["array", "null"], "items": _STR}
_NULLABLE_STR = {"type": ["string", "null"]}

# apitype.ResourceV3: a stack-export resource, and a preview step's oldState/newState.
RESOURCE_STATE: dict[str, Any] = {
    "type": "object",
    "required": ["urn", "type"],
    "properties": {
        "urn": _STR,
        "type": _STR,
        "custom": _BOOL,
        "delete": _BOOL,
        "id": _NULLABLE_STR,
        "inputs": {"type": ["object", "null"]},
        "outputs": {"type": ["object", "null"]},
        "protect": _BOOL,
        "retainOnDelete": _BOOL,
        "deleteBeforeReplace": {"type": ["boolean", "null"]},
        "ignoreChanges": _NULLABLE_STRINGS,
        "aliases": {"type": ["array", "null"]},
        "customTimeouts": {
            "type": ["object", "null"],
            "additionalProperties": {"type": ["number", "string", "null"]},
        },
        "additionalSecretOutputs": _NULLABLE_STRINGS,
        "parent": _NULLABLE_STR,
        "dependencies": _NULLABLE_STRINGS,
        "propertyDependencies": {"type": ["object", "null"], "additionalProperties": _NULLABLE_STRINGS},
        "provider": _NULLABLE_STR,
        "sourcePosition": _NULLABLE_STR,
    },
}

_STATE_OR_NULL = {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/state"}]}
# The step operations the engine reports (STEP_OPS): an op tierguard does not know is refused.
_OP = {"type": "string", "enum": list(STEP_OPS)}
_DIAGNOSTIC = {
    "type": "object",
    "properties": {
        "urn": _NULLABLE_STR,
        "prefix": _NULLABLE_STR,
        "message": _NULLABLE_STR,
        "severity": _NULLABLE_STR,
        "ephemeral": {"type": ["boolean", "null"]},
    },
}
_CONFIG = {"type": ["object", "null"]}

# `pulumi preview --json` (apitype.PreviewDigest).
PREVIEW: dict[str, Any] = {
    "$defs": {"state": RESOURCE_STATE},
    "type": "object",
    "properties": {
        "config": _CONFIG,
        "steps": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "required": ["op"],
                "properties": {
                    "op": _OP,
                    "urn": _STR,
                    "provider": _NULLABLE_STR,
                    "oldState": _STATE_OR_NULL,
                    "newState": _STATE_OR_NULL,
                    "diffReasons": _NULLABLE_STRINGS,
                    "replaceReasons": _NULLABLE_STRINGS,
                    "detailedDiff": {
                        "type": ["object", "null"],
                        "additionalProperties": {
                            "type": "object",
                            "properties": {"kind": _STR, "inputDiff": _BOOL},
                        },
                    },
                },
            },
        },
        "diagnostics": {"type": ["array", "null"], "items": _DIAGNOSTIC},
        "changeSummary": {"type": ["object", "null"], "additionalProperties": {"type": "integer"}},
        "duration": {"type": ["number", "null"]},
    },
}

# One engine event (apitype.EngineEvent); only the kinds the reader reads are constrained.
EVENT: dict[str, Any] = {
    "$defs": {"state": RESOURCE_STATE},
    "type": "object",
    "required": ["sequence"],
    "properties": {
        "sequence": {"type": "integer"},
        "resourcePreEvent": {
            "type": "object",
            "required": ["metadata"],
            "properties": {
                "metadata": {
                    "type": "object",
                    "required": ["op"],
                    "properties": {
                        "op": _OP,
                        "urn": _STR,
                        "type": _STR,
                        "provider": _NULLABLE_STR,
                        "old": _STATE_OR_NULL,
                        "new": _STATE_OR_NULL,
                        "keys": _NULLABLE_STRINGS,
                        "diffs": _NULLABLE_STRINGS,
                        "detailedDiff": {
                            "type": ["object", "null"],
                            "additionalProperties": {
                                "type": ["object", "null"],
                                "properties": {"diffKind": _STR, "inputDiff": _BOOL},
                            },
                        },
                    },
                }
            },
        },
        "diagnosticEvent": _DIAGNOSTIC,
        "preludeEvent": {"type": "object", "properties": {"config": _CONFIG}},
        "errorEvent": {"type": "object", "properties": {"error": _NULLABLE_STR}},
    },
}

# `pulumi stack export` (apitype.UntypedDeployment with a DeploymentV3), or a bare deployment.
_DEPLOYMENT = {
    "type": "object",
    "properties": {
        "manifest": _OBJ,
        "resources": {"type": ["array", "null"], "items": {"$ref": "#/$defs/state"}},
    },
}
EXPORT: dict[str, Any] = {
    "$defs": {"state": RESOURCE_STATE},
    "type": "object",
    "properties": {"version": {"type": "integer"}, "deployment": _DEPLOYMENT},
    "if": {"required": ["deployment"]},
    "else": _DEPLOYMENT,
}

SCHEMAS: dict[str, dict[str, Any]] = {"preview": PREVIEW, "event": EVENT, "export": EXPORT}

# -- a fast yes/no check compiled from the same schemas -------------------------------------------------
# jsonschema walks a 20,000-step preview in seconds, longer than the plan guard's whole budget, so
# documents are first checked by closures compiled from the schemas above (the subset of JSON Schema
# they use: type, enum, properties, required, items, additionalProperties, anyOf, $ref, if/else); only a
# document that fails is handed to jsonschema, for the path and the wording of the error. The two
# agree on every document (tests/test_fuzz_readers.py checks that on mutated CLI files).

Check = Callable[[Any], bool]
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,), "null": (type(None),),
}


def _type_check(types: list[str]) -> Check:
    simple = tuple(t for name in types for t in _PY_TYPES.get(name, ()))
    number, integer = "number" in types, "integer" in types

    def check(value: Any) -> bool:
        if isinstance(value, simple):
            return True
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return number or (integer and (isinstance(value, int) or float(value).is_integer()))

    return check


def _compile(schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    checks: list[Check] = []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        checks.append(lambda v: defs[name](v))  # looked up late: a definition may refer to itself
    if "type" in schema:
        types = schema["type"]
        checks.append(_type_check([types] if isinstance(types, str) else list(types)))
    if "enum" in schema:
        allowed = tuple(schema["enum"])
        checks.append(lambda v: any(v == a and type(v) is type(a) for a in allowed))
    if "anyOf" in schema:
        options = [_compile(option, defs) for option in schema["anyOf"]]
        if len(options) == 2:  # state or null: spare the generator, it runs twice per step
            one, other = options
            checks.append(lambda v: one(v) or other(v))
        else:
            checks.append(lambda v: any(option(v) for option in options))
    if "required" in schema:
        required = tuple(schema["required"])
        checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
    if "properties" in schema:
        props = [(key, _compile(sub, defs)) for key, sub in schema["properties"].items()]
        missing = object()

        def properties(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key, check in props:
                value = v.get(key, missing)
                if value is not missing and not check(value):
                    return False
            return True

        checks.append(properties)
    if "additionalProperties" in schema:
        extra = _compile(schema["additionalProperties"], defs)
        known = frozenset(schema.get("properties", ()))

        def additional(v: Any) -> bool:
            if isinstance(v, dict):
                for k, x in v.items():
                    if k not in known and not extra(x):
                        return False
            return True

        checks.append(additional)
    if "items" in schema:
        item = _compile(schema["items"], defs)

        def items(v: Any) -> bool:
            if isinstance(v, list):
                for x in v:
                    if not item(x):
                        return False
            return True

        checks.append(items)
    if "if" in schema:
        condition = _compile(schema["if"], defs)
        then = _compile(schema.get("then", {}), defs)
        otherwise = _compile(schema.get("else", {}), defs)
        checks.append(lambda v: then(v) if condition(v) else otherwise(v))
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    if len(checks) == 3:
        first, second, third = checks
        return lambda v: first(v) and second(v) and third(v)
    return lambda v: all(check(v) for check in checks)


@cache
def fast_check(kind: str) -> Check:
    """A yes/no check equivalent to the JSON Schema of ``kind``, fast enough for every document."""
    schema = SCHEMAS[kind]
    defs: dict[str, Check] = {}
    for name, sub in schema.get("$defs", {}).items():
        defs[name] = _compile(sub, defs)
    return _compile({k: v for k, v in schema.items() if k != "$defs"}, defs)
_WHAT = {"preview": "`pulumi preview --json`", "event": "engine event", "export": "`pulumi stack export`"}


@cache
def _validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(SCHEMAS[kind])
    return Draft202012Validator(SCHEMAS[kind])


def json_path(parts: Iterable[Any], root: str = "$") -> str:
    """``["steps", 3, "newState", "urn"]`` -> ``$.steps[3].newState.urn``."""
    out = root
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


_TYPE_NAMES = {
    dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
    float: "a number", type(None): "null",
}


_SCHEMA_TYPES: dict[str, type] = {
    "object": dict, "array": list, "string": str, "boolean": bool, "number": float, "null": type(None),
}


def _problem(error: ValidationError) -> str:
    if error.validator in ("type", "anyOf"):
        wanted = error.validator_value if error.validator == "type" else _any_of_types(error)
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        names = " or ".join(
            "an integer" if w == "integer" else _TYPE_NAMES.get(_SCHEMA_TYPES.get(w, object), w)
            for w in wanted
        )
        got = _TYPE_NAMES.get(type(error.instance), type(error.instance).__name__)
        return f"expected {names}, got {got}"
    if error.validator == "enum":
        return f"{json.dumps(error.instance)[:40]} is not one of the operations the Pulumi engine reports"
    if error.validator == "required":
        return error.message.replace("'", "`", 2)
    return error.message


def _deepest(error: ValidationError) -> ValidationError:
    """For an ``anyOf`` (state or null), the error inside the branch that was meant: the deepest one,
    or the ``anyOf`` itself when every branch failed on the value's type."""
    while error.context:
        deeper = [e for e in error.context if e.relative_path]
        if not deeper:
            return error
        error = max(deeper, key=lambda e: len(e.absolute_path))
    return error


def _any_of_types(error: ValidationError) -> list[str]:
    types: list[str] = []
    for branch in error.context or ():
        if branch.validator == "type":
            value = branch.validator_value
            types.extend([value] if isinstance(value, str) else value)
    return types


def validate(doc: Any, kind: str, source: str, root: str = "$") -> None:
    """Raise :class:`InputError` naming the first wrong JSON path of ``doc`` (``kind`` one of
    preview, event, export)."""
    if fast_check(kind)(doc):
        return
    errors = sorted(_validator(kind).iter_errors(doc), key=lambda e: [str(x) for x in e.absolute_path])
    if not errors:  # cannot happen while the two checks agree; refuse rather than read it
        raise InputError(source, f"not a valid {_WHAT[kind]}")
    error = errors[0]
    error = _deepest(error)
    where = json_path(error.absolute_path, root)
    raise InputError(source, f"not a valid {_WHAT[kind]} at {where}: {_problem(error)}")
