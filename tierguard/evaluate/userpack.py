"""A user's own Python policy pack, loaded from its directory without serving it.

``pulumi preview --policy-pack DIR`` takes a directory with a ``PulumiPolicy.yaml`` (runtime
``python``) and a ``__main__.py`` that builds a ``PolicyPack(...)`` at module level -- which starts
the analyzer's gRPC server and never returns. tierguard loads the same directory two ways:

* **in-process** (the pack names no ``virtualenv``): ``__main__.py`` runs in tierguard's interpreter
  with the pack directory on ``sys.path``, the way ``python -m pulumi.policy`` runs it, while
  ``pulumi_policy.PolicyPack`` is replaced by a stand-in that captures its arguments (policies,
  pack enforcement level, ``initial_config``, description) and stops the module there -- as the real
  one never returns either. The policies then run in the shared evaluator.
* **in its own virtualenv** (``runtime.options.virtualenv``, or a ``venv`` directory in the pack,
  which the CLI's Python host uses when the option is absent): its imports resolve only there, so
  the pack is started there as the CLI starts it and driven over the analyzer protocol
  (:mod:`tierguard.crossguard.analyzer_host`); the process lives as long as tierguard's. (Where the CLI would
  refuse a pack without any virtualenv, tierguard runs it in-process instead.)

Either way a loaded pack is cached per process. A bad pack is an :class:`InputError` (exit 2) with
one line naming the pack.
"""

from __future__ import annotations

import atexit
import inspect
import io
import re
import runpy
import sys
import traceback
from collections.abc import Callable
from contextlib import ExitStack, redirect_stderr, redirect_stdout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from tierguard.evaluate.packio import emit_lines, from_analyzer, from_exception
from tierguard.model.files import load_yaml
from tierguard.model.records import Exempted, Finding, InputError, Location, Remediation, Result, Stack
from tierguard.policies import stackcontext
from tierguard.policies.base import (
    Pack,
    declares_exemptions,
    foreign_rule,
    honours_exemptions,
    register_rule,
    rule_of,
    with_exemptions,
)
from tierguard.policies.exemptions import Exemption, exempted_text, stale_text

_CACHE: dict[Path, Pack] = {}
_NAME_RE = re.compile(r"^[a-zA-Z0-9-_.]{1,100}$")
_PREVIEW_NOTE = "can't run policy '"
# The virtualenv the CLI's Python language host defaults a plugin (a policy pack) to.
DEFAULT_VENV = "venv"


@dataclass(frozen=True)
class PackProject:
    """What ``PulumiPolicy.yaml`` says: the runtime, its virtualenv (resolved), version, description."""

    directory: Path
    runtime: str
    virtualenv: Path | None
    version: str | None
    description: str | None


def read_project(directory: str | Path) -> PackProject:
    """``PulumiPolicy.yaml`` of a pack directory, checked: it exists and its runtime is Python."""
    d = Path(directory)
    if not d.is_dir():
        raise InputError(str(d), "no such policy pack directory")
    f = d / "PulumiPolicy.yaml"
    if not f.is_file():
        raise InputError(str(d), "not a policy pack: no PulumiPolicy.yaml in it")
    doc = load_yaml(f, "PulumiPolicy.yaml")
    if not isinstance(doc, dict):
        raise InputError(str(f), "PulumiPolicy.yaml must be a mapping with a `runtime`")
    runtime = doc.get("runtime")
    options: dict[str, Any] = {}
    if isinstance(runtime, dict):
        options = runtime.get("options") or {}
        runtime = runtime.get("name")
    if not isinstance(runtime, str) or not runtime:
        raise InputError(str(f), "PulumiPolicy.yaml has no `runtime`")
    if runtime != "python":
        raise InputError(
            str(f),
            f"runtime {runtime!r}: tierguard runs Python policy packs only; "
            f"the Pulumi CLI runs this one (pulumi preview --policy-pack {d})",
        )
    if not isinstance(options, dict):
        options = {}
    venv = options.get("virtualenv")
    venv_path = None
    if venv:
        venv_path = Path(str(venv)) if Path(str(venv)).is_absolute() else d / str(venv)
    elif options.get("toolchain", "pip") == "pip" and (d / DEFAULT_VENV / "bin" / "python").exists():
        # The CLI's Python host runs a plugin in `venv` when the pack names no virtualenv
        # ("we don't support running plugins using the global or ambient Python environment"),
        # which is where `pulumi policy new` installs the pack's requirements.
        venv_path = d / DEFAULT_VENV
    version = doc.get("version")
    description = doc.get("description")
    return PackProject(
        d,
        runtime,
        venv_path,
        str(version) if version is not None else None,
        str(description) if description else None,
    )


