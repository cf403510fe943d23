"""Runs one Pulumi Python program under the SDK's mocks and records every resource registration.

This file is executed BY PATH with the interpreter of the stack being checked (its own virtualenv,
its own pulumi / pulumi-gcp versions), so it may import only the standard library and the pulumi
SDK. It is driven by :mod:`tierguard.readers.program` over a line protocol:

* stdin, first line: the request (project, stack, directories, config, invoke answers);
* stdout: ``{"reference": "org/project/stack"}`` when the program creates a StackReference, answered
  on stdin by ``{"outputs": {...}}`` or ``{"error": "..."}``; the run ends with ``{"result": ...}``
  or ``{"error": {...}}``;
* then stdin may carry the next request (another stack config of the same project): the runner resets
  the Pulumi runtime and runs the program again, so the provider SDK imports (seconds for pulumi_gcp
  or pulumi_kubernetes) are paid once per process. End of stdin ends the process.

The program's own prints go to stderr so they cannot corrupt the protocol.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import io
import json
import os
import re
import runpy
import sys
import threading
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWNS = {
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    UNKNOWN,
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
}
STACK_REFERENCE = "pulumi:pulumi:StackReference"
RUNNER_FILE = os.path.abspath(__file__)


class Channel:
    """The protocol streams: the real stdout is kept for us, the program prints to stderr."""

    def __init__(self) -> None:
        self.out = sys.stdout
        self.inp = sys.stdin
        sys.stdout = sys.stderr
        sys.stdin = io.StringIO()  # a program reading its stdin must not eat the protocol
        # Registrations run on executor threads: a question and its answer must not interleave with
        # another thread's, or two readers race for the same line.
        self.lock = threading.Lock()

    def ask(self, doc: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.send(doc)
            return self.receive()

    def send(self, doc: dict[str, Any]) -> None:
        self.out.write(json.dumps(doc) + "\n")
        self.out.flush()

    def receive(self) -> dict[str, Any]:
        line = self.inp.readline()
        if not line:
            raise SystemExit("tierguard runner: the parent closed the channel")
        return json.loads(line)

    def next_request(self) -> dict[str, Any] | None:
        """The next stack to run, or None once the parent has closed stdin (the normal end)."""
        line = self.inp.readline()
        return json.loads(line) if line.strip() else None


# -- value conversion ------------------------------------------------------------------------------


def to_wire(value: Any) -> Any:
    """The gRPC form as the analyzer receives it: resource references become their id (or urn)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == RESOURCE_SIG:
            if "id" in value:
                ref_id = value.get("id")
                return ref_id if isinstance(ref_id, str) and ref_id else UNKNOWN
            return value.get("urn", UNKNOWN)
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def has_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value in UNKNOWNS
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def has_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(SIG_KEY) == SECRET_SIG or any(has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(has_secret(v) for v in value)
    return False


def unwrap_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def duration_seconds(text: str) -> float | None:
    """Go duration strings ("5m", "1h30m", "90s") as the SDK sends customTimeouts."""
    parts = _DURATION.findall(text or "")
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def engine_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """URNs as the engine makes them: children of the root stack carry no parent type, other children
    carry their parent's whole qualified type (the SDK's mock monitor keeps only the last one)."""
    if parent:
        qualified = parent.split("::")[2]
        if qualified != "pulumi:pulumi:Stack":
            type_ = f"{qualified}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


# -- outputs a mocked create echoes ------------------------------------------------------------------

_OUTPUT_TYPES: dict[str, dict[str, Any]] = {}


def _output_types(type_token: str) -> dict[str, Any]:
    """Pulumi name -> declared output type of a resource type, from its SDK class ({} when unknown)."""
    if type_token not in _OUTPUT_TYPES:
        types: dict[str, Any] = {}
        try:
            from pulumi import _types
            from pulumi.runtime import rpc

            pkg, module_token, _ = type_token.split(":")
            modules = rpc._RESOURCE_MODULES.get(f"{pkg}:{module_token}") or rpc._RESOURCE_MODULES.get(
                f"{pkg}:{module_token.split('/')[0]}", []
            )
            for module in modules:
                info = getattr(module, "mod_info", None) or {}
                class_name = info.get("classes", {}).get(type_token)
                if class_name:
                    cls = getattr(importlib.import_module(info["fqn"]), class_name)
                    types = dict(_types.resource_types(cls))
                    break
        except Exception:  # an SDK without this metadata: echo as before
            types = {}
        _OUTPUT_TYPES[type_token] = types
    return _OUTPUT_TYPES[type_token]


def echoed_outputs(type_token: str, inputs: Any) -> dict[str, Any]:
    """The inputs a mocked create returns as its outputs, shaped as the provider would return them.

    Some inputs accept an object where the output is a string: pulumi-aws takes a policy document as
    JSON text or as an object (``assume_role_policy={"Version": ..., "Statement": [...]}``) and its
    provider returns JSON text. Echoing the object would fail the SDK's output type check, so such a
    value is echoed as JSON -- or left unknown when it holds a value unknown during preview, as the
    engine would.
    """
    outputs = dict(inputs)
    structured = [k for k, v in outputs.items() if isinstance(v, (dict, list))]
    if not structured:
        return outputs
    types = _output_types(type_token)
    for key in structured:
        if types.get(key) is str:
            try:
                outputs[key] = json.dumps(outputs[key])
            except (TypeError, ValueError):  # an unknown (or a resource) inside: not known yet
                del outputs[key]
    return outputs


# -- the recording monitor -------------------------------------------------------------------------


class Locator:
    """Source positions (``file://`` URIs) as project-relative files, or None outside the user's code:
    the SDK, the standard library, an installed library, or the file that launched the program."""

    def __init__(self, project_dir: Path, prefixes: tuple[str, ...], launcher: str) -> None:
        self.project_dir = project_dir
        self.prefixes = prefixes  # the program interpreter's sys.prefix and sys.base_prefix
        self.launcher = launcher
        self.shown_files: dict[str, str | None] = {}  # a few files hold every resource: resolve each once

    def shown_file(self, uri: str) -> str | None:
        path = os.path.abspath(unquote(urlparse(uri).path))
        resolved = Path(path).resolve()
        installed = bool({"site-packages", "dist-packages", "node_modules"} & set(resolved.parts)) or any(
            path.startswith(prefix + os.sep) for prefix in self.prefixes
        )
        if path == self.launcher or (installed and self.project_dir not in resolved.parents):
            return None  # the SDK, the standard library or an installed library: not the user's code
        return Path(os.path.relpath(resolved, self.project_dir)).as_posix()

    def location(self, uri: str, line: int) -> dict[str, Any] | None:
        if not uri:
            return None
        if uri not in self.shown_files:
            self.shown_files[uri] = self.shown_file(uri)
        shown = self.shown_files[uri]
        if shown is None:
            return None
        out: dict[str, Any] = {"file": shown}
        if line:
            out["line"] = line
        return out


def positions_of(request: Any) -> list[tuple[str, int]]:
    """The SDK's declared position, then the frames of its stack trace (the SDK's heuristic lands in
    site-packages for provider resources and library components), as (uri, line) pairs."""
    fields = {f.name for f, _ in request.ListFields()}
    positions = [request.sourcePosition] if "sourcePosition" in fields else []
    if "stackTrace" in fields:
        positions += [frame.pc for frame in request.stackTrace.frames]
    return [(pos.uri, pos.line) for pos in positions if pos is not None and pos.uri]


def first_location(locator: Locator, positions: list[tuple[str, int]]) -> dict[str, Any] | None:
    """The first position in the user's code."""
    return next((loc for loc in (locator.location(u, n) for u, n in positions) if loc), None)


def alias_urns(request: Any, stack: str, project: str) -> list[str]:
    """Every alias of a registration as a URN, alias specs resolved as the engine resolves them."""
    out = list(getattr(request, "aliasURNs", []))
    for alias in getattr(request, "aliases", []):
        if alias.WhichOneof("alias") == "urn":
            out.append(alias.urn)
            continue
        spec = alias.spec
        parent = "" if spec.noParent else (spec.parentUrn or request.parent)
        out.append(engine_urn(
            spec.stack or stack, spec.project or project, parent, spec.type or request.type,
            spec.name or request.name,
        ))
    return out


def registration_record(
    request: Any, urn: str, res_id: str | None, props: Any, stack: str, project: str
) -> dict[str, Any]:
    """What a RegisterResource or ReadResource request says about its resource (location aside)."""
    from google.protobuf.json_format import MessageToDict

    fields = {f.name for f, _ in request.ListFields()}
    rec: dict[str, Any] = {
        "urn": urn,
        "type": request.type,
        "name": request.name,
        "id": res_id,
        "inputs": to_wire(MessageToDict(props)) if props is not None else {},
        "custom": bool(getattr(request, "custom", True)),
        "parent": request.parent or None,
        # The SDK collects dependencies in sets, whose order would follow the process's memory
        # layout (and so the stacks run before in this process): report them sorted.
        "dependencies": sorted(request.dependencies),
        "provider": request.provider or None,
        "additional_secret_outputs": list(request.additionalSecretOutputs),
    }
    if hasattr(request, "protect"):
        rec["protect"] = bool(request.protect)
        rec["retain_on_delete"] = bool(getattr(request, "retainOnDelete", False))
        if request.deleteBeforeReplace or getattr(request, "deleteBeforeReplaceDefined", False):
            rec["delete_before_replace"] = bool(request.deleteBeforeReplace)
        rec["ignore_changes"] = list(request.ignoreChanges)
        rec["property_dependencies"] = {
            k: sorted(v.urns) for k, v in request.propertyDependencies.items()
        }
        rec["aliases"] = alias_urns(request, stack, project)
        if "customTimeouts" in fields:
            ct = request.customTimeouts
            timeouts = {
                key: duration_seconds(getattr(ct, key))
                for key in ("create", "update", "delete")
                if getattr(ct, key, "")
            }
            rec["custom_timeouts"] = {k: v for k, v in timeouts.items() if v is not None} or None
    return rec


def build_recorder(request: dict[str, Any], channel: Channel) -> tuple[Any, Any]:
    """Mocks and monitor classes are defined here because they subclass the stack's own SDK."""
    from pulumi.runtime import mocks as pmocks

    project_dir = Path(request["project_dir"]).resolve()
    config = request.get("config", {})
    request_project, request_stack = request["project"], request["stack"]
    invokes: dict[str, Any] = request.get("invokes", {})
    locator = Locator(project_dir, (sys.prefix, sys.base_prefix), RUNNER_FILE)

    class RecordingMocks(pmocks.Mocks):
        def __init__(self) -> None:
            self.unknown_outputs: dict[str, set[str]] = {}
            self.failure: str | None = None
            # StackReference resource name -> the stack it names and the outputs that stack has
            self.references: dict[str, dict[str, Any]] = {}
            # StackReference resource name -> the output names the program asked it for, in order
            self.reads: dict[str, list[str]] = {}

        def read(self, reference: str, output: Any) -> None:
            if isinstance(output, str) and output not in self.reads.setdefault(reference, []):
                self.reads[reference].append(output)

        def call(self, args: Any) -> Any:
            return default_invoke(args.token, args.args or {}, config, invokes), []

        def new_resource(self, args: Any) -> Any:
            if args.typ == STACK_REFERENCE:
                return self.stack_reference(args)
            if args.resource_id:  # a read (Resource.get): the id is known
                return args.resource_id, echoed_outputs(args.typ, args.inputs)
            # A preview of a create: no id yet, outputs are the inputs (the rest stays unknown).
            return "", echoed_outputs(args.typ, args.inputs)

        def stack_reference(self, args: Any) -> Any:
            name = args.inputs.get("name") or args.resource_id or args.name
            answer = channel.ask({"reference": name})
            if "error" in answer:
                self.failure = answer["error"]
                raise RuntimeError(answer["error"])
            outputs = answer.get("outputs", {})
            self.references[args.name] = {"name": name, "exported": sorted(outputs)}
            unknown = {k for k, v in outputs.items() if has_unknown(v)}
            self.unknown_outputs[args.name] = unknown
            known = {k: unwrap_secrets(v) for k, v in outputs.items() if k not in unknown}
            secret_names = sorted(k for k, v in outputs.items() if has_secret(v))
            return name, {"name": name, "outputs": known, "secretOutputNames": secret_names}

    class RecordingMonitor(pmocks.MockMonitor):
        def __init__(self, mocks: Any) -> None:
            super().__init__(mocks)
            self.records: list[dict[str, Any]] = []

        def make_urn(self, parent: str, type_: str, name: str) -> str:
            return engine_urn(request_stack, request_project, parent, type_, name)

        def RegisterResource(self, request: Any) -> Any:
            response = super().RegisterResource(request)
            self.records.append(self.record(request, response.urn, response.id or None, request.object))
            return response

        def ReadResource(self, request: Any) -> Any:
            response = super().ReadResource(request)
            rec = self.record(request, response.urn, request.id or None, request.properties)
            rec["op"] = "read"
            self.records.append(rec)
            return response

        def record(self, request: Any, urn: str, res_id: str | None, props: Any) -> dict[str, Any]:
            rec = registration_record(request, urn, res_id, props, request_stack, request_project)
            rec["location"] = first_location(locator, positions_of(request))
            return rec

    return RecordingMocks, RecordingMonitor


# -- invokes -----------------------------------------------------------------------------------------


def default_invoke(
    token: str, args: dict[str, Any], config: dict[str, str], overrides: dict[str, Any]
) -> dict[str, Any]:
    """Sane answers for the invokes programs commonly make; the user's mocks file wins."""
    project = args.get("project") or args.get("projectId") or config.get("gcp:project") or "offline-project"
    region = args.get("region") or config.get("gcp:region") or "us-central1"
    zone = config.get("gcp:zone") or f"{region}-a"
    defaults: dict[str, dict[str, Any]] = {
        "gcp:organizations/getClientConfig:getClientConfig": {
            "id": project, "project": project, "region": region, "zone": zone,
            "accessToken": "[secret]", "defaultLabels": {},
        },
        "gcp:organizations/getProject:getProject": {
            "id": f"projects/{project}", "projectId": project, "name": project, "number": "123456789012",
            "orgId": "", "folderId": "", "labels": {}, "effectiveLabels": {}, "billingAccount": "",
            "autoCreateNetwork": True, "deletionPolicy": "PREVENT",
        },
        "gcp:projects/getProject:getProject": {
            "id": "projects", "filter": args.get("filter", ""), "projects": [],
        },
        "gcp:compute/getZones:getZones": {
            "id": f"projects/{project}/regions/{region}", "project": project, "region": region,
            "names": [f"{region}-{s}" for s in "abc"], "status": args.get("status", "UP"),
        },
        "gcp:organizations/getIAMPolicy:getIAMPolicy": {
            "id": "iam-policy",
            "bindings": args.get("bindings", []),
            "auditConfigs": args.get("auditConfigs", []),
            "policyData": json.dumps(
                {key: args[key] for key in ("bindings", "auditConfigs") if args.get(key)}, sort_keys=True
            ),
        },
        "kubernetes:helm:template": {"result": []},
        "kubernetes:yaml:decode": {"result": []},
    }
    answer = dict(defaults.get(token, {}))
    if token in overrides and isinstance(overrides[token], dict):
        answer.update(overrides[token])
    return answer


# -- running ---------------------------------------------------------------------------------------


def program_error(exc: BaseException, project_dir: Path) -> dict[str, Any]:
    """The program's own message and the innermost line of the user's code, not a traceback."""
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        try:
            path.resolve().relative_to(project_dir)
        except (ValueError, OSError):
            continue
        if "site-packages" not in path.parts and not frame.filename.startswith("<"):
            where = {"file": str(path.resolve()), "line": frame.lineno}
    if isinstance(exc, SyntaxError) and exc.filename:
        where = {"file": exc.filename, "line": exc.lineno}
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return {"kind": "program", "type": type(exc).__name__, "message": message or type(exc).__name__,
            "location": where}


def patch_stack_reference(mocks: Any) -> None:
    """Per-output unknowns: a referenced output that is unknown offline stays unknown in the program,
    while the known outputs of the same stack stay usable (the SDK would make them all unknown).

    The referenced outputs arrive after the program asked for them, so the decision is made inside
    the returned Output, once the StackReference has resolved.
    """
    import pulumi
    from pulumi.output import Output

    # Each run patches again for its own mocks: always wrap the SDK's method, never a previous wrapper.
    if not hasattr(pulumi.StackReference, "_tierguard_get_output"):
        pulumi.StackReference._tierguard_get_output = pulumi.StackReference.get_output
    original_get_output = pulumi.StackReference._tierguard_get_output

    def make(require: bool) -> Any:
        def method(self: Any, name: Any) -> Any:
            base = original_get_output(self, name)
            mocks.read(getattr(self, "_name", ""), name)  # a literal name: known before anything resolves

            async def unknown_here() -> bool:
                wanted = await Output.from_input(name).future()
                await self.outputs.future()
                return wanted in mocks.unknown_outputs.get(getattr(self, "_name", ""), ())

            async def value() -> Any:
                found = await base.future()
                wanted = await Output.from_input(name).future()
                mocks.read(getattr(self, "_name", ""), wanted)
                if await unknown_here():
                    return None
                if require and wanted not in (await self.outputs.future() or {}):
                    raise KeyError(f"required output {wanted!r} does not exist on stack reference")
                return found

            async def known() -> bool:
                return bool(await base.is_known()) and not await unknown_here()

            return Output(
                asyncio.ensure_future(base.resources()),
                asyncio.ensure_future(value()),
                asyncio.ensure_future(known()),
                asyncio.ensure_future(base.is_secret()),
            )

        return method

    pulumi.StackReference.get_output = make(False)
    pulumi.StackReference.require_output = make(True)


# Files the program opens while it runs (an audit hook cannot be removed, so it records only then).
_OPENED: list[str] = []
_RECORDING = threading.Event()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Record files opened for reading only: what the program writes is its output, not its input."""
    if event != "open" or not _RECORDING.is_set() or not isinstance(args[0], str):
        return
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        reading = not set(mode) & set("wax+")
    else:
        reading = isinstance(flags, int) and not flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
    if reading:
        _OPENED.append(args[0])


def used_outside(project_dir: Path) -> dict[str, Any]:
    """What the capture depends on beyond the project directory, for the host's capture cache:
    local Python modules and files the program used from outside the project and outside any
    installation, and the installed Pulumi packages loaded (their version and metadata directory)."""
    from importlib import metadata

    installed = tuple(
        os.path.join(p, "") for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    )
    project = os.path.join(str(project_dir), "")
    files = set()
    modules = [getattr(m, "__file__", None) for m in list(sys.modules.values())]
    for name in [*modules, *_OPENED]:
        if not isinstance(name, str):
            continue
        path = os.path.abspath(name)
        parts = set(Path(path).parts)
        if (
            path == RUNNER_FILE or path.startswith((project, *installed, "/dev/", "/proc/", "/sys/"))
            or parts & {"site-packages", "dist-packages"} or not os.path.isfile(path)
        ):
            continue
        files.add(path)
    packages = {}
    for top in sorted({n.split(".")[0] for n in list(sys.modules) if n.startswith("pulumi")}):
        for dist_name in (top.replace("_", "-"), top):
            try:
                dist = metadata.distribution(dist_name)
            except Exception:
                continue
            where = getattr(dist, "_path", None)
            packages[top] = {"version": dist.version, "metadata": str(where) if where else None}
            break
    return {"files": sorted(files), "packages": packages}


def ordered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Registrations complete in any order (RPCs run on threads): report them in program order."""

    def key(rec: dict[str, Any]) -> tuple:
        loc = rec.get("location") or {}
        is_root = rec["type"] == "pulumi:pulumi:Stack"
        return (not is_root, not loc, loc.get("file", ""), loc.get("line", 0), rec["urn"])

    return sorted(records, key=key)


# Below this many resources a program's garbage is left uncollected between two stack configs.
SMALL_PROGRAM = 1000

# What the process looked like before any program ran: every run starts from it again.
BASE_PATH = list(sys.path)
BASE_ENVIRON = dict(os.environ)


def forget_user_modules(roots: set[Path]) -> set[str]:
    """Drop the modules the program imported from its own directory, so the next stack config
    executes them again (their module-level code reads that stack's config).

    A module is the user's when its top-level package was found directly in one of ``roots`` (the
    program's and the project's directory), the way the program's own ``import`` finds it; libraries,
    even an editable install kept inside the project, are found elsewhere and stay imported.
    """

    def search_dir(module: Any) -> Path | None:  # the sys.path entry it was found in (roots are on it)
        file = getattr(module, "__file__", None)
        if file:
            path = Path(file)
            return path.parent.parent if path.stem == "__init__" else path.parent
        namespace = list(getattr(module, "__path__", None) or [])
        return Path(namespace[0]).parent if namespace else None

    tops = {
        name for name, module in list(sys.modules.items())
        if "." not in name and name != "__main__" and search_dir(module) in roots
    }
    gone = {name for name in list(sys.modules) if name.split(".")[0] in tops}
    for name in gone:
        del sys.modules[name]
    return gone


def reset_runtime(forgotten: set[str]) -> None:
    """Module-level state the Pulumi SDK keeps between programs: fresh settings (set_mocks alone keeps
    the pending Outputs of a program that failed) and no root stack resource (set_mocks creates a new
    one), as the automation API's server resets them before each inline program; no config set by
    the previous program; no resource packages registered by the user's own modules (importing them
    again would be refused as a duplicate)."""
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import rpc, settings

    if hasattr(settings, "reset_options"):
        settings.reset_options()
    else:
        settings.set_root_resource(None)  # type: ignore[arg-type]
    for name, empty in (("CONFIG", dict), ("_SECRET_KEYS", set)):
        holder = getattr(runtime_config, name, None)
        if hasattr(holder, "set"):  # a ContextVar in current SDKs
            holder.set(empty())
        elif hasattr(holder, "clear"):  # a plain dict in old ones
            holder.clear()
    for registry_name in ("_RESOURCE_PACKAGES", "_RESOURCE_MODULES"):
        registry = getattr(rpc, registry_name, None)
        for entries in (registry or {}).values():
            entries[:] = [e for e in entries if type(e).__module__.split(".")[0] not in forgotten]


def run(request: dict[str, Any], channel: Channel) -> dict[str, Any]:
    """One stack config, from the state the process started in (environment, sys.path, the user's
    modules, the SDK's runtime), so that it captures what a process of its own would."""
    project_dir = Path(request["project_dir"]).resolve()
    program = (project_dir / request.get("main", ".")).resolve()
    program_dir = program if program.is_dir() else program.parent
    os.environ.clear()
    os.environ.update(BASE_ENVIRON)
    os.environ.update(
        {
            "PULUMI_PROJECT": request["project"],
            "PULUMI_STACK": request["stack"],
            "PULUMI_ORGANIZATION": request.get("organization", "organization"),
            "PULUMI_DRY_RUN": "true",
            "PULUMI_CONFIG": json.dumps(request.get("config", {})),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(request.get("secret_keys", [])),
        }
    )
    forgotten = forget_user_modules({project_dir, program_dir})
    try:
        for module in ("pulumi", "pulumi.runtime.rpc", "pulumi.runtime.stack", "pulumi.runtime.sync_await"):
            importlib.import_module(module)
    except ModuleNotFoundError as exc:
        return {"error": {"kind": "missing-module", "module": exc.name or "pulumi", "message": str(exc)}}

    reset_runtime(forgotten)
    # A fresh event loop per run: nothing a previous program left pending can run in this one.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return capture(request, channel, project_dir, program, program_dir)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def capture(
    request: dict[str, Any], channel: Channel, project_dir: Path, program: Path, program_dir: Path
) -> dict[str, Any]:
    import pulumi
    import pulumi.runtime
    from pulumi.runtime import rpc
    from pulumi.runtime.stack import massage, run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    mocks_cls, monitor_cls = build_recorder(request, channel)
    mocks = mocks_cls()
    monitor = monitor_cls(mocks)
    kwargs: dict[str, Any] = {"preview": True, "monitor": monitor}
    if "organization" in inspect.signature(pulumi.runtime.set_mocks).parameters:
        kwargs["organization"] = request.get("organization", "organization")
    pulumi.runtime.set_mocks(mocks, request["project"], request["stack"], **kwargs)
    patch_stack_reference(mocks)

    os.chdir(project_dir)
    sys.path[:] = BASE_PATH
    sys.path[0] = str(program_dir)
    if program.is_dir() and str(project_dir) != sys.path[0]:
        sys.path.insert(1, str(project_dir))

    def body() -> None:
        try:
            runpy.run_path(str(program), run_name="__main__")
        except SystemExit as exc:  # exit(0) ends the program normally, as under the CLI
            if exc.code:
                raise

    _OPENED.clear()
    _RECORDING.set()
    try:
        pending = run_pulumi_func(body)
        if inspect.isawaitable(pending):
            _sync_await(pending)
        root = pulumi.runtime.get_root_resource()
        exported = getattr(root, "outputs", {}) or {}
        struct = _sync_await(rpc.serialize_properties(massage(exported, []), {}))
    except ModuleNotFoundError as exc:
        return {"error": {"kind": "missing-module", "module": exc.name or "", "message": str(exc)}}
    except BaseException as exc:
        if mocks.failure:
            return {"error": {"kind": "reference", "message": mocks.failure}}
        return {"error": program_error(exc, project_dir)}
    finally:
        _RECORDING.clear()

    from google.protobuf.json_format import MessageToDict

    return {
        "result": {
            "resources": ordered(monitor.records),
            "outputs": to_wire(MessageToDict(struct)),
            "references": [
                {"resource": resource, **known, "read": mocks.reads.get(resource, [])}
                for resource, known in mocks.references.items()
            ],
            "python": sys.executable,
            "used": used_outside(project_dir),
        }
    }


