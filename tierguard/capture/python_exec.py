"""Runs one Pulumi Python program against an engine's resource monitor, as the Pulumi CLI runs it.

Executed BY PATH with the stack's own interpreter (stdlib + pulumi SDK only, like runner.py), by
:mod:`tierguard.capture.engine_host` for ``--capture engine``. It follows the real
``pulumi-language-python-exec`` shim of pulumi/pulumi v3.276.0 (sdk/python/cmd/
pulumi-language-python-exec, which the Python language host starts as ``python -u <shim> --monitor
ADDR --engine ADDR --project P --stack S --pwd DIR --dry_run true --parallel N --organization O
--root_directory DIR PROGRAM``, the config in ``PULUMI_CONFIG`` / ``PULUMI_CONFIG_SECRET_KEYS``):
the same arguments, ``pulumi.runtime.Settings`` and ``configure``, ``run_in_stack`` on a fresh event
loop with the default executor sized ``4 * parallel``, an unhandled exception logged as an error
through the engine and exit code 32.

What it adds, for the offline capture only (never sent to the monitor):

* ``sys.path[0]`` is the program's directory, not this file's (a user module named like one of
  tierguard's must not be shadowed by it);
* the SDK's debug lines are not sent to the engine (which would drop them);
* a StackReference output that is unknown offline stays unknown while the stack's known outputs
  stay usable (as runner.py's ``patch_stack_reference`` does for the mocks path);
* a report written to the file named by ``TIERGUARD_CAPTURE_REPORT``: the interpreter, its
  prefixes (which files are the user's), what the program used outside its project (for the capture
  cache) and, when it failed, the program's own error with its innermost line in the user's code.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import inspect
import json
import logging
import os
import runpy
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BAIL_EXIT_CODE = 32  # the shim's "an actionable error was already shown"
HERE = Path(__file__).resolve()
REPORT_ENV = "TIERGUARD_CAPTURE_REPORT"


def _runner() -> Any:
    """runner.py beside this file, for its helpers (loaded by path: no tierguard on this sys.path)."""
    spec = importlib.util.spec_from_file_location("_tierguard_runner", HERE.with_name("runner.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def arguments(argv: list[str]) -> argparse.Namespace:
    """The shim's arguments, exactly."""
    ap = argparse.ArgumentParser(description="Execute a Pulumi Python program")
    for flag in ("project", "root_directory", "stack", "parallel", "dry_run", "pwd", "monitor", "engine",
                 "tracing", "organization"):
        ap.add_argument(f"--{flag}")
    ap.add_argument("PROGRAM")
    ap.add_argument("ARGS", nargs="*")
    return ap.parse_args(argv)


def configure(args: argparse.Namespace, runner: Any) -> Any:
    """Config from the environment and the runtime settings, with the shim's fallbacks for old SDKs."""
    import pulumi.runtime

    config_env = pulumi.runtime.get_config_env()
    if hasattr(pulumi.runtime, "get_config_secret_keys_env") and hasattr(pulumi.runtime, "set_all_config"):
        pulumi.runtime.set_all_config(config_env, pulumi.runtime.get_config_secret_keys_env())
    else:
        for k, v in config_env.items():
            pulumi.runtime.set_config(k, v)
    kwargs = {
        "monitor": args.monitor, "engine": args.engine, "project": args.project, "stack": args.stack,
        "parallel": int(args.parallel), "dry_run": args.dry_run == "true",
        "organization": args.organization, "root_directory": args.root_directory,
    }
    try:
        settings = pulumi.runtime.Settings(**kwargs)
    except TypeError:
        params = inspect.signature(pulumi.runtime.Settings.__init__).parameters
        settings = pulumi.runtime.Settings(**{k: v for k, v in kwargs.items() if k in params})
    if settings.monitor is not None:
        settings.monitor = ShapedMonitor(settings.monitor, runner)
    pulumi.runtime.configure(settings)
    return settings


# the outputs read of each StackReference, by its resource name, in the order first asked for
READS: dict[str, list[str]] = {}


def _read(reference: str, output: Any) -> None:
    if isinstance(output, str) and output not in READS.setdefault(reference, []):
        READS[reference].append(output)


def drop_debug_logs() -> None:
    """The SDK sends every debug line to the engine (four a resource, each a blocking round trip: 40 %
    of a 1,000-resource capture), which shows them only under ``-v``; the offline engine keeps only
    warnings and errors, so debug lines are not sent at all. Nothing a program registers changes."""
    import pulumi.log

    pulumi.log.debug = lambda *args, **kwargs: None


def patch_stack_reference() -> None:
    """Per-output unknowns: the monitor answers a StackReference with the referenced outputs, unknown
    ones as the engine's unknown sentinel; the SDK would make every output unknown then, so each
    output's known-ness is decided from its own value."""
    import pulumi
    from pulumi.output import Output
    from pulumi.runtime.rpc import contains_unknowns

    def make(require: bool) -> Any:
        def method(self: Any, name: Any) -> Any:
            _read(getattr(self, "_name", ""), name)  # a literal name: known before anything resolves

            async def lookup() -> tuple[Any, bool]:
                wanted = await Output.from_input(name).future()
                _read(getattr(self, "_name", ""), wanted)
                outputs = await self.outputs.future(with_unknowns=True) or {}
                if require and wanted not in outputs:
                    raise KeyError(f"required output {wanted!r} does not exist on stack reference")
                value = outputs.get(wanted)
                return value, not contains_unknowns(value)

            found = asyncio.ensure_future(lookup())

            async def value() -> Any:
                val, known = await found
                return val if known else None

            async def known() -> bool:
                return (await found)[1]

            secret = pulumi.StackReference._tierguard_get_output(self, name).is_secret()
            return Output(
                asyncio.ensure_future(self.outputs.resources()), asyncio.ensure_future(value()),
                asyncio.ensure_future(known()), asyncio.ensure_future(secret),
            )

        return method

    if not hasattr(pulumi.StackReference, "_tierguard_get_output"):
        pulumi.StackReference._tierguard_get_output = pulumi.StackReference.get_output
    pulumi.StackReference.get_output = make(False)
    pulumi.StackReference.require_output = make(True)


