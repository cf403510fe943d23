"""STAND-IN package schemas for the stand-in providers, derived from the installed Python SDKs.

Pulumi YAML resolves each `type:` token and property name through the provider plugin's
`GetSchema` (pulumi-yaml pkg/pulumiyaml/packages.go NewPackageLoader -> schema.NewPluginLoader;
the analyser rejects a property the resource's schema does not list, and `fn::invoke` needs the
function). The real providers are not available here (tools/pulumi/README.md), so this module
writes a schema from the Python SDK of the same package (pulumi_gcp, pulumi_kubernetes, pulumi_aws,
pulumi_azure_native) at the version the e2e workspaces install:

- resources: every class with `@pulumi.type_token(...)`; `inputProperties` are the camelCase names
  of its `*Args` class's `@pulumi.getter` properties, `properties` those of the resource class;
  `secret` where the SDK lists the name in `additional_secret_outputs` (the Python SDK secrets
  those inputs too); `aliases` from its `pulumi.Alias(type_=...)`; `isComponent` for a
  `pulumi.ComponentResource` (registered as a remote component, as the SDK does);
- functions: every `pulumi.runtime.invoke('<token>', __args__)`, its inputs the `__args__` keys,
  its outputs the result class's getters;
- provider: the `pulumi:providers:<pkg>` class's inputs.

Every type is `pulumi.json#/Any`: the schema says which names exist, not their shapes. It is read
from the SDK's source text (no import: pulumi_aws alone is 3,000 modules), and cached on disk per
package, SDK version and this file's contents, because GetSchema returns the whole package at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

ANY = {"$ref": "pulumi.json#/Any"}
# Files of an SDK that hold no resource or function: nested input/output types, enums, plumbing.
SKIP_FILES = {"__init__.py", "_inputs.py", "outputs.py", "_enums.py", "_utilities.py", "config.py", "vars.py"}
# The real providers' module formats (how a token's module is read), as their schemas declare them.
MODULE_FORMAT = {"gcp": "(.*)(?:/[^/]*)", "aws": "(.*)(?:/[^/]*)", "kubernetes": "(.*)"}

_TOP = re.compile(r"^(?=@|class |def )", re.M)
_CLASS = re.compile(r"(?P<decorators>(?:@[^\n]*\n)*)class (?P<name>\w+)(?:\((?P<bases>[^)]*)\))?:")
_TYPE_TOKEN = re.compile(r'@pulumi\.type_token\("(?P<token>[^"]+)"\)')
_DEF = re.compile(r"def (?P<name>\w+)\(")
# a getter, any other decorators (`@_utilities.deprecated(...)`), then the property's def
_GETTER = re.compile(
    r'@pulumi\.getter(?:\(name="(?P<camel>[^"]+)"\))?[ \t]*\n(?:(?![ \t]*def ).*\n)*?[ \t]*def (?P<py>\w+)\('
)
_ARGS_TYPE = re.compile(r"\bargs: (?:Optional\[)?'?(?P<name>\w+)")
_SECRETS = re.compile(r"additional_secret_outputs=\[(?P<names>[^\]]*)\]")
_ALIAS = re.compile(r'pulumi\.Alias\(type_="(?P<type>[^"]+)"\)')
_CONSTANT = re.compile(r"""__props__\.__dict__\["(?P<py>\w+)"\] = '(?P<value>[^']*)'\n""")
_INVOKE = re.compile(r"pulumi\.runtime\.invoke\('(?P<token>[^']+)', __args__")
_INVOKE_ARG = re.compile(r"__args__\['(?P<key>\w+)'\]")
_INVOKE_TYPE = re.compile(r"typ=(?P<name>\w+)")


def sdk_dir(package: str) -> Path:
    """The installed Python SDK's package directory for a Pulumi package name."""
    return Path(str(resources.files(f"pulumi_{package.replace('-', '_')}")))


def sdk_version(package: str) -> str:
    spec = json.loads((sdk_dir(package) / "pulumi-plugin.json").read_text())
    return spec["version"]


