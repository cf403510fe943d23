"""Talk to a policy pack the way the Pulumi CLI does: over the analyzer gRPC protocol.

Today's CLI starts a Python pack through the language host's ``RunPlugin``: ``python -u -m
pulumi.policy <engine-address> <pack-dir>`` in the pack's environment (its ``virtualenv`` when
PulumiPolicy.yaml names one), with the CLI's own environment and NO ``PULUMI_PROJECT``,
``PULUMI_STACK``, ``PULUMI_DRY_RUN`` or ``PULUMI_CONFIG`` (pkg/resource/plugin/analyzer_plugin.go,
``NewPolicyAnalyzer``; the retired ``pulumi-analyzer-policy-python`` route set them: ``legacy_env``).
It reads the port from the first line of the pack's standard output, then calls
``ConfigureStack`` (the stack's whole config and its secret keys, sent as soon as the pack is up),
``GetAnalyzerInfo``, ``Configure``, and for every resource -- the root stack included --
``Remediate`` and ``Analyze``, and finally ``AnalyzeStack`` (see
:mod:`tierguard.crossguard.analyzer_view` for what it strips). This module does the same, so tests (and
benchmarks) can compare the in-process evaluator with the real pulumi-policy server, check a built
pack runs, and run a user's pack that lives in its own virtualenv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tierguard.crossguard.analyzer_view import analyzer_props, provider_urn, stack_property_dependencies
from tierguard.crossguard.packconfig import PolicyConfig
from tierguard.model.records import Finding, Resource, Stack

_LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}
_MAX_MESSAGE = 1024 * 1024 * 400
# `python -m pulumi.policy` with grpc's server errors (a policy's exception) logged to stderr
_LOGGING_MAIN = (
    "import logging, runpy, sys; "
    "logging.getLogger('grpc._server').addHandler(logging.StreamHandler(sys.stderr)); "
    "sys.argv[0] = 'pulumi.policy'; runpy.run_module('pulumi.policy', run_name='__main__', alter_sys=True)"
)
# The pack never calls back into the engine for analysis; the CLI passes its own address here.
_ENGINE_ADDRESS = "127.0.0.1:0"


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    json_format.ParseDict(props, s)
    return s


def _options(res: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
    opts = analyzer_pb2.AnalyzerResourceOptions(
        protect=res.protect,
        ignoreChanges=res.ignore_changes,
        deleteBeforeReplace=bool(res.delete_before_replace),
        deleteBeforeReplaceDefined=res.delete_before_replace is not None,
        additionalSecretOutputs=res.additional_secret_outputs,
        aliases=res.aliases,
        parent=res.parent or "",
    )
    if res.custom_timeouts:
        t = res.custom_timeouts
        opts.customTimeouts.CopyFrom(
            analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(
                create=t.get("create", 0), update=t.get("update", 0), delete=t.get("delete", 0)
            )
        )
    return opts


@dataclass
class Diagnostic:
    """One ``AnalyzeDiagnostic`` with the resource URN filled in as the CLI does."""

    policy: str
    pack: str
    message: str
    enforcement_level: str
    urn: str


@dataclass
class AnalyzerClient:
    stub: analyzer_pb2_grpc.AnalyzerStub
    providers: dict[str, Resource] = field(default_factory=dict)
    # what the pack process wrote (stdout after its port line, and stderr), line by line, as the
    # engine reads both into its log; :meth:`take_output` hands over what has arrived so far
    output: deque[str] = field(default_factory=deque)

    def take_output(self) -> str:
        taken = []
        while self.output:  # popleft is atomic: a line the reader appends meanwhile stays for later
            taken.append(self.output.popleft())
        return "".join(taken)

    def get_info(self) -> analyzer_pb2.AnalyzerInfo:
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty())

    def configure(self, configured: dict[str, PolicyConfig]) -> None:
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, cfg in configured.items():
            pc = analyzer_pb2.PolicyConfig(enforcementLevel=_LEVELS[cfg.enforcement_level])
            if cfg.properties:
                pc.properties.update(cfg.properties)
            request.policyConfig[name].CopyFrom(pc)
        self.stub.Configure(request)

    def configure_stack(self, stack: Stack) -> None:
        self.stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=stack.stack,
                project=stack.project,
                organization="organization",
                dry_run=stack.dry_run,
                config=stack.config,
                config_secret_keys=stack.config_secret_keys,
                tags=stack.tags,
            )
        )

    def _provider(self, res: Resource) -> analyzer_pb2.AnalyzerProviderResource | None:
        if not res.provider:
            return None
        prov = self.providers.get(provider_urn(res.provider))
        if prov is None:
            return None
        return analyzer_pb2.AnalyzerProviderResource(
            type=prov.type, properties=_struct(analyzer_props(prov.inputs)), urn=prov.urn, name=prov.name
        )

    def _request(self, res: Resource, inputs: dict[str, Any], cls: Any) -> Any:
        kwargs: dict[str, Any] = {
            "type": res.type,
            "properties": _struct(inputs),
            "urn": res.urn,
            "name": res.name,
            "options": _options(res),
        }
        provider = self._provider(res)
        if provider is not None:
            kwargs["provider"] = provider
        return cls(**kwargs)

    def remediate(self, res: Resource) -> tuple[dict[str, Any], list[analyzer_pb2.Remediation]]:
        """Run remediations; return the properties the engine would go on with, and the remediations.
        (The engine does not strip internal keys for ``Remediate``.)"""
        inputs, remediations, _ = self.remediate_full(res)
        return inputs, remediations

    def remediate_full(
        self, res: Resource
    ) -> tuple[dict[str, Any], list[analyzer_pb2.Remediation], list[tuple[str, str]]]:
        """:meth:`remediate` plus the (policy, reason) pairs it reported not applicable."""
        response = self.stub.Remediate(self._request(res, res.inputs, analyzer_pb2.AnalyzeRequest))
        inputs = res.inputs
        for rem in response.remediations:
            if rem.HasField("properties") and rem.properties.fields:
                inputs = json_format.MessageToDict(rem.properties)
        not_applicable = [(n.policy_name, n.reason) for n in response.not_applicable]
        return inputs, list(response.remediations), not_applicable

    def analyze(self, res: Resource, inputs: dict[str, Any] | None = None) -> list[Diagnostic]:
        return self.analyze_full(res, inputs)[0]

    def analyze_full(
        self, res: Resource, inputs: dict[str, Any] | None = None
    ) -> tuple[list[Diagnostic], list[tuple[str, str]]]:
        """Diagnostics of ``Analyze`` and the (policy, reason) pairs reported not applicable."""
        props = analyzer_props(res.inputs if inputs is None else inputs)
        response = self.stub.Analyze(self._request(res, props, analyzer_pb2.AnalyzeRequest))
        not_applicable = [(n.policy_name, n.reason) for n in response.not_applicable]
        return [self._diag(d, res.urn) for d in response.diagnostics], not_applicable

    def analyze_stack(
        self, resources: Sequence[Resource], inputs_of: dict[str, dict] | None = None
    ) -> list[Diagnostic]:
        """``AnalyzeStack`` over ``resources``: outputs where a resource carries them, else the
        (remediated) inputs from ``inputs_of``, else its inputs."""
        items = []
        for res in resources:
            props = res.outputs if res.outputs is not None else (inputs_of or {}).get(res.urn, res.inputs)
            ar = self._request(res, analyzer_props(props), analyzer_pb2.AnalyzerResource)
            ar.parent = res.parent or ""
            ar.dependencies.extend(res.dependencies)
            for key, urns in stack_property_dependencies(res).items():
                ar.propertyDependencies[key].urns.extend(urns)
            items.append(ar)
        response = self.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=items))
        return [self._diag(d, "") for d in response.diagnostics]

    @staticmethod
    def _diag(d: analyzer_pb2.AnalyzeDiagnostic, urn: str) -> Diagnostic:
        return Diagnostic(
            policy=d.policyName,
            pack=d.policyPackName,
            message=d.message,
            enforcement_level=_LEVEL_NAMES[d.enforcementLevel],
            urn=d.urn or urn,
        )


@contextmanager
def launch_pack(
    pack_dir: str | Path,
    *,
    python: str = sys.executable,
    project: str = "project",
    stack: str = "dev",
    config: dict[str, str] | None = None,
    dry_run: bool = True,
    extra_env: dict[str, str] | None = None,
    legacy_env: bool = False,
    log_errors: bool = False,
) -> Iterator[AnalyzerClient]:
    """Start a pack exactly as today's Pulumi CLI does (``RunPlugin``: the caller's environment, no
    ``PULUMI_*`` stack variables) and yield a client for it. ``legacy_env`` imitates the retired
    ``pulumi-analyzer-policy-python`` route instead, which set ``project``, ``stack``, ``dry_run``
    and ``config`` as ``PULUMI_PROJECT``/``PULUMI_STACK``/``PULUMI_DRY_RUN``/``PULUMI_CONFIG``.
    ``log_errors`` makes grpc's server log a policy's exception with its traceback on the pack's
    stderr (grpc's logger has only a NullHandler: under the CLI the engine gets the message alone)."""
    pack_dir = Path(pack_dir).resolve()
    env = dict(os.environ)
    if legacy_env:
        env.update(
            {
                "PULUMI_PROJECT": project,
                "PULUMI_STACK": stack,
                "PULUMI_DRY_RUN": "true" if dry_run else "false",
                "PULUMI_CONFIG": json.dumps(config or {}),
            }
        )
    env.update(extra_env or {})
    command = [python, "-u", "-m", "pulumi.policy", _ENGINE_ADDRESS, str(pack_dir)]
    if log_errors:
        command[2:4] = ["-c", _LOGGING_MAIN]
    proc = subprocess.Popen(
        command,
        cwd=pack_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    channel = None
    output: deque[str] = deque()
    # stderr is read from the start (a pack that writes much there before serving must not block),
    # stdout once its first line, the port, is read -- as the engine does (plugin.go, runtrace)
    readers = [_reader(proc.stderr, output)]
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().decode().strip()
        if not first.isdigit():
            if not first:  # stdout closed: the pack is exiting, its stderr says why
                with suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=30)
                readers[0].join(timeout=30)
            err = "".join(output)
            raise RuntimeError(f"policy pack {pack_dir} did not print a port (got {first!r}): {err[-2000:]}")
        readers.append(_reader(proc.stdout, output))
        channel = grpc.insecure_channel(
            f"127.0.0.1:{first}",
            options=[
                ("grpc.max_receive_message_length", _MAX_MESSAGE),
                ("grpc.max_send_message_length", _MAX_MESSAGE),
            ],
        )
        grpc.channel_ready_future(channel).result(timeout=30)
        yield AnalyzerClient(analyzer_pb2_grpc.AnalyzerStub(channel), output=output)
    finally:
        if channel is not None:
            channel.close()
        proc.kill()
        proc.wait(timeout=10)
        for reader in readers:  # the pipes end with the process: every line is in `output` now
            reader.join(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _reader(stream: Any, into: deque[str]) -> threading.Thread:
    """A daemon thread appending each line of ``stream`` (a pack's pipe) to ``into``."""

    def read() -> None:
        for line in iter(stream.readline, b""):
            into.append(line.decode(errors="replace"))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def analyze_over_grpc(
    client: AnalyzerClient,
    stack: Stack,
    configured: dict[str, PolicyConfig],
) -> list[Diagnostic]:
    """The CLI's sequence for one pack over one stack: ConfigureStack (the CLI sends it as soon as the
    pack is up, before GetAnalyzerInfo), Configure, Remediate+Analyze each resource, AnalyzeStack.
    ``configured`` is what the CLI sends (``PackConfig.as_sent``: ``all`` is an entry of its own)."""
    client.configure_stack(stack)
    client.configure(configured)
    resources = stack.resources  # the root stack included, as the engine analyzes it
    client.providers = {r.urn: r for r in resources if r.is_provider}
    remediating = any(c.enforcement_level == "remediate" for c in configured.values())
    diagnostics: list[Diagnostic] = []
    inputs_of: dict[str, dict] = {}
    for res in resources:
        inputs = client.remediate(res)[0] if remediating else res.inputs
        inputs_of[res.urn] = inputs
        diagnostics.extend(client.analyze(res, inputs))
    known = {r.urn for r in stack.resources}
    for diag in client.analyze_stack(resources, inputs_of):
        # as the engine does: a stack-level violation on no (or an unknown) resource is the root stack's
        diag.urn = diag.urn if diag.urn in known else stack.root_urn
        diagnostics.append(diag)
    return diagnostics


def comparable(findings: Sequence[Finding]) -> list[tuple[str, str, str, str]]:
    """Findings reduced to what both paths know: (policy, urn, enforcement level, message)."""
    return sorted((f.policy, f.urn, f.enforcement_level, f.message) for f in findings)