class ShapedMonitor:
    """The monitor stub, with each custom resource's echoed outputs shaped as its provider returns
    them: an input that takes an object where the declared output is a string (a pulumi-aws policy
    document) comes back as JSON text, or unknown when it holds an unknown -- what the provider's
    Check does and the offline engine, which has no provider schema, cannot (runner.echoed_outputs
    does the same for the mocks path, from the same SDK class metadata)."""

    def __init__(self, stub: Any, runner: Any) -> None:
        self._stub = stub
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stub, name)

    def RegisterResource(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = self._stub.RegisterResource(request, *args, **kwargs)
        if request.custom:
            self.shape(request.type, response.object)
        return response

    def shape(self, type_token: str, struct: Any) -> None:
        from google.protobuf.json_format import MessageToDict

        structured = [k for k, v in struct.items() if hasattr(v, "items") or hasattr(v, "append")]
        if not structured:
            return
        types = self._runner._output_types(type_token)
        for key in structured:
            if types.get(key) is str:
                value = MessageToDict(struct)[key]
                del struct[key]
                if not self._runner.has_unknown(value):
                    struct[key] = json.dumps(value)


def write_report(doc: dict[str, Any]) -> None:
    where = os.environ.get(REPORT_ENV)
    if where:
        Path(where).write_text(json.dumps(doc), encoding="utf-8")


def run_once(argv: list[str], runner: Any, first: bool = True) -> int:
    """One program run, as the shim runs it; the report written, the exit code returned."""
    args = arguments(argv)
    READS.clear()
    try:
        import pulumi
        import pulumi.runtime
    except ImportError as exc:
        module = exc.name or "pulumi"
        write_report({"error": {"kind": "missing-module", "module": module, "message": str(exc)}})
        return 1

    program = Path(args.PROGRAM).resolve()
    project_dir = Path(args.root_directory or os.getcwd()).resolve()
    if not first:  # a warm process: start from the state it started in, as a process of its own would
        forgotten = runner.forget_user_modules({project_dir, program if program.is_dir() else program.parent})
        runner.reset_runtime(forgotten)
        runner._OPENED.clear()
    settings = configure(args, runner)
    patch_stack_reference()
    drop_debug_logs()
    sys.argv = [args.PROGRAM, *args.ARGS]
    if args.pwd is not None:
        os.chdir(args.pwd)
    sys.path[:] = list(runner.BASE_PATH)
    sys.path[0] = str(program if program.is_dir() else program.parent)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    executor = ThreadPoolExecutor(max_workers=max(settings.parallel or 1, 1) * 4)
    loop.set_default_executor(executor)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    if first:
        sys.addaudithook(runner._audit)
    report: dict[str, Any] = {"python": sys.executable, "prefixes": [sys.prefix, sys.base_prefix]}
    exit_code = 1

    def run() -> None:
        try:
            runpy.run_path(args.PROGRAM, run_name="__main__")
        except SystemExit as exc:  # exit(0) ends the program normally
            if exc.code:
                raise

    runner._RECORDING.set()
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(run))
        exit_code = 0
    except ModuleNotFoundError as exc:
        report["error"] = {"kind": "missing-module", "module": exc.name or "", "message": str(exc)}
        pulumi.log.error(f"Program failed: {exc}")
        exit_code = BAIL_EXIT_CODE
    except pulumi.RunError as exc:
        report["error"] = runner.program_error(exc, project_dir)
        pulumi.log.error(str(exc))
    except Exception as exc:  # the shim reports any exception the same way
        report["error"] = runner.program_error(exc, project_dir)
        pulumi.log.error("Program failed with an unhandled exception:\n" + traceback.format_exc())
        exit_code = BAIL_EXIT_CODE
    finally:
        runner._RECORDING.clear()
        executor.shutdown(wait=True)
        asyncio.set_event_loop(None)
        loop.close()
    used = runner.used_outside(project_dir)
    used["files"] = [f for f in used["files"] if f != str(HERE)]
    report["used"] = used
    report["reads"] = dict(READS)
    write_report(report)
    sys.stdout.flush()
    sys.stderr.flush()
    return exit_code


def serve(answers: int, runner: Any) -> None:
    """tierguard's warm mode (``--tierguard-serve FD``), not the shim's: one JSON request a line on
    stdin (the shim's arguments and the environment to run them in), the exit code a line on ``FD``;
    the process then takes the next stack config of the same project, the provider SDKs imported once
    (runner.py's ``forget_user_modules``/``reset_runtime`` make each run start afresh)."""
    base_environ = dict(os.environ)
    first = True
    with os.fdopen(answers, "w", encoding="utf-8") as out:
        for line in sys.stdin:
            request = json.loads(line)
            os.environ.clear()
            os.environ.update(base_environ)
            os.environ.update(request["env"])
            code = run_once(request["argv"], runner, first)
            first = False
            out.write(json.dumps({"exit": code}) + "\n")
            out.flush()


def main() -> None:
    runner = _runner()
    if sys.argv[1:2] == ["--tierguard-serve"]:
        serve(int(sys.argv[2]), runner)
        return
    sys.exit(run_once(sys.argv[1:], runner))


if __name__ == "__main__":
    main()
