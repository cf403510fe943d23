"""The offline engine: a ``ResourceMonitor`` and an ``Engine`` gRPC server that a Pulumi program of
any language talks to as it talks to ``pulumi preview``, recording every registration.

Built on the generated stubs the ``pulumi`` package ships (``pulumi.runtime.proto``) and followed
from the real engine, pulumi/pulumi v3.276.0 pkg/resource/deploy: source_eval.go (the ``resmon``:
RegisterResource, ReadResource, Invoke, Call, RegisterPackage, RegisterResourceOutputs,
SupportsFeature, GetDeploymentInfo, SignalAndWaitForShutdown, ``inheritFromParent``,
``resolveProvider``), deployment.go (``generateURN``: children of the root stack carry no parent type,
other children their parent's whole qualified type), default_providers.go and providers/provider.go
(a resource without a provider gets ``pulumi:providers:<pkg>::default[_<major>_<minor>_<patch>]``,
registered once per (package, version, download URL) with the ``<pkg>:*`` config and the version as
its inputs, no parent, its id unknown in a preview).

As a preview answers: a custom resource's outputs are its inputs (what the provider's ``Check`` would
return), everything else unknown (absent); a component's outputs are empty; a remote component is
recorded (``remote``) but not constructed, so its children are not known offline. Invokes and calls
get the same answers as the mocks path (``runner.default_invoke`` and the ``--mocks`` file).

A language only has to start its program with the two addresses (a :class:`Toolchain` building a
:class:`Launch`): Python's is :func:`python_toolchain` (tierguard/capture/python_exec.py, the real exec
shim's steps), the others' are in :mod:`tierguard.capture.languages`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierguard.capture import runner as shared

UNKNOWN_ID = shared.UNKNOWN  # a provider's id during a preview (providers.UnknownID)
STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
LAUNCHER = Path(__file__).resolve().with_name("python_exec.py")
DEFAULT_TIMEOUT = 300.0  # seconds a program may run before it is stopped
TIMEOUT_ENV = "TIERGUARD_CAPTURE_TIMEOUT"

# SupportsFeature as a preview engine answers it (source_eval.go supportsFeatureID); state migrations
# are off unless the deployment turns them on.
FEATURES = frozenset({
    "secrets", "resourceReferences", "outputValues", "registerResourceOutputValues", "aliasSpecs",
    "replacementTrigger", "deletedWith", "replaceWith", "transforms", "invokeTransforms",
    "parameterization", "resourceHooks", "errorHooks", "sendsOptionsToHooks",
})

ReferenceResolver = Callable[[str], dict[str, Any]]


class HostFailure(Exception):
    """A language host's own answer that the program failed (``RunResponse.error``): one line."""


def timeout_seconds() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def default_provider_name(version: str, download_url: str = "") -> str:
    """providers/provider.go ``DefaultName``: ``default``, ``_<major>_<minor>_<patch>``, each
    prerelease and build part after ``_``, then the download URL as a QName."""
    name = "default"
    if version:
        core, _, build = version.partition("+")
        core, _, pre = core.partition("-")
        parts = core.split(".")
        name += "".join(f"_{p}" for p in parts)
        name += "".join(f"_{p}" for p in pre.split(".") if pre)
        name += "".join(f"_{p}" for p in build.split(".") if build)
    if download_url:
        name += "_" + qname(download_url)
    return name


def qname(text: str) -> str:
    """tokens.IntoQName: each ``/``-separated segment with disallowed characters made ``_``."""
    out = []
    for segment in (s for s in text.split("/") if s):
        chars = [c if (c.isalnum() or c in "_.-") else "_" for c in segment]
        if not (chars[0].isalpha() or chars[0] == "_"):
            chars[0] = "_"
        out.append("".join(chars))
    return "/".join(out) or "_"