def worth_collecting(answer: dict[str, Any]) -> bool:
    """A small program's garbage is a few megabytes: not worth a collection (0.2 s once the provider
    SDKs are loaded). A big or failed one may have left hundreds of megabytes."""
    return "result" not in answer or len(answer["result"]["resources"]) >= SMALL_PROGRAM


def main() -> None:
    """Serve requests until stdin ends, then leave without the interpreter's teardown.

    The cyclic garbage collector stays off: a program's Outputs, futures and resources form a large,
    long-lived object graph that the collector would scan again and again for nothing (it halves the
    time of big programs, for a few per cent more memory). Leaving with ``os._exit`` skips freeing
    that graph object by object (seconds at 20k resources): everything the parent needs has been
    written and flushed by then.
    """
    gc.disable()
    sys.addaudithook(_audit)
    channel = Channel()
    if len(sys.argv) > 1:
        channel.send(run(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")), channel))
    else:
        request: dict[str, Any] | None = channel.receive()
        while request is not None:
            answer = run(request, channel)
            channel.send(answer)
            request = channel.next_request()
            if request is not None and worth_collecting(answer):
                gc.collect()  # free the previous program before the next one
                gc.freeze()  # what survives (the SDKs) is not scanned again by the next collection
    sys.stderr.flush()
    sys.__stderr__.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
