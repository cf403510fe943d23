"""The Node.js launcher (TypeScript and JavaScript): the project's own ``@pulumi/pulumi`` run entry
started with the arguments and environment the Node language host gives it.

Followed from pulumi/pulumi v3.276.0 sdk/nodejs/cmd/pulumi-language-nodejs/main.go: ``parseOptions``
(``typescript`` default true, ``tsconfig``, ``nodeargs`` split as a shell splits, ``packagemanager``),
``locateModule`` (``require.resolve('@pulumi/pulumi/cmd/run')`` from the program directory, so
``node_modules`` is searched upward), ``execRuntime`` (``PULUMI_CONFIG`` with ``<ns>:config:<key>``
keys, ``PULUMI_CONFIG_SECRET_KEYS``, ``PULUMI_NODEJS_TYPESCRIPT=true``,
``PULUMI_NODEJS_TSCONFIG_PATH``) and ``constructArguments`` (``node [nodeargs] <run> --monitor
--engine --organization --project --root-directory --stack --pwd --dry-run --parallel <entry>``);
pkg/engine/project.go ``getPwdMain`` (``main`` a directory: run ``.`` in it; a file: its base name in
its directory); sdk/nodejs/npm/manager.go ``ResolvePackageManager`` (the install hint).

Differences from the real host: no ``--sync`` pipes (synchronous invokes: @pulumi/pulumi 3.276
defines ``tryGetSyncInvokes`` in runtime/settings.ts but never calls it) and no monitor proxy (the
program talks to the offline monitor directly); ``require.resolve`` is done here, the way Node does
it for a bare specifier, without starting Node. A StackReference to a sibling stack captured offline:
a preview leaves some of its outputs unknown, and the Node SDK (runtime/rpc.ts ``resolveProperties``)
marks a property unknown when any part of it is, so *every* output of that reference is unknown to a
Node program (the Python SDK keeps the known ones); ``--stack-references`` with the values makes them
known.

Source lines: the SDK (resource.ts ``Resource.callsites``) reads a resource's position by parsing
``new Error().stack`` with ``framePositionRegExp`` (``at <name> (<file>:<line>:<col>)``). A CommonJS
program, TypeScript through ts-node's ``register`` or compiled JavaScript, gives frames of that form,
source-mapped by the ``source-map-support`` that cmd/run installs. An ES module does not: V8 prints its
top-level frame as ``at file:///…/index.ts:5:16``, which the pattern skips (so ``sourcePosition`` is
empty), its named frames carry ``file://`` URLs the SDK garbles, and under ts-node's ESM loader (which
runs in Node's loader thread) its frames keep the compiled lines. ``node_positions.cjs``, preloaded
through ``NODE_OPTIONS`` (an argument would turn cmd/run's ESM mode off), replaces that one pattern
with a reader of both forms that maps an ES module's frame through Node's source-map cache.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tierguard.capture import cache, engine_host
from tierguard.capture import runner as shared
from tierguard.capture.languages import pwd_main
from tierguard.model.records import InputError

RUN_ENTRY = ("@pulumi", "pulumi", "cmd", "run")
POSITIONS = Path(__file__).resolve().with_name("node_positions.cjs")  # the source-position fix
RUN_PATH_ENV = "PULUMI_LANGUAGE_NODEJS_RUN_PATH"
PACKAGE_MANAGERS = ("auto", "npm", "yarn", "pnpm", "bun")
# sdk/nodejs/npm: the lockfile each package manager writes, in the order `auto` prefers them
LOCKFILES = {"yarn": ("yarn.lock",), "pnpm": ("pnpm-lock.yaml",), "bun": ("bun.lock", "bun.lockb"),
             "npm": ("package-lock.json",)}
INSTALL = {"npm": "npm install", "yarn": "yarn install", "pnpm": "pnpm install", "bun": "bun install"}


def search_up(start: Path, *parts: str) -> Path | None:
    """The nearest ``<dir>/<parts>`` at or above ``start`` (fsutil.Searchup, Node's module lookup)."""
    for directory in (start, *start.parents):
        candidate = directory.joinpath(*parts)
        if candidate.exists():
            return candidate
    return None


def options_of(project_dir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """main.go parseOptions, a wrong type refused with the project named."""
    out: dict[str, Any] = {"typescript": True, "tsconfig": "", "nodeargs": "", "packagemanager": "auto"}
    kinds = {"typescript": bool, "tsconfig": str, "nodeargs": str, "packagemanager": str}
    for key, kind in kinds.items():
        if key in options:
            if not isinstance(options[key], kind):
                shown = "boolean" if kind is bool else "string"
                raise InputError(str(project_dir / "Pulumi.yaml"),
                                 f"runtime option {key!r} must be a {shown}")
            out[key] = options[key]
    if out["packagemanager"] not in PACKAGE_MANAGERS:
        raise InputError(str(project_dir / "Pulumi.yaml"),
                         f"runtime option 'packagemanager' must be one of {', '.join(PACKAGE_MANAGERS)}, "
                         f"got {out['packagemanager']!r}")
    try:
        out["nodeargs"] = shlex.split(out["nodeargs"])
    except ValueError as exc:
        raise InputError(str(project_dir / "Pulumi.yaml"), f"runtime option 'nodeargs': {exc}") from None
    return out


def package_manager(pwd: Path, chosen: str) -> str:
    """ResolvePackageManager: the option, else the nearest lockfile's manager (yarn, pnpm, bun), else npm."""
    if chosen != "auto":
        return chosen
    if os.environ.get("PULUMI_PREFER_YARN", "").lower() in ("1", "true", "yes"):
        return "yarn"
    for manager in ("yarn", "pnpm", "bun"):
        if any(search_up(pwd, name) for name in LOCKFILES[manager]):
            return manager
    return "npm"


def lockfile(pwd: Path) -> Path | None:
    """The nearest lockfile of any manager at or above the program's directory."""
    for directory in (pwd, *pwd.parents):
        for names in LOCKFILES.values():
            for name in names:
                if (directory / name).is_file():
                    return directory / name
    return None


def resolve_run(pwd: Path) -> Path | None:
    """``require.resolve('@pulumi/pulumi/cmd/run')`` from ``pwd``: ``node_modules`` upward, then NODE_PATH."""
    override = os.environ.get(RUN_PATH_ENV)
    if override:
        found = Path(override) if Path(override).is_absolute() else pwd / override
        return _as_module(found)
    roots = [d / "node_modules" for d in (pwd, *pwd.parents)]
    roots += [Path(p) for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    for root in roots:
        found = _as_module(root.joinpath(*RUN_ENTRY))
        if found is not None:
            return found
    return None


def _as_module(path: Path) -> Path | None:
    """Node's LOAD_AS_FILE / LOAD_AS_DIRECTORY for the run entry (``cmd/run`` is a directory)."""
    if path.is_file():
        return path.resolve()
    for candidate in (path.with_name(path.name + ".js"), path / "index.js"):
        if candidate.is_file():
            return candidate.resolve()
    return None


@functools.lru_cache(maxsize=8)
def _node_version(node: str, mtime_ns: int) -> str:
    try:
        done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return ""
    return done.stdout.strip()


def pulumi_packages(node_modules: Path) -> dict[str, str]:
    """The version of every ``@pulumi/*`` package installed beside the SDK (they decide the program)."""
    out = {}
    scope = node_modules / "@pulumi"
    for manifest in sorted(scope.glob("*/package.json")):
        name = f"@pulumi/{manifest.parent.name}"
        try:
            out[name] = str(json.loads(manifest.read_text("utf-8")).get("version"))
        except (OSError, ValueError):
            out[name] = "?"
    return out


def node_config(config: dict[str, str]) -> str:
    """main.go constructConfig: ``<namespace>:<key>`` handed to the SDK as ``<namespace>:config:<key>``."""
    out = {}
    for key, value in config.items():
        namespace, sep, name = key.partition(":")
        out[f"{namespace}:config:{name}" if sep else key] = value
    return json.dumps(out)


ANSI = re.compile(r"\x1b\[[0-9;]*m")  # errors.ts inspects an error with colors on
UNHANDLED = re.compile(r"^Running program '.*' failed with an unhandled exception:\s*", re.S)
ERROR_LINE = re.compile(r"^(?P<type>[A-Za-z_$][\w$.]*): ?(?P<message>.*)$")
FRAME = re.compile(r"^\s*at (?:.* \()?(?:async )?(?P<file>.*?):(?P<line>\d+):\d+\)?$")
SYNTAX_AT = re.compile(r"^(?P<file>/.*|[A-Za-z]:\\.*|file://.*):(?P<line>\d+)$")
TS_DIAGNOSTIC = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),\d+\): (?P<text>error TS\d+: .*)$")


def explain(pwd: Path, sdk_files: tuple[str, ...]) -> Any:
    """run.ts's uncaught-exception report as the runner's error document: the error's type and first
    line, and the first frame (or TypeScript diagnostic) in the user's code as its location."""

    def user_file(name: str) -> Path | None:
        path = Path(unquote(urlparse(name).path)) if name.startswith("file://") else Path(name)
        path = path if path.is_absolute() else pwd / path
        if "node_modules" in path.parts or name.startswith("node:") or str(path) in sdk_files:
            return None
        return path if path.is_file() else None

    def located(name: str, line: str) -> dict[str, Any] | None:
        path = user_file(name)
        return {"file": str(path), "line": int(line)} if path else None

    def document(raw: str) -> dict[str, Any] | None:
        found = UNHANDLED.match(ANSI.sub("", raw))
        if found is None:
            return None  # a ResourceError or a log.error call: reported as logged
        lines = [ln.rstrip() for ln in raw[found.end():].splitlines()]
        lines = [ANSI.sub("", ln) for ln in lines if ln.strip()]
        location = None
        if lines and SYNTAX_AT.match(lines[0]):  # a SyntaxError: "<file>:<line>", the code, a caret
            at = SYNTAX_AT.match(lines[0])
            location = located(at["file"], at["line"]) if at else None
            lines = [ln for ln in lines[1:] if ERROR_LINE.match(ln)][:1] or lines
        head = ERROR_LINE.match(lines[0]) if lines else None
        if head is None:
            return None
        message = head["message"].lstrip("\u2a2f ").strip()
        diagnostics = [m for m in (TS_DIAGNOSTIC.match(ln.strip()) for ln in lines[1:]) if m]
        if diagnostics:  # TSError: "Unable to compile TypeScript:" then one line per diagnostic
            first = diagnostics[0]
            more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
            message = f"{message} {first['file']}({first['line']}): {first['text']}{more}"
            location = location or located(first["file"], first["line"])
        elif head["type"] == "TSError":
            message = " ".join([message, *lines[1:]])  # a diagnostic of the tsconfig, no position
        for frame in (FRAME.match(ln) for ln in lines[1:]):
            if location is None and frame:
                location = located(frame["file"], frame["line"])
        return {"type": head["type"], "message": message, "location": location}

    return document


def toolchain(project_dir: Path, main: str, options: dict[str, Any]) -> engine_host.Toolchain:
    """What runs this project: the ``node`` on the PATH and the SDK its ``node_modules`` holds."""
    opts = options_of(project_dir, options)
    pwd, entry = pwd_main(project_dir, main)
    manager = package_manager(pwd, opts["packagemanager"])
    node = shutil.which("node")
    if node is None:
        raise InputError(str(project_dir), "`node` is not on the PATH: install Node.js to check this "
                                           "nodejs project offline")
    run = resolve_run(pwd)
    if run is None:
        raise InputError(str(project_dir), f"@pulumi/pulumi is not installed (no node_modules with it at or "
                                           f"above {pwd}): run `{INSTALL[manager]}` in {pwd}")
    node_modules = run.parents[len(RUN_ENTRY)]  # <node_modules>/@pulumi/pulumi/cmd/run/index.js
    version = _node_version(node, Path(node).stat().st_mtime_ns)
    lock = lockfile(pwd)
    identity = {
        "node": version, "node_path": node, "lockfile": str(lock) if lock else None,
        "lockfile_digest": cache.file_digest(lock) if lock else None,
        "packages": pulumi_packages(node_modules), "run": str(run),
        "options": {**opts, "nodeargs": opts["nodeargs"]},
        "transpile_only": os.environ.get("PULUMI_NODEJS_TRANSPILE_ONLY", ""),
    }

    def start(request: dict[str, Any], address: str) -> engine_host.Launch:
        root = Path(request["project_dir"]).resolve()
        args = [node, *opts["nodeargs"], str(run)]
        flags = {
            "monitor": address, "engine": address,
            "organization": request.get("organization", "organization"), "project": request["project"],
            "root-directory": str(root), "stack": request["stack"],
            "pwd": str(pwd),
        }
        for flag, value in flags.items():
            args += [f"--{flag}", value]
        args += ["--dry-run", "--parallel", str(engine_host.parallel()), entry]
        env = dict(os.environ, **engine_host.engine_environment(request))
        env["PULUMI_CONFIG"] = node_config(request.get("config", {}))
        if opts["typescript"]:
            env["PULUMI_NODEJS_TYPESCRIPT"] = "true"
        if opts["tsconfig"]:
            env["PULUMI_NODEJS_TSCONFIG_PATH"] = opts["tsconfig"]
        # in NODE_OPTIONS, not the arguments: cmd/run turns ESM mode off when execArgv has a --require
        preload = f"--require {json.dumps(str(POSITIONS))}"
        env["NODE_OPTIONS"] = f"{env['NODE_OPTIONS']} {preload}" if env.get("NODE_OPTIONS") else preload
        return engine_host.Launch(args=args, cwd=pwd, env=env)

    locator = shared.Locator(project_dir.resolve(), (str(node_modules),), str(run))

    def locate(rec: dict[str, Any], positions: list[tuple[str, int]]) -> dict[str, Any] | None:
        mine = [(uri, line) for uri, line in positions if "node_modules" not in _parts(uri)]
        return shared.first_location(locator, mine)

    return engine_host.Toolchain(
        runtime="nodejs", shown=f"node {version}", identity=identity, start=start,
        outside=(str(node_modules),), locate=locate, used_files=(str(lock),) if lock else (),
        explain_logged=explain(pwd, (str(run), str(POSITIONS))),
    )


def _parts(uri: str) -> tuple[str, ...]:
    return Path(unquote(urlparse(uri).path)).parts