def downgrade(value: Any) -> Any:
    """Output values as the engine hands them on (``downgradeOutputValues``): the plain value, a
    secret envelope, or the unknown sentinel when the value is not known."""
    if isinstance(value, dict):
        if value.get(shared.SIG_KEY) == "d0e6a833031e9bbcd3f4e8bde6ca49a4":  # an output value
            inner = downgrade(value["value"]) if "value" in value else shared.UNKNOWN
            return {shared.SIG_KEY: shared.SECRET_SIG, "value": inner} if value.get("secret") else inner
        return {k: downgrade(v) for k, v in value.items()}
    if isinstance(value, list):
        return [downgrade(v) for v in value]
    return value


def to_struct(doc: dict[str, Any]) -> Any:
    from google.protobuf import struct_pb2

    struct = struct_pb2.Struct()
    struct.update(doc)
    return struct


def from_struct(struct: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    return downgrade(MessageToDict(struct)) if struct is not None else {}


@dataclass
class Deployment:
    """What the monitor has seen of one program run; shared by the two servicers."""

    request: dict[str, Any]
    resolve_reference: ReferenceResolver
    lock: threading.Lock = field(default_factory=threading.Lock)
    records: list[tuple[dict[str, Any], list[tuple[str, int]]]] = field(default_factory=list)
    goals: dict[str, dict[str, Any]] = field(default_factory=dict)  # urn -> what children inherit
    component_providers: dict[str, dict[str, str]] = field(default_factory=dict)
    default_providers: dict[tuple[str, str, str], str] = field(default_factory=dict)
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)  # RegisterPackage refs
    states: dict[str, dict[str, Any]] = field(default_factory=dict)  # urn -> {id, state} (getResource)
    root: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    logged: list[str] = field(default_factory=list)  # the errors as logged, lines kept
    refused: Exception | None = None
    shutdown: bool = False
    # each StackReference read, by resource name: {"name", "exported"} (the outputs it was answered with)
    references: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def stack(self) -> str:
        return self.request["stack"]

    @property
    def project(self) -> str:
        return self.request["project"]

    def urn(self, parent: str, type_: str, name: str) -> str:
        return shared.engine_urn(self.stack, self.project, parent, type_, name)

    # -- providers ---------------------------------------------------------------------------------

    def default_provider(self, pkg: str, version: str, url: str, package_ref: str = "") -> str:
        """The reference of the package's default provider, registered on first use."""
        if package_ref:
            package = self.packages.get(package_ref)
            if package is None:
                raise ValueError(f"unknown provider package '{package_ref}'")
            param = package.get("parameterization") or {}
            pkg = param.get("name") or package["name"]
            version = param.get("version") or package.get("version", "")
            url = package.get("download_url", "")
        denied = self._denied(pkg)
        if denied:
            raise ValueError(denied)
        key = (pkg, version, url)
        with self.lock:
            ref = self.default_providers.get(key)
            if ref is not None:
                return ref
            name = default_provider_name(version, url)
            urn = self.urn("", PROVIDER_PREFIX + pkg, name)
            ref = self.default_providers[key] = f"{urn}::{UNKNOWN_ID}"
            inputs = self.package_config(pkg)
            if version:
                inputs["version"] = version
            if url:
                inputs["pluginDownloadURL"] = url
            rec = {
                "urn": urn, "type": PROVIDER_PREFIX + pkg, "name": name, "id": None, "inputs": inputs,
                "custom": True, "parent": None, "dependencies": [], "provider": None,
                "additional_secret_outputs": [], "protect": False, "retain_on_delete": False,
                "ignore_changes": [], "property_dependencies": {}, "aliases": [], "default_provider": True,
            }
            self.records.append((rec, []))
        return ref

    def package_config(self, pkg: str) -> dict[str, Any]:
        """target.go GetPackageConfig: the ``<pkg>:<key>`` config as ``<key>``, secrets as secrets."""
        secret = set(self.request.get("secret_keys", []))
        out: dict[str, Any] = {}
        for key, value in sorted(self.request.get("config", {}).items()):
            namespace, _, name = key.partition(":")
            if namespace == pkg and name:
                out[name] = {shared.SIG_KEY: shared.SECRET_SIG, "value": value} if key in secret else value
        return out

    def _denied(self, pkg: str) -> str | None:
        """``pulumi:disable-default-providers`` (default_providers.go shouldDenyRequest)."""
        if pkg == "pulumi":
            return None
        raw = self.request.get("config", {}).get("pulumi:disable-default-providers")
        if not raw:
            return None
        try:
            barred = [str(b).strip() for b in json.loads(raw)]
        except (ValueError, TypeError):
            return f"Failed to parse {raw}"
        if "*" in barred or pkg in barred:
            return (f"Default provider for '{pkg}' disabled. A resource of package '{pkg}' must use an "
                    "explicit provider.")
        return None

    def resolve_provider(self, provider: str, providers: dict[str, str], parent: str, pkg: str) -> str:
        """source_eval.go resolveProvider: explicit, then the providers map, then the parent component's."""
        if provider:
            return provider
        if pkg in providers:
            return providers[pkg]
        with self.lock:
            return self.component_providers.get(parent, {}).get(pkg, "")

    def inherit(self, req: Any) -> dict[str, Any]:
        """inheritFromParent: protect, retainOnDelete and deletedWith unless set, and the parent's
        provider when it serves this package (or this is a local component)."""
        with self.lock:
            goal = self.goals.get(req.parent)
        out = {"protect": req.protect if req.HasField("protect") else None,
               "retain_on_delete": req.retainOnDelete if req.HasField("retainOnDelete") else None,
               "provider": req.provider}
        if goal is None:
            return out
        for key in ("protect", "retain_on_delete"):
            if out[key] is None:
                out[key] = goal[key]
        if not out["provider"] and goal["provider"]:
            parent_pkg = goal["provider"].split("::")[2].removeprefix(PROVIDER_PREFIX)
            if (not req.remote and not req.custom) or parent_pkg == req.type.split(":")[0]:
                out["provider"] = goal["provider"]
        return out