def _getters(block: str) -> dict[str, str]:
    """Python name -> wire (camelCase) name of a class's `@pulumi.getter` properties."""
    return {m["py"]: m["camel"] or m["py"] for m in _GETTER.finditer(block)}


def _constants(block: str, names: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Properties the SDK always sends with one value (a Kubernetes kind's `apiVersion`, `kind`):
    schema constants, which pulumi-yaml adds to the registration as the SDK does."""
    found = _CONSTANT.finditer(block)
    return {names.get(m["py"], m["py"]): {"type": "string", "const": m["value"]} for m in found}


def _props(names: Iterable[str], secrets: set[str]) -> dict[str, Any]:
    return {n: {**ANY, "secret": True} if n in secrets else dict(ANY) for n in names}


def _module(path: Path, package: str, schema: dict[str, Any]) -> None:
    """Add the resources, functions and provider one SDK module declares to `schema`."""
    text = path.read_text(encoding="utf-8")
    if "@pulumi.type_token(" not in text and "pulumi.runtime.invoke(" not in text:
        return
    classes: dict[str, str] = {}
    typed: list[tuple[str, str, str]] = []
    functions: list[str] = []
    for block in _merge_decorators(text):
        if m := _CLASS.match(block):
            classes[m["name"]] = block
            if token := _TYPE_TOKEN.search(m["decorators"]):
                typed.append((token["token"], m["bases"] or "", block))
        elif _DEF.match(block) and _INVOKE.search(block):
            functions.append(block)
    for token, bases, block in typed:
        args = _ARGS_TYPE.search(block)
        inputs = _getters(classes.get(args["name"], "")).values() if args else ()
        secrets = {s.strip().strip("\"'") for m in _SECRETS.finditer(block) for s in m["names"].split(",")}
        outputs = _getters(block)
        spec: dict[str, Any] = {
            "inputProperties": _props(inputs, secrets),
            "properties": {**_props(outputs.values(), secrets), **_constants(block, outputs)},
        }
        if token == f"pulumi:providers:{package}":
            schema["provider"] = spec
            continue
        if "ComponentResource" in bases:
            spec["isComponent"] = True
        if aliases := sorted({m["type"] for m in _ALIAS.finditer(block)}):
            spec["aliases"] = [{"type": a} for a in aliases]
        schema["resources"][token] = spec
    for block in functions:
        token = _INVOKE.search(block)["token"]
        result = _INVOKE_TYPE.search(block)
        outputs = _getters(classes.get(result["name"], "")).values() if result else ()
        keys = list(dict.fromkeys(m["key"] for m in _INVOKE_ARG.finditer(block)))
        schema["functions"].setdefault(token, {
            "inputs": {"type": "object", "properties": _props(keys, set())},
            "outputs": {"type": "object", "properties": _props(outputs, set())},
        })


def _merge_decorators(text: str) -> Iterator[str]:
    """Top-level blocks with each decorator joined to the class or function it decorates."""
    pending = ""
    starts = [m.start() for m in _TOP.finditer(text)]
    for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
        block = text[begin:end]
        if block.startswith("@"):
            pending += block
            continue
        yield pending + block
        pending = ""


def generate(package: str) -> dict[str, Any]:
    """The stand-in schema of `package`, read from its Python SDK's sources."""
    root = sdk_dir(package)
    schema: dict[str, Any] = {
        "name": package,
        "version": sdk_version(package),
        "description": f"STAND-IN schema derived from the installed {root.name} Python SDK",
        "meta": {"moduleFormat": MODULE_FORMAT.get(package, "(.*)")},
        "resources": {},
        "functions": {},
    }
    for path in sorted(root.rglob("*.py")):
        if path.name not in SKIP_FILES:
            _module(path, package, schema)
    return schema


def cache_path(package: str) -> Path:
    """Where the generated schema is kept: per package, SDK version and generator source."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return base / "tierguard" / "standin-schemas" / f"{package}-{sdk_version(package)}-{digest}.json"


def schema_json(package: str) -> str:
    """The schema as GetSchema returns it: from the disk cache, generated (atomically) on a miss."""
    path = cache_path(package)
    if path.exists():
        return path.read_text()
    text = json.dumps(generate(package), sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)
    return text