def load_policy_pack(directory: str | Path) -> Pack:
    """The pack in ``directory`` (cached per process by its resolved path)."""
    key = Path(directory).resolve()
    pack = _CACHE.get(key)
    if pack is None:
        project = read_project(Path(directory))
        pack = _load_in_venv(project) if project.virtualenv else _load_in_process(project)
        _CACHE[key] = pack
    return pack


# -- in-process ----------------------------------------------------------------------------------


class _Captured(BaseException):
    """Raised by the stand-in PolicyPack: the module stops there, as it would block there."""

    def __init__(self, arguments: dict[str, Any]) -> None:
        super().__init__("PolicyPack captured")
        self.arguments = arguments


def _stand_in(real_init: Callable[..., None]) -> Callable[..., None]:
    """An ``__init__`` for ``PolicyPack`` that checks and captures its arguments, then stops."""
    signature = inspect.signature(real_init)

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)  # a wrong call fails as the real one would
        arguments = dict(bound.arguments)
        arguments.pop("self", None)
        _check(arguments)
        raise _Captured(arguments)

    return init


def _check(arguments: dict[str, Any]) -> None:
    """The argument checks ``PolicyPack.__init__`` makes before it starts serving."""
    from pulumi_policy import EnforcementLevel, Policy

    name = arguments.get("name")
    if not name or not isinstance(name, str):
        raise TypeError("Missing name argument" if not name else "Expected name to be a string")
    if _NAME_RE.match(name) is None:
        raise TypeError(
            f"Invalid policy pack name {name}. Policy pack names may only contain "
            "alphanumerics, hyphens, underscores, or periods."
        )
    policies = arguments.get("policies")
    if not policies:
        raise TypeError("Missing policies argument")
    if not isinstance(policies, list):
        raise TypeError("Expected policies to be a list of policies")
    if not all(isinstance(p, Policy) for p in policies):
        raise TypeError("Expected each policy in policies to be a Policy")
    level = arguments.get("enforcement_level")
    if level is not None and not isinstance(level, EnforcementLevel):
        raise TypeError("Expected enforcement_level to be an EnforcementLevel")
    initial = arguments.get("initial_config")
    if initial is not None:
        if not isinstance(initial, dict):
            raise TypeError("Expected initial_config to be a dict")
        for k, v in initial.items():
            if not isinstance(v, (EnforcementLevel, dict)):
                raise TypeError(f"Expected initial_config['{k}'] to be an EnforcementLevel or dict")


