"""Run ``pulumi_policy`` policies over a :class:`~tierguard.model.records.Stack` in-process, with the
semantics of pulumi-policy's analyzer server (``pulumi_policy.policy._PolicyAnalyzerServicer``):

* props are deserialised from the wire form and wrapped by ``unknown_checking_proxy``; reading a
  value unknown during preview turns into an **advisory** "can't run policy ... during preview" note;
* enforcement levels come from the policy, then the config's ``all``, then the policy's own entry;
  ``disabled`` skips, ``remediate`` is reported as ``mandatory`` when a violation remains;
* ``remediate`` policies run before validation, and validation sees the remediated properties, as
  the engine calls ``Remediate`` before ``Analyze`` during ``pulumi preview``/``up``;
* violation messages are the policy description, a newline, and the reported message;
* ``not_applicable`` is recorded, stack policies see parents and dependencies resolved;
* what the engine hands a pack (:func:`analyzer_view`): the root ``pulumi:pulumi:Stack`` is a
  resource like the others, internal ``__``-prefixed keys are stripped from props (not from what
  remediations see), property dependencies with no dependency are dropped, and stack policies see
  a resource's outputs where the input carries them (stack exports), as the engine passes outputs;
* pack-level ``enforcement_level``/``initial_config`` and schema defaults (``packconfig``);
* ``pulumi.get_project()``, ``get_stack()`` and ``Config`` inside policies answer what they answer
  under today's CLI (:func:`configure_runtime`).

``tests/test_analyzer_parity.py`` keeps this honest against the real server launched as the CLI
launches it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from inspect import isawaitable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pulumi
import pulumi.runtime
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties, serialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import (
    UnknownValueError,
    _DictProxy,
    _ListProxy,
    _proxy_helper,
    unknown_checking_proxy,
)

from tierguard.crossguard.analyzer_view import analyzer_props, provider_urn, stack_property_dependencies
from tierguard.crossguard.packconfig import PackConfig, PolicyConfig
from tierguard.evaluate.packio import PackFailure, PackOutput, from_exception
from tierguard.model import wire
from tierguard.model.records import (
    Exempted,
    Finding,
    InputError,
    Location,
    Remediation,
    Resource,
    Result,
    Rule,
    Stack,
)
from tierguard.policies import stackcontext
from tierguard.policies.base import Pack, honours_exemptions, rule_of, type_filter
from tierguard.policies.exemptions import CONFIG_PROPERTIES, Exemption, ExemptionError, stale_text

# pulumi-policy's server always reports this version; the CLI uses PulumiPolicy.yaml's for display.
PACK_VERSION = "0.0.1"


def _run(result: Any) -> Any:
    if result is not None and isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(result)
        finally:
            loop.close()
    return result


def _as_received(value: Any) -> Any:
    """Values as a pack receives them over gRPC: a protobuf ``Struct`` has only doubles, so every
    integer arrives as a float (``10`` becomes ``10.0``) in props and in policy config alike."""
    if isinstance(value, dict):
        return {k: _as_received(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_received(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _view(value: Any, acc: list[str], inside: bool, secrets: set[str]) -> Any:
    """``_props(value)`` in one walk instead of three: the values as a pack receives them (secrets
    unwrapped, assets rebuilt, integers as floats), wrapped in pulumi-policy's unknown-checking
    proxies exactly as ``unknown_checking_proxy`` wraps them (same classes, same property paths),
    while adding to ``secrets`` what :func:`tierguard.model.wire.secret_strings` finds, for redaction."""
    if isinstance(value, dict):
        sig = value.get(wire.SIG_KEY)
        if sig is None:
            return _DictProxy({k: _view(v, [*acc, str(k)], inside, secrets) for k, v in value.items()}, acc)
        if sig == wire.SECRET_SIG:
            return _view(value.get("value"), acc, True, secrets)
        secrets.update(wire.secret_strings(value, inside))
        return _proxy_helper(deserialize_properties({"v": _as_received(value)})["v"], acc)
    if isinstance(value, list):
        return _ListProxy([_view(v, [*acc, str(i)], inside, secrets) for i, v in enumerate(value)], acc)
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        if inside:
            text = str(value)
            if text and text != wire.SECRET_PLACEHOLDER:
                secrets.add(text)
        if isinstance(value, int):
            return float(value)
    return value


def _props(inputs: dict[str, Any], keep_secrets: bool = False) -> Any:
    """Deserialise wire inputs and wrap them the way the analyzer server does; remediations keep
    secrets wrapped (``proxy_secrets=True``) so that what they return stays secret."""
    if keep_secrets:
        return unknown_checking_proxy(deserialize_properties(_as_received(inputs), True))
    return _view(inputs, [], False, set())


def _options(res: Resource) -> PolicyResourceOptions:
    timeouts = res.custom_timeouts or {}
    return PolicyResourceOptions(
        protect=res.protect,
        ignore_changes=list(res.ignore_changes),
        delete_before_replace=res.delete_before_replace,
        aliases=list(res.aliases),
        custom_timeouts=PolicyCustomTimeouts(
            timeouts.get("create", 0), timeouts.get("update", 0), timeouts.get("delete", 0)
        ),
        additional_secret_outputs=list(res.additional_secret_outputs),
        parent=res.parent or None,
    )


def configure_runtime(stack: Stack) -> None:
    """The runtime a policy sees under today's CLI. The engine starts a Python pack through the
    language host's ``RunPlugin`` with the CLI's own environment and sets no ``PULUMI_PROJECT``,
    ``PULUMI_STACK``, ``PULUMI_DRY_RUN`` or ``PULUMI_CONFIG`` (pkg/resource/plugin/analyzer_plugin.go,
    ``NewPolicyAnalyzer``; only the retired ``pulumi-analyzer-policy-python`` route did), so the
    analyzer server never configures the runtime: ``pulumi.get_project()``/``get_stack()`` return the
    SDK's defaults ("project"/"stack"), the stack's config is not there, and ``pulumi.Config`` reads
    only what the environment holds (``PULUMI_CONFIG_<KEY>``). The stack arrives through
    ``ConfigureStack`` instead, of which pulumi-policy keeps the tags (``args.stack_tags``)."""
    from pulumi.runtime import config as runtime_config

    del stack  # nothing of the stack reaches the runtime on this route
    pulumi.runtime.configure(
        pulumi.runtime.Settings(
            project="project", stack="stack", root_directory="root_directory", organization="organization"
        )
    )
    runtime_config.CONFIG.set({})
    runtime_config._SECRET_KEYS.set(set())


_NONE = object()
# around a built-in pack's calls: its code prints nothing, so nothing is redirected
_AS_IS: AbstractContextManager[Any] = nullcontext()


def failed(exc: Exception, pack: Pack, policy: str, urn: str) -> PackFailure:
    """A user's pack's exception as the one line of a failed check, as the CLI fails the preview
    on it (a built-in pack's own error, a bug of tierguard's, is not caught)."""
    assert pack.source
    return from_exception(exc, pack.name, policy, urn, Path(pack.source), where=pack.source)


def output_of(pack: Pack, secrets: set[str] | None = None) -> AbstractContextManager[Any]:
    """Around each call into ``pack``: a user's pack's own output goes to stderr, prefixed with
    its name and ``secrets`` redacted (never to stdout, where the report goes); a built-in pack's
    is left as it is."""
    return PackOutput(pack.name, secrets) if pack.source else _AS_IS


class _Providers:
    """Provider resources by URN, each wrapped once for every resource that uses it."""

    def __init__(self, by_urn: dict[str, Resource]) -> None:
        self.by_urn = by_urn
        self.wrapped: dict[str, PolicyProviderResource | None] = {}
        self.by_reference: dict[str, PolicyProviderResource | None] = {}

    def of(self, res: Resource) -> PolicyProviderResource | None:
        if not res.provider:
            return None
        found = self.by_reference.get(res.provider, _NONE)
        if found is _NONE:
            found = self.by_reference[res.provider] = self._wrap(res.provider)
        return found  # type: ignore[return-value]

    def _wrap(self, reference: str) -> PolicyProviderResource | None:
        # the engine's provider reference is "<urn>::<id>"; a URN alone has three "::"
        urn = provider_urn(reference)
        if urn not in self.wrapped:
            prov = self.by_urn.get(urn)
            self.wrapped[urn] = (
                None
                if prov is None
                else PolicyProviderResource(
                    prov.type, _props(analyzer_props(prov.inputs)), prov.urn, prov.name
                )
            )
        return self.wrapped[urn]


class _PolicyRun:
    """One policy over one stack: its settings worked out once, and the ``report_violation``
    callback the policy is handed (the resource it reports on is set before each call)."""

    def __init__(
        self,
        pack: Pack,
        policy: Any,
        level: str,
        config: dict[str, Any],
        stack: Stack,
        result: Result,
        secrets: set[str] | None = None,
    ) -> None:
        self.pack = pack
        self.policy = policy
        self.rule = rule_of(policy)
        # which resource types the policy can judge (None: every type); set by the evaluator
        self.judges: Callable[[str], bool] | None = None
        # a violation that survives remediation is reported as mandatory, as the analyzer does
        self.level = "mandatory" if level == "remediate" else level
        # read-only and shared: the analyzer hands each call its own copy, so no call sees another's
        self.config = MappingProxyType(config)
        self.stack = stack
        self.result = result
        self.fallback = Location(stack.project_file) if stack.project_file else None
        self.by_urn: dict[str, Resource] = {}
        self.res: Resource | None = None
        self.output = output_of(pack, secrets)

    def __call__(self, message: str, urn: str | None = None) -> None:
        """``report_violation``: the message is the description, a newline, and the detail."""
        if message and not isinstance(message, str):
            raise TypeError("Expected message to be a string")
        if urn is not None and not isinstance(urn, str):
            raise TypeError("Expected urn to be a string")
        self.result.findings.append(self._finding(message, urn, missing_urn=self.stack.root_urn))

    def _finding(self, detail: str | None, urn: str | None, missing_urn: str) -> Finding:
        """This policy's finding on the resource in hand, or on the one ``urn`` names (a stack
        policy); ``missing_urn`` when neither is known."""
        target = self.res if self.res is not None else self.by_urn.get(urn or "")
        return Finding(
            policy=self.policy.name,
            pack=self.pack.name,
            category=self.rule.category,
            severity=self.rule.severity,
            enforcement_level=self.level,
            message=self.policy.description + (f"\n{detail}" if detail else ""),
            urn=target.urn if target else missing_urn,
            type=target.type if target else "",
            location=(target.location if target and target.location else self.fallback),
            stack=self.stack.label,
        )

    def exempted(self, message: str, urn: str | None, exemption: Exemption, detail: str | None) -> None:
        """The rule layer's hook for a finding an exemption covers (see ``honouring_exemptions``):
        kept apart from the findings, with the advisory message the CLI would show."""
        finding = self._finding(detail, urn, missing_urn=urn or "")
        self.result.exempted.append(
            Exempted(finding, exemption, self.policy.description + (f"\n{message}" if message else ""))
        )

    def check(self, args: Any, res: Resource | None) -> None:
        self.res = res
        urn = res.urn if res is not None else self.stack.root_urn
        try:
            with self.output:
                _run(self.policy.validate(args, self))
        except UnknownValueError as exc:
            self.result.findings.append(
                Finding(
                    policy=self.policy.name,
                    pack=self.pack.name,
                    category=self.rule.category,
                    severity=self.rule.severity,
                    enforcement_level=EnforcementLevel.ADVISORY.value,
                    message=(
                        f"can't run policy '{self.policy.name}' from policy pack "
                        f"'{self.pack.name}@v{PACK_VERSION}' during preview: {exc.message}"
                    ),
                    urn=urn,
                    type=res.type if res else "",
                    location=res.location if res else None,
                    stack=self.stack.label,
                    kind="note",
                )
            )
        except _NotApplicableError as exc:
            self.result.not_applicable.append((self.policy.name, urn, exc.reason or ""))
        except Exception as exc:  # a user's pack's error fails the check, as it fails the preview
            if not self.pack.source:
                raise
            raise failed(exc, self.pack, self.policy.name, urn) from None


@dataclass
class _Prepared:
    """What one evaluation needs per policy, worked out once rather than per resource."""

    remediating: list[tuple[Pack, ResourceValidationPolicy, dict[str, Any]]]
    validating: list[_PolicyRun]
    without_validate: list[str]
    stack_level: list[_PolicyRun]
    # per remediation (same order): which types it can change, None for every type
    remediation_judges: list[Callable[[str], bool] | None] = field(default_factory=list)
    # type token -> (the remediations, the validating runs) that can judge it, in pack order
    by_type: dict[str, tuple[list[Any], list[_PolicyRun]]] = field(default_factory=dict)

    def for_type(self, type_token: str) -> tuple[list[Any], list[_PolicyRun]]:
        """The remediations and resource policies to call for a resource of this type: every one
        whose declared types (``Rule.resource_types``) include it. The others cannot report
        anything on it, so they are skipped; the CLI calls them all, to the same findings."""
        found = self.by_type.get(type_token)
        if found is None:
            remediating = [
                r
                for r, judges in zip(self.remediating, self.remediation_judges, strict=True)
                if judges is None or judges(type_token)
            ]
            validating = [r for r in self.validating if r.judges is None or r.judges(type_token)]
            found = self.by_type[type_token] = (remediating, validating)
        return found


class Evaluator:
    """Evaluates a fixed list of packs, each with its reconciled configuration: ``config`` serves
    every pack (one file for tierguard's packs), ``paired`` gives a pack its own file, by position,
    the way ``pulumi preview`` pairs ``--policy-pack-config`` with ``--policy-pack``."""

    def __init__(
        self,
        packs: Sequence[Pack],
        config: PackConfig | None = None,
        paired: Sequence[PackConfig | None] | None = None,
        prefilter: bool = True,
    ) -> None:
        self.packs = list(packs)
        self.config = config or PackConfig()
        self.paired = list(paired or [])
        # skip the policies whose declared resource types exclude a resource (Rule.resource_types);
        # False calls every policy for every resource, as the CLI does (the tests compare the two)
        self.prefilter = prefilter
        # the secret values of the stack being evaluated (grows as resources are read): redacted
        # from findings, from a user's pack's output and from its failure
        self._secrets: set[str] = set()

    def rules(self) -> dict[str, tuple[str, Rule]]:
        """policy name -> (pack name, rule) for every policy of the packs (the first pack naming a
        policy wins): what reporters describe, so they never load a pack themselves."""
        out: dict[str, tuple[str, Rule]] = {}
        for pack in self.packs:
            for policy in pack.policies:
                out.setdefault(policy.name, (pack.name, rule_of(policy)))
        return out

    def config_of(self, index: int) -> PackConfig:
        """The config file that applies to the ``index``-th pack."""
        own = self.paired[index] if index < len(self.paired) else None
        return own if own is not None else self.config

    def policy_configs(self, stack: Stack) -> list[dict[str, PolicyConfig]]:
        """Per pack (in order), each policy's reconciled level and properties for ``stack``."""

        def reconciled(config: PackConfig, scope: list[Pack]) -> dict[str, PolicyConfig]:
            if stack.tier:  # --tier reaches every policy whose schema has `tier`
                tiered = [p.name for pk in scope for p in pk.policies if "tier" in rule_of(p).config]
                config = config.with_properties(tiered, {"tier": stack.tier})
            return config.reconcile(scope)

        shared = [p for i, p in enumerate(self.packs) if self.config_of(i) is self.config]
        shared_result = reconciled(self.config, shared) if shared else {}
        out = []
        for i, pack in enumerate(self.packs):
            config = self.config_of(i)
            result = shared_result if config is self.config else reconciled(config, [pack])
            out.append({p.name: result[p.name] for p in pack.policies})
        return out

    def policy_config(self, stack: Stack) -> dict[str, PolicyConfig]:
        """Every policy's reconciled settings for ``stack``, by name (packs in order)."""
        return {k: v for per_pack in self.policy_configs(stack) for k, v in per_pack.items()}

    def _prepare(
        self, configs: Sequence[tuple[Pack, dict[str, PolicyConfig]]], stack: Stack, result: Result
    ) -> _Prepared:
        prepared = _Prepared([], [], [], [])
        for pack, configured in configs:
            for policy in pack.policies:
                level = configured[policy.name].enforcement_level
                if level == "disabled":
                    continue
                config = _as_received(configured[policy.name].properties)
                if isinstance(policy, ResourceValidationPolicy):
                    judges = type_filter(rule_of(policy), config) if self.prefilter else None
                    if level == "remediate" and policy.has_remediation():
                        prepared.remediating.append((pack, policy, config))
                        prepared.remediation_judges.append(judges)
                    if not policy.has_validation():
                        prepared.without_validate.append(policy.name)
                        continue
                    run = _PolicyRun(pack, policy, level, config, stack, result, self._secrets)
                    run.judges = judges
                    prepared.validating.append(run)
                elif isinstance(policy, StackValidationPolicy):
                    prepared.stack_level.append(
                        _PolicyRun(pack, policy, level, config, stack, result, self._secrets)
                    )
        return prepared

    def evaluate(self, stack: Stack) -> Result:
        per_pack = self.policy_configs(stack)
        self._configure_exemptions(stack, {k: v for c in per_pack for k, v in c.items()})
        try:
            return self._evaluate(stack, per_pack)
        finally:
            stackcontext.reset()

    def _configure_exemptions(self, stack: Stack, configured: dict[str, PolicyConfig]) -> None:
        """Fill the stack context the packs' policies read, as ConfigureStack and Configure do
        under the CLI, and refuse a malformed exemption before any work (exit 2)."""
        file, everywhere = self._everywhere()
        stackcontext.reset()
        stackcontext.configure_stack(
            config=stack.config,
            secret_keys=stack.config_secret_keys,
            stack_file=stack.config_file,
        )
        policy_config: dict[str, Any] = {n: c.properties for n, c in configured.items()}
        if everywhere:
            policy_config["all"] = everywhere
        stackcontext.configure_policies(policy_config, file)
        try:
            stackcontext.exemptions()
        except ExemptionError as exc:
            stackcontext.reset()
            raise InputError(exc.file or stack.source, f"{exc.where}: {exc.problem}") from None

    def _everywhere(self) -> tuple[str | None, dict[str, Any]]:
        """The policy config file the exemptions come from, and its ``all`` settings: the one file
        that serves the packs (a user's pack is paired with its own), or the shared one. Two files
        each with settings under ``all`` are refused: under the CLI each reaches only its own pack,
        and tierguard reads one list for the whole evaluation."""
        served = list({id(c): c for c in (self.config_of(i) for i in range(len(self.packs)))}.values())
        with_all = [c for c in served if _all_settings(c)]
        if len(with_all) > 1:
            raise InputError(
                with_all[1].source,
                f"exemption settings under `all` in two policy config files ({with_all[0].source}): "
                "list those exemptions under each policy instead",
            )
        if with_all:
            return with_all[0].source, _all_settings(with_all[0])
        named = [c for c in served if c.source]
        return (named[0].source if len(named) == 1 else self.config.source), {}

    def _stale_exemptions(self, prepared: _Prepared, result: Result) -> None:
        """Per pack, as each pack does under the CLI: exemptions of its enabled policies that
        decided none of their findings become an advisory note on the first such policy."""
        runs = [*prepared.validating, *prepared.stack_level]
        for pack in self.packs:
            by_name = {r.policy.name: r for r in runs if r.pack is pack and honours_exemptions(r.policy)}
            for name, ex in stackcontext.stale(by_name):
                run = by_name[name]
                result.findings.append(
                    Finding(
                        policy=name,
                        pack=pack.name,
                        category=run.rule.category,
                        severity=run.rule.severity,
                        enforcement_level="advisory",
                        message=f"{run.policy.description}\n{stale_text(ex, pack.name)}",
                        urn=run.stack.root_urn,  # a stack-level note: the engine files it there
                        location=run.fallback,
                        stack=run.stack.label,
                        kind="note",
                    )
                )

    def _evaluate(self, stack: Stack, per_pack: list[dict[str, PolicyConfig]]) -> Result:
        secrets = self._secrets = {stack.config[k] for k in stack.config_secret_keys if stack.config.get(k)}
        try:
            return self._evaluate_with(stack, per_pack, secrets)
        except PackFailure as failure:  # one line, its secrets redacted, the traceback in a file
            raise failure.finished(lambda text: wire.redact(text, secrets)) from None

    def _evaluate_with(
        self, stack: Stack, per_pack: list[dict[str, PolicyConfig]], secrets: set[str]
    ) -> Result:
        started = time.perf_counter()
        result = Result(stack=stack, packs=[p.name for p in self.packs], rules=self.rules())
        configs = list(zip(self.packs, per_pack, strict=True))
        prepared = self._prepare([(p, c) for p, c in configs if p.runner is None], stack, result)
        configure_runtime(stack)

        # the root stack is a resource like the others: the engine analyzes it too
        checked = stack.resources
        providers = _Providers({r.urn: r for r in checked if r.is_provider})
        props_of: dict[str, Any] = {}
        for res in checked:
            if res.outputs:
                secrets.update(wire.secret_strings(res.outputs))
            remediating, validating = prepared.for_type(res.type)
            inputs = (
                self._remediate(res, remediating, providers, stack, result) if remediating else res.inputs
            )
            # one read-only view per resource serves its resource and stack policies alike; the walk
            # that builds it collects the secrets to redact, unless a remediation or the engine's
            # internal keys made it a view of other values than the resource's own inputs
            seen = analyzer_props(inputs)
            props = _view(seen, [], False, secrets if seen is res.inputs else set())
            if seen is not res.inputs:
                secrets.update(wire.secret_strings(res.inputs))
            props_of[res.urn] = props
            self._analyze(res, props, validating, prepared, providers, stack, result)
        if prepared.stack_level:
            for res in checked:  # stack policies see outputs where the input carries them
                if res.outputs is not None:
                    props_of[res.urn] = _props(analyzer_props(res.outputs))
            self._analyze_stack(checked, props_of, prepared, providers, stack, result)
        for i, (pack, configured) in enumerate(configs):
            if pack.runner is not None:  # a pack served from its own virtualenv, sent what the CLI sends
                pack.runner.evaluate(pack, stack, {**configured, **self.config_of(i).everywhere()}, result)
        self._stale_exemptions(prepared, result)

        if secrets:
            result.findings = [replace(f, message=wire.redact(f.message, secrets)) for f in result.findings]
            result.exempted = [
                replace(
                    e,
                    finding=replace(e.finding, message=wire.redact(e.finding.message, secrets)),
                    advisory_message=wire.redact(e.advisory_message, secrets),
                )
                for e in result.exempted
            ]
        result.timings["evaluate"] = time.perf_counter() - started
        return result

    # -- per resource ---------------------------------------------------------------------------

    def _remediate(
        self,
        res: Resource,
        remediating: list[tuple[Pack, ResourceValidationPolicy, dict[str, Any]]],
        providers: _Providers,
        stack: Stack,
        result: Result,
    ) -> dict[str, Any]:
        """Run remediations in pack order; return the (possibly rewritten) wire inputs."""
        inputs = res.inputs
        props: Any = _props(inputs, True)
        opts = _options(res)
        provider = providers.of(res)
        for pack, policy, config in remediating:
            args = ResourceValidationArgs(
                res.type, props, res.urn, res.name, opts, provider, dict(config), stack.tags
            )
            try:
                with output_of(pack, self._secrets):
                    new_props = _run(policy.remediate(args))
                if new_props and not isinstance(new_props, Mapping):  # pulumi-policy fails on it too
                    kind = type(new_props).__name__
                    raise TypeError(f"remediate returned a {kind}, not a dict of properties")
                if new_props:
                    props = new_props
                    inputs = dict(serialize_properties(new_props))
                    result.remediations.append(Remediation(policy.name, pack.name, res.urn, inputs))
            except UnknownValueError as exc:
                result.remediations.append(
                    Remediation(
                        policy.name,
                        pack.name,
                        res.urn,
                        None,
                        f"can't run remediation '{policy.name}' from policy pack "
                        f"'{pack.name}@v{PACK_VERSION}' during preview: {exc.message}",
                    )
                )
            except _NotApplicableError as exc:
                result.not_applicable.append((policy.name, res.urn, exc.reason or ""))
            except Exception as exc:  # a remediation that raises, or returns what cannot be serialised
                if not pack.source:
                    raise
                raise failed(exc, pack, policy.name, res.urn) from None
        return inputs

    def _analyze(
        self,
        res: Resource,
        props: Any,
        validating: list[_PolicyRun],
        prepared: _Prepared,
        providers: _Providers,
        stack: Stack,
        result: Result,
    ) -> None:
        for name in prepared.without_validate:
            result.not_applicable.append((name, res.urn, "Policy does not implement validate"))
        if not validating:
            return
        opts = _options(res)
        provider = providers.of(res)
        for run in validating:
            run.check(
                ResourceValidationArgs(
                    res.type, props, res.urn, res.name, opts, provider, run.config, stack.tags
                ),
                res,
            )

    def _analyze_stack(
        self,
        resources: list[Resource],
        props_of: dict[str, Any],
        prepared: _Prepared,
        providers: _Providers,
        stack: Stack,
        result: Result,
    ) -> None:
        built: dict[str, PolicyResource] = {}
        for res in resources:
            built[res.urn] = PolicyResource(
                res.type,
                props_of[res.urn],
                res.urn,
                res.name,
                _options(res),
                providers.of(res),
                None,
                [],
                {},
            )
        for res in resources:
            pr = built[res.urn]
            if res.parent and res.parent in built:
                pr.parent = built[res.parent]
            pr.dependencies.extend(built[d] for d in res.dependencies if d in built)
            for key, deps in stack_property_dependencies(res).items():
                pr.property_dependencies[key] = [built[d] for d in deps if d in built]
        policy_resources = list(built.values())
        by_urn = stack.by_urn()
        for run in prepared.stack_level:
            run.by_urn = by_urn
            run.check(StackValidationArgs(policy_resources, run.config, stack.tags), None)


def _all_settings(config: PackConfig) -> dict[str, Any]:
    """What a config file's ``all`` says of exemptions (``exemptions``, ``maxExemptionDays``)."""
    everywhere = config.entries.get("all")
    if not isinstance(everywhere, dict):
        return {}
    return {k: v for k, v in everywhere.items() if k in CONFIG_PROPERTIES}


def evaluate(
    stack: Stack,
    packs: Iterable[Pack],
    config: PackConfig | None = None,
    paired: Sequence[PackConfig | None] | None = None,
    prefilter: bool = True,
) -> Result:
    """Evaluate ``packs`` over ``stack`` (convenience for one-off calls and tests)."""
    return Evaluator(list(packs), config, paired, prefilter).evaluate(stack)