class Monitor:
    """The ResourceMonitor service (methods named as the generated servicer's)."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id in FEATURES)

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        names = ("SECRETS", "RESOURCE_REFERENCES", "OUTPUT_VALUES", "ALIAS_SPECS", "REPLACEMENT_TRIGGER",
                 "DELETED_WITH", "REPLACE_WITH", "TRANSFORMS", "INVOKE_TRANSFORMS", "PARAMETERIZATION",
                 "RESOURCE_HOOKS", "ERROR_HOOKS", "SENDS_OPTIONS_TO_HOOKS", "BYTE_STRING",
                 "INVOKE_DEPENDS_ON", "INVOKE_PARENT", "INVOKE_OUTPUT_VALUES", "CALL_OUTPUT_VALUES",
                 "REGISTER_RESOURCE_OUTPUT_VALUES")
        features = [getattr(resource_pb2, f"RESOURCE_MONITOR_FEATURE_{n}") for n in names
                    if hasattr(resource_pb2, f"RESOURCE_MONITOR_FEATURE_{n}")]
        d = self.d
        return resource_pb2.DeploymentInfo(
            project=d.project, stack=d.stack, organization=d.request.get("organization", "organization"),
            config=d.request.get("config", {}), configSecretKeys=d.request.get("secret_keys", []),
            dryRun=True, supportedFeatures=features,
        )

    def RegisterPackage(self, request: Any, context: Any) -> Any:
        from google.protobuf.json_format import MessageToDict
        from pulumi.runtime.proto import resource_pb2

        doc = {"name": request.name, "version": request.version, "download_url": request.download_url}
        if request.HasField("parameterization"):
            doc["parameterization"] = MessageToDict(request.parameterization)
        with self.d.lock:
            for ref, known in self.d.packages.items():
                if known == doc:
                    return resource_pb2.RegisterPackageResponse(ref=ref)
            ref = str(uuid.uuid4())
            self.d.packages[ref] = doc
        return resource_pb2.RegisterPackageResponse(ref=ref)

    def RegisterResource(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        d = self.d
        urn = d.urn(request.parent, request.type, request.name)
        inherited = d.inherit(request)
        pkg = request.type.split(":")[0]
        provider = inherited["provider"]
        if request.custom or request.remote:
            provider = d.resolve_provider(provider, dict(request.providers), request.parent, pkg)
            if not provider and not request.type.startswith(PROVIDER_PREFIX):
                try:
                    provider = d.default_provider(pkg, request.version, request.pluginDownloadURL,
                                                  request.packageRef)
                except ValueError as exc:
                    context.abort(_status("INVALID_ARGUMENT"), str(exc))
        inputs = from_struct(request.object)
        rec = shared.registration_record(request, urn, request.importId or None, None, d.stack, d.project)
        rec["inputs"] = shared.to_wire(inputs)
        rec["provider"] = provider or None
        rec["protect"] = bool(inherited["protect"])
        rec["retain_on_delete"] = bool(inherited["retain_on_delete"])
        if request.remote:
            rec["remote"] = True
        if request.deletedWith:
            rec["deleted_with"] = request.deletedWith
        outputs = inputs if request.custom else {}
        with d.lock:
            d.records.append((rec, shared.positions_of(request)))
            d.goals[urn] = {
                "protect": inherited["protect"], "retain_on_delete": inherited["retain_on_delete"],
                "provider": provider if request.custom or request.remote else request.provider,
            }
            if not request.custom:
                providers = dict(request.providers)
                parent_providers = d.component_providers.get(request.parent)
                if request.parent and parent_providers is not None:
                    providers = {**parent_providers, **providers}
                d.component_providers[urn] = providers
            d.states[urn] = {"urn": urn, "id": request.importId, "state": outputs}
        res_id = request.importId or (UNKNOWN_ID if request.type.startswith(PROVIDER_PREFIX) else "")
        return resource_pb2.RegisterResourceResponse(urn=urn, id=res_id, object=to_struct(outputs))

    def ReadResource(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        d = self.d
        urn = d.urn(request.parent, request.type, request.name)
        pkg = request.type.split(":")[0]
        provider = request.provider
        if not provider and not request.type.startswith(PROVIDER_PREFIX):
            try:
                provider = d.default_provider(pkg, request.version, request.pluginDownloadURL,
                                              request.packageRef)
            except ValueError as exc:
                context.abort(_status("INVALID_ARGUMENT"), str(exc))
        props = from_struct(request.properties)
        state = self.stack_reference(request, props, context) if request.type == shared.STACK_REFERENCE \
            else props
        rec = shared.registration_record(request, urn, request.id or None, None, d.stack, d.project)
        rec["inputs"] = shared.to_wire(props)
        rec["provider"] = provider or None
        rec["op"] = "read"
        with d.lock:
            d.records.append((rec, shared.positions_of(request)))
            d.states[urn] = {"urn": urn, "id": request.id, "state": state}
        return resource_pb2.ReadResourceResponse(urn=urn, id=request.id, properties=to_struct(state))

    def stack_reference(self, request: Any, props: dict[str, Any], context: Any) -> dict[str, Any]:
        """The referenced stack's outputs (a sibling's capture or the --stack-references file); unknown
        outputs stay the unknown sentinel, which the launcher reads per output."""
        name = props.get("name") or request.id or request.name
        try:
            outputs = self.d.resolve_reference(name)
        except Exception as exc:
            self.d.refused = exc
            context.abort(_status("FAILED_PRECONDITION"), str(getattr(exc, "problem", exc)))
        # builtins.go readStackReference: the outputs keep their secrets (an SDK reading `outputs`
        # whole, as pulumi-yaml does, gets a secret), and the names of those holding one
        secret_names = sorted(k for k, v in outputs.items() if shared.has_secret(v))
        with self.d.lock:
            self.d.references[request.name] = {"name": name, "exported": sorted(outputs)}
        return {"name": name, "outputs": outputs, "secretOutputNames": secret_names}

    def Invoke(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        args = shared.to_wire(from_struct(request.args))
        if request.tok == "pulumi:pulumi:getResource":
            with self.d.lock:
                found = self.d.states.get(args.get("urn", ""))
            if found is None:
                context.abort(_status("NOT_FOUND"), f"unknown resource {args.get('urn')}")
            return resource_pb2.ResourceInvokeResponse(**{"return": to_struct(found)})
        answer = self.answer(request.tok, args)
        return resource_pb2.ResourceInvokeResponse(**{"return": to_struct(answer)})

    def Call(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        answer = self.answer(request.tok, shared.to_wire(from_struct(request.args)))
        return resource_pb2.CallResponse(**{"return": to_struct(answer)})

    def answer(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """The same answers as the mocks path: defaults for common invokes, the --mocks file wins."""
        request = self.d.request
        return shared.default_invoke(token, args, request.get("config", {}), request.get("invokes", {}))

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        from google.protobuf import empty_pb2

        outputs = shared.to_wire(from_struct(request.outputs))
        with self.d.lock:
            if request.urn == self.d.root or request.urn.split("::")[2] == STACK_TYPE:
                self.d.outputs = outputs
            if request.urn in self.d.states:
                self.d.states[request.urn]["state"] = outputs
        return empty_pb2.Empty()

    def RegisterStackTransform(self, request: Any, context: Any) -> Any:
        from google.protobuf import empty_pb2

        return empty_pb2.Empty()  # transforms run in the SDK's callback server: none are called offline

    RegisterStackInvokeTransform = RegisterStackTransform
    RegisterResourceHook = RegisterStackTransform  # hooks never run in a preview
    RegisterErrorHook = RegisterStackTransform

    def SignalAndWaitForShutdown(self, request: Any, context: Any) -> Any:
        """Every step is answered at once offline: nothing is left to wait for."""
        from google.protobuf import empty_pb2

        with self.d.lock:
            if self.d.shutdown:
                context.abort(_status("FAILED_PRECONDITION"), "Already waiting for shutdown")
            self.d.shutdown = True
        return empty_pb2.Empty()


class Engine:
    """The Engine service: logs, the root resource."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment

    def Log(self, request: Any, context: Any) -> Any:
        from google.protobuf import empty_pb2
        from pulumi.runtime.proto import engine_pb2

        text = " ".join(line.strip() for line in request.message.splitlines() if line.strip())
        with self.d.lock:
            if request.severity == engine_pb2.ERROR:
                self.d.errors.append(text)
                self.d.logged.append(request.message)
            elif request.severity == engine_pb2.WARNING:
                self.d.warnings.append(text)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.GetRootResourceResponse(urn=self.d.root)

    def SetRootResource(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import engine_pb2

        with self.d.lock:
            self.d.root = request.urn
        return engine_pb2.SetRootResourceResponse()

    def RequirePulumiVersion(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.RequirePulumiVersionResponse()


def _status(name: str) -> Any:
    import grpc

    return getattr(grpc.StatusCode, name)


@contextlib.contextmanager
def serving(deployment: Deployment) -> Any:
    """Both services on one loopback port; yields the address (``127.0.0.1:<port>``)."""
    import grpc
    from pulumi.runtime.proto import engine_pb2_grpc, resource_pb2_grpc

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_servicer(
        resource_pb2_grpc.ResourceMonitorServicer, Monitor(deployment)), server)
    engine_pb2_grpc.add_EngineServicer_to_server(_servicer(
        engine_pb2_grpc.EngineServicer, Engine(deployment)), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


def _servicer(base: type, impl: Any) -> Any:
    """The generated servicer with ``impl``'s methods (the rest answer UNIMPLEMENTED, as generated)."""
    methods = {n: getattr(impl, n) for n in dir(base) if not n.startswith("_") and hasattr(impl, n)}
    return type(f"Offline{base.__name__}", (base,), {n: staticmethod(m) for n, m in methods.items()})()


# -- launching ---------------------------------------------------------------------------------------


@dataclass
class Launch:
    """How a language starts its program against the engine: the command, its directory, environment.

    ``drive``, when set, is called with the started process and the time left: for a language host
    that serves gRPC (pulumi-language-yaml), it asks the host to run the program and returns the
    program's exit status; without it the process is the program, and its exit status is waited for.
    """

    args: list[str]
    cwd: Path
    env: dict[str, str]
    drive: Callable[[subprocess.Popen[str], float], int] | None = None


@dataclass
class Toolchain:
    """What one project's program runs with, resolved before it runs (tierguard/capture/languages).

    ``shown`` names it in error messages ("node v20.19.0"); ``identity`` joins the capture cache key
    (a new toolchain or lockfile is a new capture); ``start`` builds the :class:`Launch` for one stack;
    ``outside`` lists path prefixes that are never the user's code (a module cache, a toolchain root);
    ``reports`` says the launcher writes the TIERGUARD_CAPTURE_REPORT file (python_exec.py does);
    ``locate`` replaces the source-position lookup for a language whose positions are not the user's
    files (the YAML host's are frames of its own Go code); ``crash`` picks the detail of a crashed
    program from its stderr lines when the last line is not it (a Go panic's goroutine dump).
    """

    runtime: str
    shown: str
    identity: dict[str, Any]
    start: Callable[[dict[str, Any], str], Launch]
    outside: tuple[str, ...] = ()
    reports: bool = False
    locate: Callable[[dict[str, Any], list[tuple[str, int]]], dict[str, Any] | None] | None = None
    used_files: tuple[str, ...] = ()  # files outside the project the capture depends on (for the cache)
    # runs a launch somewhere other than a fresh process (a warm interpreter, :class:`ExecPool`):
    # given the launch, the seconds allowed and the stderr file; returns the program's exit status
    run: Callable[[Launch, float, Any], int] | None = None
    explain: Callable[[list[str]], str | None] | None = None  # the cause in a failed program's stderr
    # an error the program logged (Engine.Log, as sent) as the runner's error document ({"type",
    # "message", "location"}), None to report it as logged: a Node program's uncaught exception
    explain_logged: Callable[[str], dict[str, Any] | None] | None = None


def engine_environment(request: dict[str, Any]) -> dict[str, str]:
    """What every language's program reads from the engine (config as JSON, as the hosts pass it)."""
    return {
        "PULUMI_CONFIG": json.dumps(request.get("config", {})),
        "PULUMI_CONFIG_SECRET_KEYS": json.dumps(request.get("secret_keys", [])),
    }


def parallel() -> int:
    """pkg/cmd/pulumi/operations/up.go defaultParallel: PULUMI_PARALLEL, else 4 per CPU."""
    try:
        value = int(os.environ.get("PULUMI_PARALLEL", "0"))
    except ValueError:
        value = 0
    return value if value > 0 else 4 * (os.cpu_count() or 1)


class WarmExec:
    """One ``python_exec.py --tierguard-serve`` process: the stack configs of one project, one after
    another, in one interpreter (the provider SDK imports, most of a run, paid once). Each run is the
    shim's own ``run_once`` after the runner's reset; the answers come on a pipe of their own, so the
    program's prints cannot be mistaken for them."""

    def __init__(self, python: Path, cwd: Path) -> None:
        read_end, write_end = os.pipe()
        self.errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (lives with it)
        self.proc = subprocess.Popen(
            [str(python), "-u", str(LAUNCHER), "--tierguard-serve", str(write_end)],
            cwd=cwd, stdin=subprocess.PIPE, stdout=self.errors, stderr=self.errors, text=True,
            pass_fds=(write_end,),
        )
        os.close(write_end)
        self.answers = os.fdopen(read_end, "r", encoding="utf-8")

    def run(self, launch: Launch, limit: float, stderr: Any) -> int:
        """The launch's arguments and environment in this process; its stderr copied to ``stderr``."""
        import selectors

        assert self.proc.stdin is not None
        start = self.errors.seek(0, os.SEEK_END)
        changed = {k: v for k, v in launch.env.items() if os.environ.get(k) != v}
        self.proc.stdin.write(json.dumps({"argv": launch.args[3:], "env": changed}) + "\n")
        self.proc.stdin.flush()
        with selectors.DefaultSelector() as selector:
            selector.register(self.answers, selectors.EVENT_READ)
            if not selector.select(timeout=limit):
                self.close()
                raise subprocess.TimeoutExpired(launch.args, limit)
        line = self.answers.readline()
        self.errors.seek(start)
        stderr.write(self.errors.read())
        stderr.flush()
        if not line:  # the interpreter died (os._exit, a crash): its exit status is the program's
            return self.proc.wait()
        return int(json.loads(line)["exit"])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.answers, self.errors):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()


class ExecPool:
    """The warm interpreters of one read, by (interpreter, project directory); closed with the read."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: dict[tuple[str, str], list[WarmExec]] = {}
        self.every: list[WarmExec] = []
        self.closed = False

    def run(self, python: Path, launch: Launch, limit: float, stderr: Any) -> int:
        slot = (str(python), str(launch.cwd))
        with self.lock:
            if self.closed:
                raise OSError(0, "the read was abandoned")
            free = self.idle.get(slot)
            warm = free.pop() if free else None
            if warm is None:
                warm = WarmExec(python, launch.cwd)
                self.every.append(warm)
        try:
            return warm.run(launch, limit, stderr)
        finally:
            with self.lock:
                if warm.alive() and not self.closed:
                    self.idle.setdefault(slot, []).append(warm)

    def close(self) -> None:
        with self.lock:
            self.closed, every, self.every, self.idle = True, self.every, [], {}
        for warm in every:
            warm.close()


def python_toolchain(python: Path, pool: ExecPool | None = None) -> Toolchain:
    """The Python program's launcher (the interpreter itself is chosen by readers.program): a fresh
    process per stack config as the CLI starts it, or, given a ``pool``, a warm one per project."""

    def start(request: dict[str, Any], address: str) -> Launch:
        # As the Python language host starts a program: ``python -u <exec shim> --monitor ... PROGRAM``.
        project_dir = Path(request["project_dir"]).resolve()
        program = str((project_dir / request.get("main", ".")).resolve())
        flags = {
            "monitor": address, "engine": address, "project": request["project"],
            "stack": request["stack"], "pwd": str(project_dir), "dry_run": "true",
            "parallel": str(parallel()), "organization": request.get("organization", "organization"),
            "root_directory": str(project_dir),
        }
        args = [str(python), "-u", str(LAUNCHER)]
        for flag, value in flags.items():
            args += [f"--{flag}", value]
        env = dict(os.environ, **engine_environment(request))
        return Launch(args=[*args, program], cwd=project_dir, env=env)

    def warm(launch: Launch, limit: float, stderr: Any) -> int:
        assert pool is not None
        return pool.run(python, launch, limit, stderr)

    return Toolchain(runtime="python", shown=str(python), identity={}, start=start,
                     outside=(str(LAUNCHER),), reports=True, run=warm if pool is not None else None)


def capture(
    toolchain: Toolchain, request: dict[str, Any], resolve_reference: ReferenceResolver,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run one program against the offline engine; the runner's document (``{"result": ...}`` or
    ``{"error": ...}``). A refused StackReference re-raises the resolver's own error."""
    deployment = Deployment(request, resolve_reference)
    limit = timeout_seconds() if timeout is None else timeout
    with tempfile.TemporaryDirectory(prefix="tierguard-engine-") as tmp:
        report_file = Path(tmp, "report.json")
        errors_file = Path(tmp, "stderr")
        with serving(deployment) as address:
            launch = toolchain.start(request, address)
            launch.env["TIERGUARD_CAPTURE_REPORT"] = str(report_file)
            with open(errors_file, "w+", encoding="utf-8") as stderr:
                try:
                    execute = toolchain.run or _run
                    code = execute(launch, limit, stderr)
                except subprocess.TimeoutExpired:
                    return {"error": {"kind": "timeout", "message": (
                        f"the program did not finish within {limit:g} s and was stopped "
                        f"(set {TIMEOUT_ENV} to allow longer)")}}
                except HostFailure as exc:
                    return {"error": {"kind": "crashed", "message": _one_line(str(exc))}}
                stderr.seek(0)
                last_words = [ln for ln in stderr.read().splitlines() if ln.strip()]
        try:
            report = json.loads(report_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            report = {}
    if deployment.refused is not None:
        raise deployment.refused
    return _answer(deployment, toolchain, report, code, last_words)


def _run(launch: Launch, limit: float, stderr: Any) -> int:
    """Start the launch and wait for its program; the process is killed on timeout (re-raised).
    A driven host starts plugins of its own (the YAML host its providers, each in a process group of
    its own): they are stopped with it, so no plugin outlives a stopped host."""
    proc = subprocess.Popen(
        launch.args, cwd=launch.cwd, env=launch.env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if launch.drive else stderr, stderr=stderr, text=True,
    )
    try:
        if launch.drive is None:
            return proc.wait(timeout=limit)
        return launch.drive(proc, limit)
    except subprocess.TimeoutExpired:
        raise
    finally:
        if launch.drive is not None and proc.poll() is None:
            for pid in _descendants(proc.pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _descendants(root: int) -> list[int]:
    """The processes under ``root`` (from /proc; none where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _answer(
    d: Deployment, toolchain: Toolchain, report: dict[str, Any], code: int, last_words: list[str]
) -> dict[str, Any]:
    if "error" in report:
        return {"error": report["error"]}
    if d.errors:
        logged = toolchain.explain_logged(d.logged[0]) if toolchain.explain_logged is not None else None
        return {"error": logged or {"kind": "logged", "message": d.errors[0]}}
    if code != 0 or (toolchain.reports and "used" not in report):
        explained = toolchain.explain(last_words) if toolchain.explain else None
        detail = explained or (last_words[-1] if last_words else f"exit status {code}")
        return {"error": {"kind": "crashed", "message": detail}}
    project_dir = Path(d.request["project_dir"]).resolve()
    prefixes = (*report.get("prefixes", []), *(o for o in toolchain.outside if o != str(LAUNCHER)))
    locator = shared.Locator(project_dir, tuple(prefixes), str(LAUNCHER))
    records = []
    for rec, positions in d.records:
        if toolchain.locate is not None:
            rec["location"] = toolchain.locate(rec, positions)
        else:
            rec["location"] = shared.first_location(locator, positions)
        records.append(rec)
    used = report.get("used") or {"files": list(toolchain.used_files), "packages": {}}
    # which outputs the program read is known only where the launcher watches the SDK (python_exec);
    # over the protocol alone a read is local to the program
    reads = report.get("reads", {})
    references = [
        {"resource": resource, **known, "read": reads.get(resource, [])}
        for resource, known in d.references.items()
    ]
    return {"result": {
        "resources": shared.ordered(records), "outputs": d.outputs, "references": references,
        "python": report.get("python", toolchain.shown), "used": used, "notes": list(d.warnings),
    }}