def _where(exc: BaseException, directory: Path) -> str:
    """``file:line`` of the innermost frame inside the pack (else its __main__.py)."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if Path(f.filename).resolve().is_relative_to(directory)
    ]
    if frames:
        return f"{frames[-1].filename}:{frames[-1].lineno}"
    return str(directory / "__main__.py")


def _normalised(initial: dict[str, Any] | None) -> dict[str, Any]:
    """``initial_config`` in the config-file form (levels as strings)."""
    out: dict[str, Any] = {}
    for key, value in (initial or {}).items():
        if isinstance(value, dict):
            level = value.get("enforcementLevel")
            entry = {k: v for k, v in value.items() if k != "enforcementLevel"}
            if level is not None:
                entry["enforcementLevel"] = getattr(level, "value", level)
            out[key] = entry
        else:
            out[key] = value.value
    return out


def _load_in_process(project: PackProject) -> Pack:
    from pulumi_policy import PolicyPack

    directory = project.directory.resolve()
    main = directory / "__main__.py"
    if not main.is_file():
        raise InputError(str(project.directory), "not a Python policy pack: no __main__.py in it")
    before = set(sys.modules)
    name = directory.name
    captured: dict[str, Any] | None = None
    with ExitStack() as undo:
        # the class itself, so that every name bound to it (`from pulumi_policy import PolicyPack`
        # in any module, imported before or after) builds the stand-in
        real_init = PolicyPack.__init__
        PolicyPack.__init__ = _stand_in(real_init)  # type: ignore[method-assign]
        undo.callback(setattr, PolicyPack, "__init__", real_init)
        argv = sys.argv
        undo.callback(setattr, sys, "argv", argv)
        # what the pack prints while it loads: shown on stderr under its name, once it is known
        printed, stdout = io.StringIO(), io.StringIO()
        undo.callback(lambda: emit_lines(captured["name"] if captured else name, printed.getvalue()))
        undo.enter_context(redirect_stdout(_Tee(stdout, printed)))
        undo.enter_context(redirect_stderr(printed))
        try:
            # as `python -m pulumi.policy` does: run the directory, its __main__.py as __main__
            runpy.run_path(str(directory), run_name="__main__")
        except _Captured as done:
            captured = done.arguments
        except ModuleNotFoundError as exc:
            raise InputError(
                _where(exc, directory),
                f"policy pack {directory.name}: cannot import {exc.name!r}: install it into tierguard's "
                f"environment ({sys.prefix}), or name the pack's own virtualenv in PulumiPolicy.yaml "
                "(runtime.options.virtualenv)",
            ) from None
        except SystemExit as exc:
            raise InputError(
                str(main), f"policy pack {directory.name}: exited ({exc.code}) before building a PolicyPack"
            ) from None
        except Exception as exc:  # the pack's own error: its message and line, the traceback in a file
            raise from_exception(exc, name, None, None, directory, where=str(main)).finished() from None
    if captured is None:
        raise InputError(
            str(main), f"policy pack {directory.name}: __main__.py never constructs a PolicyPack"
        )
    if stdout.getvalue():
        raise InputError(str(main), _printed_before_serving(captured["name"], stdout.getvalue()))
    # Later imports inside policies resolve as they would in the pack's process; the pack's own
    # modules leave sys.modules so that another pack's module of the same name loads as its own.
    if str(directory) not in sys.path:
        sys.path.append(str(directory))
    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None)
        if file and Path(file).resolve().is_relative_to(directory):
            del sys.modules[name]
    return _pack_of(captured, project)


class _Tee(io.StringIO):
    """Writes to two streams: what a pack prints to stdout while it loads is kept apart (see
    :func:`_printed_before_serving`) and shown with the rest."""

    def __init__(self, *targets: io.StringIO) -> None:
        super().__init__()
        self.targets = targets

    def write(self, text: str) -> int:
        for target in self.targets:
            target.write(text)
        return len(text)


def _printed_before_serving(name: str, text: str) -> str:
    """The problem of a pack that prints to stdout before it serves, as the CLI meets it."""
    first = text.strip().splitlines()[0] if text.strip() else text
    return (
        f"policy pack {name}: prints to stdout while it loads ({first[:60]!r}): the Pulumi CLI reads "
        "the first line of a pack's stdout as its port and fails ('wrote an invalid port to stdout'); "
        "print to sys.stderr, or inside a policy"
    )


def _pack_of(arguments: dict[str, Any], project: PackProject) -> Pack:
    level = arguments.get("enforcement_level")
    pack_level = level.value if level is not None else "advisory"
    name = arguments["name"]
    policies = tuple(arguments["policies"])
    initial = _normalised(arguments.get("initial_config"))
    for policy in policies:
        rule = foreign_rule(policy, name, pack_level)
        default = _initial_level(initial, policy.name, rule.enforcement)
        register_rule(policy, replace(rule, enforcement=default))
    return Pack(
        name=name,
        description=arguments.get("description") or project.description or "",
        policies=policies,
        enforcement_level=pack_level,
        initial_config=initial,
        source=str(project.directory),
    )


def _initial_level(initial: dict[str, Any], name: str, level: str) -> str:
    """A policy's default level once the pack's ``initial_config`` applies (``all``, then its own),
    what ``tierguard policies`` shows as its default."""
    for key in ("all", name):
        entry = initial.get(key)
        value = entry.get("enforcementLevel") if isinstance(entry, dict) else entry
        if isinstance(value, str) and value:
            level = value
    return level


# -- in its own virtualenv, over the analyzer protocol ----------------------------------------------


_LEVEL_NAMES = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
_SEVERITIES = {1: "low", 2: "medium", 3: "high", 4: "critical"}


def _launch_error(project: PackProject, message: str) -> InputError:
    """One line from a pack process that did not start: the missing module, else its last error."""
    name = project.directory.name
    missing = re.findall(r"ModuleNotFoundError: No module named '([^']+)'", message)
    if missing:
        return InputError(
            str(project.directory),
            f"policy pack {name}: cannot import {missing[-1]!r} in the pack's virtualenv "
            f"{project.virtualenv}: install it there ({project.virtualenv}/bin/pip install ...)",
        )
    printed = re.search(r"did not print a port \(got '([^']+)'\)", message)
    if printed:
        return InputError(str(project.directory / "__main__.py"), _printed_before_serving(name, printed[1]))
    lines = [ln for ln in message.splitlines() if ln.strip()]
    where = [m for m in re.findall(r'File "([^"]+)", line (\d+)', message) if "__main__.py" in m[0]]
    location = f"{where[-1][0]}:{where[-1][1]}" if where else str(project.directory)
    last = lines[-1].strip() if lines else "it exited without serving"
    if "did not print a port" in message and not where:
        last = "__main__.py never constructs a PolicyPack"
    return InputError(location, f"policy pack {name}: {last}")


def _load_in_venv(project: PackProject) -> Pack:
    from pulumi_policy import (
        EnforcementLevel,
        PolicyConfigSchema,
        ResourceValidationPolicy,
        Severity,
        StackValidationPolicy,
    )

    from tierguard.crossguard.analyzer_host import launch_pack

    venv = project.virtualenv
    assert venv is not None
    python = venv / "bin" / "python"
    if not python.exists():
        raise InputError(
            str(project.directory),
            f"policy pack {project.directory.name}: its virtualenv {venv} (PulumiPolicy.yaml) is missing; "
            f"create it: python -m venv {venv} && {venv}/bin/pip install -r requirements.txt",
        )
    stack = ExitStack()
    try:
        client = stack.enter_context(launch_pack(project.directory, python=str(python), log_errors=True))
        info = client.get_info()
    except Exception as exc:
        stack.close()
        raise _launch_error(project, str(exc)) from None
    emit_lines(info.name, client.take_output())

    def close() -> None:  # the process ends, then whatever it wrote last is shown
        stack.close()
        emit_lines(info.name, client.take_output())

    atexit.register(close)

    def never(*_: Any) -> None:  # the policy runs in the pack's process, never here
        raise RuntimeError("a policy of a virtualenv pack runs over the analyzer protocol")

    policies = []
    for p in info.policies:
        kwargs: dict[str, Any] = {
            "name": p.name,
            "description": p.description,
            "enforcement_level": EnforcementLevel(_LEVEL_NAMES[p.enforcementLevel]),
            "display_name": p.displayName or None,
            "severity": Severity(_SEVERITIES[p.severity]) if p.severity in _SEVERITIES else None,
            "tags": list(p.tags) or None,
            "remediation_steps": p.remediation_steps or None,
        }
        props = {}
        if p.HasField("configSchema"):
            props = json_format.MessageToDict(p.configSchema.properties)
            kwargs["config_schema"] = PolicyConfigSchema(props, list(p.configSchema.required) or None)
        stack_type = p.policy_type == 2  # POLICY_TYPE_STACK
        policy = (
            StackValidationPolicy(validate=never, **kwargs)
            if stack_type
            else ResourceValidationPolicy(validate=never, **kwargs)
        )
        # a tierguard.PolicyPack's policy: its process applies the exemptions, and says so in its schema
        policies.append(with_exemptions(policy) if declares_exemptions(props) else policy)
    initial = {}
    for key, cfg in info.initialConfig.items():
        entry = json_format.MessageToDict(cfg.properties) if cfg.HasField("properties") else {}
        if cfg.enforcementLevel or not entry:
            entry["enforcementLevel"] = _LEVEL_NAMES[cfg.enforcementLevel]
        initial[key] = entry
    pack = Pack(
        name=info.name,
        description=info.description or project.description or "",
        policies=tuple(policies),
        # every policy's level already includes the pack's (GetAnalyzerInfo reports it so)
        enforcement_level="advisory",
        initial_config=initial,
        source=str(project.directory),
        runner=AnalyzerRunner(client, stack.close, project.directory),
    )
    for policy in policies:
        register_rule(policy, foreign_rule(policy, pack.name))
    return pack


def _exempted(policy: str, urn: str, detail: str) -> tuple[Exemption, str] | None:
    """The exemption in force that ``detail`` (what an advisory diagnostic says after the policy's
    description) reports, ``exempted_text(ex, <the finding's own detail>)``, and that own detail."""
    ex = stackcontext.exemptions().decide(policy, urn)
    if ex is None or ex.expired():
        return None
    head = exempted_text(ex, "")
    if detail == head:
        return ex, ""
    if detail.startswith(head + "\n"):
        return ex, detail[len(head) + 1 :]
    return None


class AnalyzerRunner:
    """Evaluates a pack served in its own process: the CLI's calls, diagnostics turned into findings."""

    def __init__(self, client: Any, close: Callable[[], None], directory: Path) -> None:
        self.client = client
        self.close = close  # ends the pack's process (idempotent)
        self.directory = directory

    def evaluate(self, pack: Pack, stack: Stack, configured: dict[str, Any], result: Result) -> None:
        import grpc

        self.urn: str | None = None
        self.pack = pack
        secrets = {stack.config[k] for k in stack.config_secret_keys if stack.config.get(k)}
        try:
            self._evaluate(pack, stack, configured, result)
        except grpc.RpcError as exc:  # the pack raised: its process is done, its stderr tells what
            self.close()
            details = exc.details() if hasattr(exc, "details") else str(exc)
            _CACHE.pop(self.directory.resolve(), None)  # a later load starts it afresh
            raise from_analyzer(
                pack.name, self.urn, self.client.take_output(), details or str(exc), self.directory, secrets
            ) from None
        emit_lines(pack.name, self.client.take_output(), secrets=secrets)

    def _evaluate(self, pack: Pack, stack: Stack, configured: dict[str, Any], result: Result) -> None:
        client = self.client
        client.configure_stack(stack)  # the engine sends ConfigureStack first, then Configure
        client.configure(configured)
        client.providers = {r.urn: r for r in stack.resources if r.is_provider}
        remediating = any(c.enforcement_level == "remediate" for c in configured.values())
        by_urn = stack.by_urn()
        rules = {p.name: rule_of(p) for p in pack.policies}
        fallback = Location(stack.project_file) if stack.project_file else None
        inputs_of: dict[str, dict[str, Any]] = {}
        for res in stack.resources:
            self.urn = res.urn
            inputs = res.inputs
            if remediating:
                inputs, remediations, skipped = client.remediate_full(res)
                for rem in remediations:
                    props = json_format.MessageToDict(rem.properties) if rem.HasField("properties") else None
                    result.remediations.append(
                        Remediation(rem.policyName, pack.name, res.urn, props or None, rem.diagnostic)
                    )
                result.not_applicable.extend((n, res.urn, r) for n, r in skipped)
            inputs_of[res.urn] = inputs
            diagnostics, skipped = client.analyze_full(res, inputs)
            result.not_applicable.extend((n, res.urn, r) for n, r in skipped)
            for d in diagnostics:
                self._record(d, self._finding(d, rules, by_urn, stack, fallback, pack), configured, result)
        self.urn = None  # a stack policy judges no one resource
        for d in client.analyze_stack(stack.resources, inputs_of):
            self._record(d, self._finding(d, rules, by_urn, stack, fallback, pack), configured, result)

    def _record(self, d: Any, finding: Finding, configured: dict[str, Any], result: Result) -> None:
        """A diagnostic of a policy that honours exemptions may be an exempted finding or a stale
        exemption's note (the pack's process decided, with the same exemptions): each goes where an
        in-process pack's goes; every other diagnostic is a finding."""
        pack = self.pack
        policy = next((p for p in pack.policies if p.name == finding.policy), None)
        if policy is None or not honours_exemptions(policy) or finding.enforcement_level != "advisory":
            result.findings.append(finding)
            return
        detail = finding.message.removeprefix(f"{policy.description}\n")
        book = stackcontext.exemptions()
        exempted = _exempted(finding.policy, d.urn, detail)
        if exempted is not None:
            ex, own = exempted
            level = configured[finding.policy].enforcement_level
            was = replace(
                finding,
                urn=d.urn,  # as an in-process pack's: a stack policy's exempted finding names no resource
                enforcement_level="mandatory" if level == "remediate" else level,
                message=policy.description + (f"\n{own}" if own else ""),
            )
            result.exempted.append(Exempted(was, ex, finding.message))
        elif not d.urn and detail in {stale_text(e, pack.name) for e in book.all()}:
            result.findings.append(replace(finding, kind="note"))
        else:
            result.findings.append(finding)

    @staticmethod
    def _finding(
        d: Any, rules: dict[str, Any], by_urn: dict, stack: Stack, fallback: Any, pack: Pack
    ) -> Finding:
        rule = rules.get(d.policy)
        target = by_urn.get(d.urn)
        return Finding(
            policy=d.policy,
            pack=pack.name,
            category=rule.category if rule else pack.name,
            severity=rule.severity if rule else "medium",
            enforcement_level=d.enforcement_level,
            message=d.message,
            # as the engine files it (and an in-process pack): on no known resource is the root stack's
            urn=d.urn if target else stack.root_urn,
            type=target.type if target else "",
            location=(target.location if target and target.location else fallback),
            stack=stack.label,
            kind="note" if d.message.startswith(_PREVIEW_NOTE) else "violation",
        )
