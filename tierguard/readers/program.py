"""Read a Pulumi Python project directory by running its program offline, once per stack config.

The project and stack files are read here (name, runtime, main, config with ``secure:`` values);
the program itself runs out of process in the stack's own interpreter (:mod:`tierguard.capture`),
under the SDK's mocks, and comes back as resources in the analyzer wire form.

Speed: importing the provider SDKs (pulumi_gcp, pulumi_kubernetes) costs the runner seconds, so one
runner process captures every stack config of a project in turn (:class:`RunnerProcess`), a
:class:`Session` can capture independent projects at the same time (:meth:`Session.prefetch`), and
a capture whose inputs are unchanged comes from the capture cache (:mod:`tierguard.capture.cache`)
without running the program at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tierguard.capture import RunnerFailure, RunnerProcess, cache, engine_host, languages
from tierguard.model import wire
from tierguard.model.files import load_json_object, load_yaml
from tierguard.model.records import (
    STACK_REFERENCE_TYPE,
    InputError,
    Location,
    Resource,
    Stack,
    StackReference,
    stack_reference_target,
)
from tierguard.readers.export import check_inputs

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
# Keys that make a Pulumi.yaml `config:` entry a declaration ({type, default, ...}) not a value.
_DECLARATION_KEYS = {"type", "description", "default", "value", "secret", "items"}


@dataclass
class Project:
    """What Pulumi.yaml says about a program."""

    dir: Path
    file: Path
    name: str
    main: str
    runtime_options: dict[str, Any]
    runtime: str
    description: str | None
    config: dict[str, str]
    secret_keys: list[str]
    stack_config_dir: Path

    def stack_file(self, stack: str) -> Path:
        for ext in ("yaml", "yml"):
            candidate = self.stack_config_dir / f"Pulumi.{stack}.{ext}"
            if candidate.is_file():
                return candidate
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stack_names(self) -> list[str]:
        names = set()
        for ext in ("yaml", "yml"):
            for found in self.stack_config_dir.glob(f"Pulumi.*.{ext}"):
                names.add(found.name[len("Pulumi."): -len(ext) - 1])
        return sorted(names)


@dataclass
class Run:
    """One offline run of one stack: what the runner captured, plus how."""

    resources: list[Resource]
    outputs: dict[str, Any]
    python: str
    seconds: float
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)
    cached: bool = False  # from the capture cache: the program did not run
    # each StackReference made: {"resource", "name", "exported", "read"} (capture.runner)
    references: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the program's warnings (the engine's Log)


class CaptureProgress(Protocol):
    """Told of each capture of a session, from whichever thread makes it (the CLI's progress line)."""

    def planned(self, count: int) -> None:
        """``count`` more stack captures are about to start."""

    def started(self, name: str) -> None:
        """A capture (``dir (stack)``) began: its program runs, or its cache entry is checked."""

    def finished(self, name: str, *, cached: bool) -> None:
        """That capture ended (or failed); ``cached``: from the capture cache, the program did not run."""


# Runs are cached per process: `tierguard check identity infra app` runs identity once even though
# infra references it. The key carries a fingerprint of the project files, so edits are seen.
_RUNS: dict[tuple[Any, ...], Run] = {}


def _config_text(value: Any) -> str:
    """Config values reach the program as strings, structured ones as JSON (as the CLI passes them)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    # YAML reads an unquoted 2026-12-31 as a date: pass it on as the ISO text it was written as
    return json.dumps(value, default=str)


def _hide_secure(value: Any) -> tuple[Any, bool]:
    """Replace every ``secure:`` ciphertext by the placeholder; say whether there was one."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return wire.SECRET_PLACEHOLDER, True
        found = False
        out = {}
        for k, v in value.items():
            out[k], inner = _hide_secure(v)
            found = found or inner
        return out, found
    if isinstance(value, list):
        items = [_hide_secure(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _full_key(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def load_project(path: Path) -> Project:
    """Read Pulumi.yaml; refuse what cannot be run offline here, with the reason."""
    if not path.is_dir():
        raise InputError(str(path), "not a directory")
    file = next((path / n for n in PROJECT_FILES if (path / n).is_file()), None)
    if file is None:
        raise InputError(str(path), "no Pulumi.yaml: not a Pulumi project directory")
    doc = load_yaml(file, file.name)
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not doc["name"]:
        raise InputError(str(file), "not a Pulumi project file (a `name:` is required)")
    name = doc["name"]
    runtime = doc.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name not in languages.offline_runtimes():
        offline = ", ".join(languages.offline_runtimes())
        kind = languages.NOT_OFFLINE.get(str(runtime_name))
        what = f"{kind} programs do not run offline" if kind else f"tierguard runs {offline} programs offline"
        raise InputError(
            str(file),
            f"runtime {runtime_name!r} is not run offline ({what}); for such stacks use the CLI's "
            "output: `pulumi preview --json | tierguard plan -` or `tierguard check preview.json`",
        )
    options = runtime.get("options") if isinstance(runtime, dict) else None
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, entry in (doc.get("config") or {}).items():
        full = _full_key(str(key), name)
        if isinstance(entry, dict) and set(entry) & _DECLARATION_KEYS:
            if entry.get("secret"):
                secret_keys.append(full)
            if "value" in entry or "default" in entry:
                config[full] = _config_text(entry.get("value", entry.get("default")))
        elif entry is not None:
            config[full] = _config_text(entry)
    return Project(
        dir=path,
        file=file,
        name=name,
        main=str(doc.get("main") or "."),
        runtime_options=options if isinstance(options, dict) else {},
        runtime=str(runtime_name),
        description=doc.get("description") if isinstance(doc.get("description"), str) else None,
        config=config,
        secret_keys=secret_keys,
        stack_config_dir=path / str(doc.get("stackConfigDir") or "."),
    )


def load_stack_config(project: Project, stack: str) -> tuple[dict[str, str], list[str]]:
    """Project defaults overlaid by Pulumi.<stack>.yaml; ``secure:`` values become "[secret]"."""
    file = project.stack_file(stack)
    if not file.exists():
        # Pulumi needs no stack file (a stack may have no config), so neither do we.
        return dict(project.config), sorted(project.secret_keys)
    doc = load_yaml(file, file.name) or {}
    if not isinstance(doc, dict):
        raise InputError(str(file), "not a Pulumi stack config file")
    config = dict(project.config)
    secret_keys = set(project.secret_keys)
    entries = doc.get("config") or {}
    if not isinstance(entries, dict):
        raise InputError(str(file), "`config:` must be a mapping")
    for key, value in entries.items():
        full = _full_key(str(key), project.name)
        value, is_secret = _hide_secure(value)
        if value is None:
            continue
        config[full] = _config_text(value)
        if is_secret:
            secret_keys.add(full)
        else:
            secret_keys.discard(full)
    return config, sorted(secret_keys)


def _install_hint(project: Project, python: Path, module: str) -> str:
    toolchain = _toolchain(project)
    if toolchain == "uv":
        return "uv sync"
    if toolchain == "poetry":
        return "poetry install"
    pip = python.parent / ("pip.exe" if os.name == "nt" else "pip")
    installer = str(pip) if pip.is_file() else f"{python} -m pip"
    if (project.dir / "requirements.txt").is_file():
        return f"{installer} install -r requirements.txt"
    return f"{installer} install {module.replace('_', '-')}"


# Which Python runs a program is what the Pulumi CLI's Python language host chooses; followed from
# pulumi/pulumi v3.276.0 sdk/python/toolchain: toolchain.go `ResolveToolchain` (no `toolchain` option
# is "auto": a uv.lock, else a poetry.lock, in the program's directory or above picks that tool),
# pip.go `newPip`/`Command`/`CommandPath` (the `virtualenv` option, relative to the project root,
# else PULUMI_PYTHON_CMD, else `python3`, then `python`, on the PATH), uv.go `newUv` (the
# `virtualenv` option, else UV_PROJECT_ENVIRONMENT or `.venv` beside the nearest uv.lock or
# pyproject.toml) and poetry.go `VirtualEnvPath` (what `poetry env info --path` prints).


def _search_up(start: Path, name: str) -> Path | None:
    """The nearest directory at or above ``start`` holding ``name`` (toolchain.go `searchup`)."""
    for directory in (start, *start.parents):
        if (directory / name).exists():
            return directory
    return None


def _toolchain(project: Project) -> str:
    chosen = str(project.runtime_options.get("toolchain") or "auto")
    if chosen != "auto":
        return chosen
    directory = project.dir.resolve()
    if _search_up(directory, "uv.lock"):
        return "uv"
    if _search_up(directory, "poetry.lock"):
        return "poetry"
    return "pip"


def _under(root: Path, path: str) -> Path:
    return Path(path) if Path(path).is_absolute() else root / path


def _uv_venv(project: Project) -> Path:
    option = project.runtime_options.get("virtualenv")
    if option:
        return _under(project.dir, str(option))
    directory = project.dir.resolve()
    base = _search_up(directory, "uv.lock") or _search_up(directory, "pyproject.toml") or directory
    return _under(base, os.environ.get("UV_PROJECT_ENVIRONMENT") or ".venv")


def _poetry_venv(project: Project) -> Path:
    poetry = shutil.which("poetry")
    if poetry is None:
        raise InputError(
            str(project.dir),
            "the poetry toolchain needs `poetry` on the PATH (or set `toolchain: pip` in Pulumi.yaml)",
        )
    found = subprocess.run(
        [poetry, "env", "info", "--path"], cwd=project.dir, capture_output=True, text=True, check=False
    )
    path = found.stdout.strip()
    if found.returncode != 0 or not path:
        raise InputError(str(project.dir), "poetry has no virtualenv for this project: run `poetry install`")
    return Path(path)


def _python_on_path(project: Project) -> Path:
    """No virtualenv: PULUMI_PYTHON_CMD, else python3, else python, looked up on the PATH."""
    wanted = os.environ.get("PULUMI_PYTHON_CMD")
    names = [wanted] if wanted else (["python", "python3"] if os.name == "nt" else ["python3", "python"])
    for name in names:
        found = shutil.which(name)
        if found:
            # absolute but not resolved: a venv's python3 is a symlink whose location makes it the venv's
            return Path(os.path.abspath(found))
    shown = " nor ".join(f"`{n}`" for n in names)
    raise InputError(
        str(project.dir),
        f"no Python to run the program with: neither {shown} is on the PATH"
        if len(names) > 1 else f"PULUMI_PYTHON_CMD names `{wanted}`, which is not on the PATH",
    )


def interpreter(project: Project) -> Path:
    """The Python the Pulumi CLI would run this program with (see the sources above)."""
    toolchain = _toolchain(project)
    virtualenv = project.runtime_options.get("virtualenv")
    if toolchain == "poetry":
        venv, how = _poetry_venv(project), "`poetry install`"
    elif toolchain == "uv":
        venv, how = _uv_venv(project), "`uv sync`"
    elif virtualenv:
        venv = _under(project.dir, str(virtualenv))
        how = f"`python -m venv {virtualenv}` and install requirements.txt into it"
    else:
        return _python_on_path(project)
    # absolute but not resolved: the venv's python is a symlink whose location makes it the venv's
    python = Path(os.path.abspath(venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")))
    if not python.exists():
        raise InputError(str(venv), f"the stack's virtualenv does not exist: create it with {how}")
    return python


def toolchain(project: Project) -> engine_host.Toolchain:
    """What runs the project's program: the Python the CLI would pick, or its runtime's launcher."""
    if project.runtime == "python":
        return engine_host.python_toolchain(interpreter(project))
    return languages.toolchain(project.runtime, project.dir.resolve(), project.main, project.runtime_options)


# the files whose change makes a capture stale within one process (sources, config, lockfiles)
PROGRAM_SUFFIXES = frozenset({
    ".py", ".yaml", ".yml", ".json", ".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".go", ".mod",
    ".sum", ".lock",
})


def _fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Cheap change detection for the run cache: the program's sources and config files."""
    marks = []
    for path in cache.project_files(directory):
        if path.suffix in PROGRAM_SUFFIXES:
            st = path.stat()
            marks.append((os.path.relpath(path, directory), st.st_mtime_ns, st.st_size))
    return tuple(sorted(marks))


# How a program is captured: under the Python SDK's mocks in one long-lived runner per project (the
# default, fastest), or launched as the Pulumi CLI launches it against the offline engine's gRPC
# resource monitor (tierguard/capture/engine_host.py).
CAPTURE_MODES = ("mocks", "engine")


class Session:
    """One read: the --stack-references / --mocks files, where sibling projects may live, and the
    runner processes and captures shared by every stack read in it.

    Captures may run on several threads (:meth:`prefetch`); each (project, stack) is captured once,
    by the first thread that needs it, and the others wait for its Future. A thread that is waiting
    for a stack, or capturing it to answer a StackReference, is recorded in ``waiting`` so that a
    StackReference cycle is refused instead of waiting forever.
    """

    def __init__(
        self,
        references: str | None,
        mocks: str | None,
        siblings: Iterable[Path],
        *,
        use_cache: bool = True,
        progress: CaptureProgress | None = None,
        capture: str = "mocks",
    ) -> None:
        if capture not in CAPTURE_MODES:
            raise InputError("--capture", f"{capture!r} is not one of {', '.join(CAPTURE_MODES)}")
        self.capture_mode = capture  # how programs run: the SDK's mocks, or against the offline engine
        self.progress = progress
        # the capture cache on disk (--no-cache: neither read nor written)
        self.cache = cache.CaptureCache() if use_cache else None
        self.trees: dict[Path, str] = {}  # project dir -> digest of its files, once per session
        self.references_file = references
        self.mocks_file = mocks
        self.references = load_json_object(references, "stack references file") if references else {}
        self.invokes = load_json_object(mocks, "mocks file") if mocks else {}
        self.siblings = [Path(s) for s in siblings]
        self.lock = threading.Lock()
        self.captures: dict[tuple[Any, ...], Future[Run]] = {}
        self.waiting: dict[tuple[str, str], tuple[str, str]] = {}  # (dir, stack) -> the one it waits for
        self.idle: dict[tuple[str, str], list[RunnerProcess]] = {}  # (dir, python) -> free runners
        self.runners: list[RunnerProcess] = []
        self.threads: list[threading.Thread] = []
        self.closed = False

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End every runner and thread. A runner still busy is killed: after a failure the read
        ends now, without waiting for captures nobody will look at."""
        with self.lock:
            self.closed = True
            idle = [runner for free in self.idle.values() for runner in free]
            busy = [runner for runner in self.runners if not any(runner is i for i in idle)]
            self.runners, self.idle = [], {}
        for runner in busy:
            runner.kill()
        for runner in idle:
            runner.close()
        for thread in self.threads:
            thread.join()

    # -- StackReference ------------------------------------------------------------------------

    def reference_outputs(
        self, name: str, project: Project, waiter: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """(1) the --stack-references file, (2) the offline run of a sibling project, (3) refuse."""
        wanted = stack_reference_target(name, project.name)
        for key, outputs in self.references.items():
            if key == name or stack_reference_target(key, project.name) == wanted:
                if not isinstance(outputs, dict):
                    raise InputError(self.references_file, f"{key!r}: outputs must be a JSON object")
                return wire.from_cli_json(outputs)
        ref_project, ref_stack = wanted
        for directory in self._candidates(project.dir):
            try:
                other = load_project(directory)
            except InputError:
                continue
            if other.name == ref_project:
                if not other.stack_file(ref_stack).is_file():
                    raise InputError(
                        str(other.stack_file(ref_stack)),
                        f"StackReference {name!r} names stack {ref_stack!r}, which has no stack config here",
                    )
                return self.run(other, ref_stack, waiter=waiter).outputs
        raise InputError(
            str(project.dir),
            f"StackReference {name!r}: no outputs known for it offline; pass "
            f"--stack-references FILE with {{\"{name}\": {{\"<output>\": <value>}}}}, or check the "
            f"project {ref_project!r} together with this one",
        )

    def _candidates(self, directory: Path) -> list[Path]:
        seen: dict[Path, None] = {}
        parent = directory.resolve().parent
        neighbours = sorted(p for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []
        for candidate in [*self.siblings, *neighbours, directory]:
            if any((candidate / n).is_file() for n in PROJECT_FILES):
                seen.setdefault(candidate.resolve(), None)
        return list(seen)

    # -- running -------------------------------------------------------------------------------

    def prefetch(self, projects: Iterable[tuple[Project, list[str]]]) -> None:
        """Start capturing each project's stacks (in order, in one runner) on its own thread, so
        independent projects use both cores; :meth:`run` then collects the results in any order.

        A failure is kept in its Future and raised again by the :meth:`run` that asks for it.
        """

        def capture_all(project: Project, names: list[str]) -> None:
            for name in names:
                if self.closed:
                    return
                with contextlib.suppress(Exception):
                    self.run(project, name)

        projects = list(projects)
        if self.progress is not None:
            self.progress.planned(sum(len(names) for _, names in projects))
        if self.capture_mode == "engine":  # a process per stack config, none shared: each on its own
            projects = [(project, [name]) for project, names in projects for name in names]
        for project, names in projects:
            thread = threading.Thread(target=capture_all, args=(project, names), daemon=True)
            self.threads.append(thread)
            thread.start()

    def run(self, project: Project, stack: str, *, waiter: tuple[str, str] | None = None) -> Run:
        """The capture of one stack, made once per session (and per process while the files are
        unchanged); ``waiter`` is the stack whose StackReference asks for it (cycle detection)."""
        config, secret_keys = load_stack_config(project, stack)
        tool = toolchain(project)
        label = (str(project.dir.resolve()), stack)
        key = (*label, tool.shown, self.references_file, self.mocks_file, self._mode(project),
               _fingerprint(project.dir))
        with self.lock:
            if key in _RUNS:
                return _RUNS[key]
            if waiter is not None:
                self._refuse_cycle(waiter, label)
                self.waiting[waiter] = label
            capture = self.captures.get(key)
            owner = capture is None
            if owner:
                capture = self.captures[key] = Future()
        try:
            if not owner:
                return capture.result()
            name = f"{project.dir} ({stack})"
            if self.progress is not None:
                self.progress.started(name)
            run: Run | None = None
            try:
                request = self._request(project, stack, config, secret_keys)
                entry_key = self._cache_key(project, stack, tool, request) if self.cache else None
                run = (entry_key and self._cached(entry_key, project, stack, config, secret_keys)) or \
                    self._capture(project, stack, tool, request, entry_key)
            except BaseException as exc:
                capture.set_exception(exc)
                raise
            finally:
                if self.progress is not None:
                    self.progress.finished(name, cached=run is not None and run.cached)
            with self.lock:
                _RUNS[key] = run
            capture.set_result(run)
            return run
        finally:
            if waiter is not None:
                with self.lock:
                    self.waiting.pop(waiter, None)

    def _refuse_cycle(self, waiter: tuple[str, str], wanted: tuple[str, str]) -> None:
        """Waiting for ``wanted`` would never end if ``wanted`` (transitively) waits for ``waiter``."""
        chain = [wanted]
        while chain[-1] != waiter and chain[-1] in self.waiting:
            chain.append(self.waiting[chain[-1]])
        if chain[-1] == waiter:
            shown = " -> ".join(f"{Path(d).name}/{s}" for d, s in [*chain, wanted])
            raise InputError(wanted[0], f"StackReference cycle: {shown}")

    @contextlib.contextmanager
    def _runner(self, project: Project, python: Path) -> Any:
        """A free runner of this (project, interpreter), else a new one; given back after the run."""
        slot = (str(project.dir.resolve()), str(python))
        with self.lock:
            if self.closed:
                raise RunnerFailure("the read was abandoned")
            free = self.idle.get(slot)
            runner = free.pop() if free else None
            if runner is None:
                runner = RunnerProcess(python, project.dir.resolve())
                self.runners.append(runner)
        try:
            yield runner
        finally:
            # Still running means it answered (a result, the program's error, a refused reference).
            with self.lock:
                if runner.proc.poll() is None and not self.closed:
                    self.idle.setdefault(slot, []).append(runner)

    def _request(
        self, project: Project, stack: str, config: dict[str, str], secret_keys: list[str]
    ) -> dict[str, Any]:
        """What the runner gets for one stack (all of it is in the cache key)."""
        return {
            "project": project.name,
            "stack": stack,
            "project_dir": str(project.dir.resolve()),
            "main": project.main,
            "config": config,
            "secret_keys": secret_keys,
            "invokes": self.invokes,
            "organization": "organization",
        }

    # -- the capture cache -------------------------------------------------------------------------

    def _mode(self, project: Project) -> str:
        """How this project's program runs: only Python has the mocks path; the rest use the engine."""
        return self.capture_mode if project.runtime == "python" else "engine"

    def _cache_key(
        self, project: Project, stack: str, tool: engine_host.Toolchain, request: dict[str, Any]
    ) -> str:
        """Everything known before the run that can change what the program registers."""
        with self.lock:
            tree = self.trees.get(project.dir)
        if tree is None:
            # every stack's file is left out of the project's digest, and this stack's added alone:
            # editing Pulumi.prod.yaml does not make the dev capture stale
            found = [project.stack_config_dir.glob(f"Pulumi.*.{ext}") for ext in ("yaml", "yml")]
            stack_files = frozenset(p.resolve() for files in found for p in files)
            tree = cache.tree_digest(project.dir, stack_files)
            with self.lock:
                self.trees[project.dir] = tree
        toolchain_identity = (
            cache.interpreter_identity(Path(tool.shown)) if project.runtime == "python" else tool.identity
        )
        return cache.key({
            "python": toolchain_identity,
            "project": tree,
            "stack_file": cache.file_digest(project.stack_file(stack)),
            "stack": stack,
            "request": request,
            "capture": self._mode(project),
        })

    def _cached(
        self, entry_key: str, project: Project, stack: str, config: dict[str, str], secret_keys: list[str]
    ) -> Run | None:
        """The cached capture, if what the run used is unchanged: its local files and packages, and
        the outputs of each StackReference it asked for (a sibling's come from its own capture,
        itself cached)."""
        assert self.cache is not None
        started = time.perf_counter()
        entry = self.cache.load(entry_key)
        if entry is None or not cache.holds(entry["deps"]):
            return None
        label = (str(project.dir.resolve()), stack)
        for asked in entry["references"]:
            if not (isinstance(asked, list) and len(asked) == 2):
                return None
            name, digest = asked
            try:
                outputs = self.reference_outputs(str(name), project, waiter=label)
            except InputError:
                return None  # run the program: it raises the error where it belongs
            if cache.value_digest(outputs) != digest:
                return None
        seconds = time.perf_counter() - started
        return _run_from(entry["result"], seconds, config, secret_keys, cached=True, source=project.dir)

    def _capture(
        self, project: Project, stack: str, tool: engine_host.Toolchain, request: dict[str, Any],
        entry_key: str | None,
    ) -> Run:
        python = Path(tool.shown)  # the interpreter, for a Python program
        main = project.dir / project.main
        if not main.exists():
            raise InputError(str(project.file), f"main {project.main!r} does not exist")
        if project.runtime == "python" and main.is_dir() and not (main / "__main__.py").is_file():
            raise InputError(str(main), "no __main__.py: nothing to run (set `main:` in Pulumi.yaml)")
        label = (str(project.dir.resolve()), stack)
        asked: list[list[str]] = []  # each StackReference answered, with a digest of its outputs

        def resolve(name: str) -> dict[str, Any]:
            outputs = self.reference_outputs(name, project, waiter=label)
            asked.append([name, cache.value_digest(outputs)])
            return outputs

        started = time.perf_counter()
        try:
            if self._mode(project) == "engine":
                answer = engine_host.capture(tool, request, resolve)
            else:
                with self._runner(project, python) as runner:
                    answer = runner.capture(request, resolve)
        except RunnerFailure as exc:
            raise InputError(
                str(project.dir), f"the program could not run under {tool.shown}: {exc.detail}"
            ) from None
        except OSError as exc:
            raise InputError(str(project.dir), f"cannot start {tool.shown}: {exc.strerror}") from None
        seconds = time.perf_counter() - started
        if "error" in answer:
            raise self._error(project, tool, answer["error"])
        result = answer["result"]
        used = result.pop("used", None) or {}
        if self.cache is not None and entry_key is not None:
            deps = cache.dependencies(used.get("files", []), used.get("packages", {}))
            self.cache.store(entry_key, {"result": result, "deps": deps, "references": asked})
        return _run_from(
            result, seconds, request["config"], request["secret_keys"], cached=False, source=project.dir
        )

    def _error(self, project: Project, tool: engine_host.Toolchain, error: dict[str, Any]) -> InputError:
        python = Path(tool.shown)
        kind = error.get("kind")
        if kind == "missing-module":
            module = (error.get("module") or "?").split(".")[0]
            hint = _install_hint(project, python, module)
            if _toolchain(project) != "pip" or project.runtime_options.get("virtualenv"):
                venv = python.parent.parent
                return InputError(str(project.dir), f"`{module}` is not installed in {venv}: run `{hint}`")
            return InputError(
                str(project.dir),
                f"`{module}` is not installed for {python} (the Python on the PATH, which the Pulumi CLI "
                f"runs this program with): run `{hint}`, or give the project a `virtualenv` option",
            )
        if kind == "reference":
            return InputError(str(project.dir), error.get("message", "StackReference failed"))
        if kind == "logged":
            return InputError(str(project.dir), f"the program logged an error: {error.get('message', '')}")
        if kind in ("timeout", "crashed"):
            detail = error["message"]
            return InputError(str(project.dir), f"the program could not run under {tool.shown}: {detail}")
        loc = error.get("location")
        source = f"{loc['file']}:{loc['line']}" if loc else str(project.dir)
        lines = str(error.get("message", "")).splitlines()
        message = " ".join(line.strip() for line in lines if line.strip())
        return InputError(source, f"the program raised {error.get('type', 'an error')}: {message}")


def _run_from(
    result: dict[str, Any], seconds: float, config: dict[str, str], secret_keys: list[str], *, cached: bool,
    source: Path,
) -> Run:
    resources = [_resource(rec) for rec in result["resources"]]
    for res in resources:  # a program can pass any dict as an input, a hand-made "asset" too
        loc = res.location
        check_inputs(res, (f"{loc.file}:{loc.line}" if loc.line else loc.file) if loc else str(source))
    return Run(
        resources=resources,
        outputs=result.get("outputs", {}),
        python=result.get("python", ""),
        seconds=seconds,
        config=config,
        secret_keys=secret_keys,
        cached=cached,
        references=list(result.get("references", [])),
        notes=list(result.get("notes", [])),
    )


def _references(run: Run) -> list[StackReference]:
    """The run's StackReferences as the model holds them, each with its resource's URN."""
    urns = {r.name: r.urn for r in run.resources if r.type == STACK_REFERENCE_TYPE}
    return [
        StackReference(
            name=str(ref.get("name", "")),
            urn=urns.get(str(ref.get("resource", "")), ""),
            read=tuple(str(n) for n in ref.get("read", [])),
            exported=tuple(str(n) for n in ref.get("exported", [])),
        )
        for ref in run.references
    ]


def _resource(rec: dict[str, Any]) -> Resource:
    loc = rec.get("location")
    return Resource(
        urn=rec["urn"],
        type=rec["type"],
        name=rec["name"],
        inputs=rec.get("inputs") or {},
        custom=rec.get("custom", True),
        id=rec.get("id"),
        protect=rec.get("protect", False),
        retain_on_delete=rec.get("retain_on_delete", False),
        delete_before_replace=rec.get("delete_before_replace"),
        ignore_changes=rec.get("ignore_changes", []),
        aliases=rec.get("aliases", []),
        custom_timeouts=rec.get("custom_timeouts"),
        additional_secret_outputs=rec.get("additional_secret_outputs", []),
        parent=rec.get("parent"),
        dependencies=rec.get("dependencies", []),
        property_dependencies=rec.get("property_dependencies", {}),
        provider=rec.get("provider"),
        location=Location(loc["file"], loc.get("line")) if loc else None,
        op=rec.get("op"),
    )


# The run behind each Stack returned, for callers that want its outputs or timing.
_RUN_OF: dict[tuple[str, str], Run] = {}


def run_info(stack: Stack) -> Run | None:
    """The offline run that produced a program Stack: exported outputs, interpreter, seconds."""
    return _RUN_OF.get((stack.source, stack.stack))


def run_program_outputs(
    path: Path, stack: str, *, references: str | None = None, mocks: str | None = None,
    siblings: Sequence[Path] = (), use_cache: bool = True, capture: str = "mocks",
) -> dict[str, Any]:
    """The stack outputs (``pulumi.export``) of an offline run, in the wire form: unknown stays unknown."""
    with Session(references, mocks, siblings, use_cache=use_cache, capture=capture) as session:
        return session.run(load_project(Path(path)), stack).outputs


# The stack a project without any Pulumi.<stack>.yaml is checked as (``pulumi stack init``'s usual first).
DEFAULT_STACK = "dev"


def stacks_to_read(path: Path, stack: str | None) -> tuple[Project, list[str]]:
    """The project and the stack configs a read of it covers: ``stack``, or every one found, or
    :data:`DEFAULT_STACK` when the project has none (a stack file is optional in Pulumi)."""
    project = load_project(path)
    if stack is not None:
        return project, [stack]
    return project, project.stack_names() or [DEFAULT_STACK]


def default_stack_note(project: Project) -> str:
    return (
        f"no stack config (Pulumi.<stack>.yaml) in {project.stack_config_dir}: checked as one stack "
        f"named {DEFAULT_STACK!r} with the project's config only; pass --stack NAME to name it"
    )


def read_program(
    path: Path,
    *,
    stack: str | None,
    references: str | None,
    mocks: str | None,
    siblings: list[Path],
    session: Session | None = None,
    use_cache: bool = True,
    capture: str = "mocks",
) -> list[Stack]:
    """One Stack per stack config (or just ``stack``), each from an offline run of the program.

    ``session`` shares runners and captures with other reads (see load_stacks); without one, the
    read has its own, and its stack configs are captured one after another by one runner.
    """
    if session is None:
        with Session(references, mocks, siblings, use_cache=use_cache, capture=capture) as own:
            return read_program(
                path, stack=stack, references=references, mocks=mocks, siblings=siblings, session=own
            )
    path = Path(path)
    project, names = stacks_to_read(path, stack)
    notes = [default_stack_note(project)] if stack is None and not project.stack_names() else []
    tags = {"pulumi:project": project.name, "pulumi:runtime": project.runtime}
    if project.description:
        tags["pulumi:description"] = project.description
    stacks = []
    for name in names:
        run = session.run(project, name)
        for res in run.resources:
            if res.is_stack:  # the root stack's outputs are the program's exports
                res.outputs = dict(run.outputs)
        st = Stack(
            project=project.name,
            stack=name,
            resources=run.resources,
            kind="program",
            source=str(path),
            tags=dict(tags),
            config=dict(run.config),
            config_secret_keys=list(run.secret_keys),
            dry_run=True,
            project_file=str(project.file),
            config_file=str(project.stack_file(name)),
            outputs=dict(run.outputs),
            notes=[*notes, *(f"the program warned: {w}" for w in run.notes)],
            references=_references(run),
        )
        _RUN_OF[(st.source, st.stack)] = run
        stacks.append(st)
    return stacks
