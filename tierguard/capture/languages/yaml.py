"""Pulumi YAML (``runtime: yaml``): the real ``pulumi-language-yaml`` host, started and driven the way
the engine drives a language plugin, against the offline engine.

Followed from pulumi/pulumi v3.276.0: sdk/go/common/resource/plugin/langruntime_plugin.go
(``NewLanguageRuntime``: the host is found as a bundled language plugin, started with the engine's
address as its one argument, and answers with its port on the first line of stdout; ``langhost.Run``
builds the ``RunRequest``), plugin.go (``ExecPlugin``: the engine's own environment, nothing added for
a language plugin), pkg/resource/deploy/program_source.go (what ``Run`` is sent: monitor address,
project, stack, pwd, program, config, secret keys, dry run, parallel, organization, the
``ProgramInfo`` of root, program directory and entry point) and pkg/engine/project.go ``getPwdMain``
(``main:`` a directory is the program directory; a file makes its directory that). From
pulumi/pulumi-yaml v1.25.0: cmd/pulumi-language-yaml/main.go (``useRPCLoader=false``; it health-checks
the engine address, an ``Unimplemented`` answer counting as alive), pkg/server/server.go ``Run``
(``RunResponse.error`` for a load or run failure; ``bail`` with the diagnostics written to its stderr
for a program it rejects), pkg/pulumiyaml/run.go ``LoadDir`` (the program is ``Main.json``, else
``Main.yaml``, else ``Pulumi.yaml`` in the program directory) and packages.go
(``GetReferencedPackages``: the packages are the resources' ``type:`` and the invokes' ``function:``
packages, ``pulumi`` aside, ``pulumi:providers:<pkg>`` meaning ``<pkg>``).

Provider plugins: the host loads each package's schema itself, from the provider plugin (``GetSchema``)
that its own plugin host finds the way the CLI does (workspace/plugins.go ``getPluginInfoAndPath``):
a ``pulumi-resource-<pkg>`` on ``PATH`` first, else the plugin cache ``$PULUMI_HOME/plugins``
(``~/.pulumi/plugins``, what ``pulumi plugin install`` fills). Offline nothing is downloaded
(``PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION``): a package with neither is refused before the
program runs, naming the install command. The tests give it the stand-in providers (tools/pulumi).

The host's ``sourcePosition`` is a frame of its own Go code (pkg/pulumiyaml/run.go), never the
program: each resource gets the line of its key under ``resources:`` instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from tierguard.capture import cache, engine_host
from tierguard.capture.engine_host import Launch, Toolchain
from tierguard.capture.languages import pwd_main
from tierguard.model.records import InputError

HOST = "pulumi-language-yaml"
# The CLI `make pulumi-cli` builds (tools/pulumi/go.mod pins it) and, beside it, the host.
PINNED_CLI = "v3.276.0"
HOW_TO_GET = "build it with `make pulumi-cli`, or install the Pulumi CLI (it bundles the host) on the PATH"
PROGRAM_FILES = ("Main.json", "Main.yaml", "Pulumi.yaml")  # run.go LoadDir, in its order
DIAGNOSTIC = re.compile(r"^(Error|error): (?P<message>.+)$")
WHERE = re.compile(r"^\s*on (?P<file>\S+) line (?P<line>\d+)")
COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # the host writes its diagnostics in colour, always


def tierguard_cache_bin() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tierguard" / "pulumi" / PINNED_CLI / "bin"


def find_host() -> Path | None:
    """The host the CLI would run: on PATH, beside the ``pulumi`` on PATH, else the one
    ``make pulumi-cli`` built into the tierguard cache."""
    on_path = shutil.which(HOST)
    if on_path:
        return Path(on_path)
    cli = shutil.which("pulumi")
    candidates = [Path(cli).resolve().parent / HOST] if cli else []
    candidates.append(tierguard_cache_bin() / HOST)
    return next((c for c in candidates if os.access(c, os.X_OK)), None)


# -- the program file ------------------------------------------------------------------------------


def program_file(directory: Path) -> Path | None:
    return next((directory / n for n in PROGRAM_FILES if (directory / n).is_file()), None)


def _node(mapping: Any, key: str) -> Any:
    if isinstance(mapping, yaml.MappingNode):
        for k, v in mapping.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def resource_lines(file: Path) -> dict[str, int]:
    """Logical name -> line of its key under ``resources:`` (a ``name:`` field renames it)."""
    try:
        root = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return {}
    resources = _node(root, "resources")
    lines: dict[str, int] = {}
    if isinstance(resources, yaml.MappingNode):
        for key, decl in resources.value:
            named = _node(decl, "name")
            name = named.value if isinstance(named, yaml.ScalarNode) else key.value
            lines.setdefault(str(name), key.start_mark.line + 1)
    return lines


def referenced_packages(file: Path) -> dict[str, str]:
    """GetReferencedPackages, read from the file: package -> the version a resource or invoke pins
    (empty: the newest installed)."""
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}  # the host reports the file's own problem
    found: dict[str, str] = {}

    def accept(token: Any, options: Any) -> None:
        if not isinstance(token, str) or ":" not in token:
            return
        parts = token.split(":")
        pkg = parts[2] if len(parts) == 3 and parts[:2] == ["pulumi", "providers"] else parts[0]
        version = options.get("version") if isinstance(options, dict) else None
        if pkg != "pulumi":
            found[pkg] = found.get(pkg) or str(version or "")

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            invoke = value.get("fn::invoke")
            if isinstance(invoke, dict):
                accept(invoke.get("function"), invoke.get("options"))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    resources = doc.get("resources") if isinstance(doc, dict) else None
    for decl in (resources or {}).values() if isinstance(resources, dict) else ():
        if isinstance(decl, dict):
            accept(decl.get("type"), decl.get("options"))
    walk(doc)
    return found


# -- provider plugins --------------------------------------------------------------------------------


def plugin_dir() -> Path:
    """workspace.GetPluginDir: ``$PULUMI_HOME/plugins``, ``~/.pulumi/plugins`` by default."""
    home = os.environ.get("PULUMI_HOME")
    return Path(home) / "plugins" if home else Path.home() / ".pulumi" / "plugins"


def _version_key(version: str) -> tuple[Any, ...]:
    core, _, pre = version.lstrip("v").partition("-")
    numbers = tuple(int(p) if p.isdigit() else 0 for p in core.split("."))
    return (*numbers, pre == "", pre)


def find_plugin(pkg: str, version: str) -> tuple[Path, str] | None:
    """(executable, version) of the provider the host's plugin host would start; the version is
    empty for one found on PATH (the host asks the plugin itself)."""
    if os.environ.get("PULUMI_IGNORE_AMBIENT_PLUGINS", "").lower() not in ("1", "true"):
        ambient = shutil.which(f"pulumi-resource-{pkg}")
        if ambient:
            return Path(ambient), ""
    installed = []
    root = plugin_dir()
    for entry in root.glob(f"resource-{pkg}-v*") if root.is_dir() else ():
        have = entry.name.removeprefix(f"resource-{pkg}-v")
        exe = entry / f"pulumi-resource-{pkg}"
        if entry.is_dir() and exe.exists() and not entry.with_name(entry.name + ".partial").exists():
            installed.append((_version_key(have), have, exe))
    if version:
        installed = [i for i in installed if i[1] == version.lstrip("v")]
    if not installed:
        return None
    _, have, exe = max(installed)
    return exe, have


def providers(project_dir: Path, file: Path) -> dict[str, tuple[Path, str]]:
    """Each package's plugin; a package without one is refused here, as the CLI refuses it offline."""
    found = {}
    for pkg, version in sorted(referenced_packages(file).items()):
        plugin = find_plugin(pkg, version)
        if plugin is None:
            pinned = f" {version}" if version else ""
            raise InputError(str(project_dir), (
                f"no provider plugin {pkg}{pinned} for the YAML host (it reads each package's schema "
                f"from its provider): run `pulumi plugin install resource {pkg}{pinned}`"))
        found[pkg] = plugin
    return found


# -- running ---------------------------------------------------------------------------------------


def toolchain(project_dir: Path, main: str, options: dict[str, Any]) -> Toolchain:
    host = find_host()
    if host is None:
        raise InputError(str(project_dir), f"no {HOST} (the Pulumi YAML language host): {HOW_TO_GET}")
    directory, _ = pwd_main(project_dir, main)
    file = program_file(directory)
    if file is None:
        raise InputError(str(directory), "no Main.yaml, Main.json or Pulumi.yaml: no YAML program to run")
    plugins = providers(project_dir, file)
    identity = {
        "host": cache.interpreter_identity(host)["binary"],
        "plugins": {pkg: [version, *cache.interpreter_identity(exe)["binary"]]
                    for pkg, (exe, version) in plugins.items()},
    }
    lines_of: dict[str, int] = {}
    shown_file = Path(os.path.relpath(file, project_dir)).as_posix()

    def start(request: dict[str, Any], address: str) -> Launch:
        lines_of.clear()
        lines_of.update(resource_lines(file))
        env = dict(os.environ, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
                   PULUMI_SKIP_UPDATE_CHECK="true")
        return Launch(args=[str(host), address], cwd=directory, env=env,
                      drive=_driver(_run_request(request, address, project_dir, directory, options)))

    def locate(rec: dict[str, Any], positions: list[tuple[str, int]]) -> dict[str, Any] | None:
        if rec.get("default_provider") or rec["type"] == engine_host.STACK_TYPE:
            return None
        line = lines_of.get(rec["name"])
        return {"file": shown_file, "line": line} if line else None

    return Toolchain(
        runtime="yaml", shown=f"{HOST} ({host})", identity=identity, start=start, locate=locate,
        explain=explain, used_files=(str(host), *(str(exe) for exe, _ in plugins.values())),
    )


def _run_request(
    request: dict[str, Any], address: str, project_dir: Path, directory: Path, options: dict[str, Any]
) -> Any:
    """program_source.go: the RunRequest the engine sends for a preview."""
    from pulumi.runtime.proto import language_pb2

    info = language_pb2.ProgramInfo(
        root_directory=str(project_dir), program_directory=str(directory), entry_point=".",
        options=engine_host.to_struct(options),
    )
    return language_pb2.RunRequest(
        monitor_address=address, pwd=str(directory), program=".", project=request["project"],
        stack=request["stack"], config=request.get("config", {}),
        configSecretKeys=request.get("secret_keys", []), dryRun=True, parallel=engine_host.parallel(),
        organization=request.get("organization", "organization"), info=info,
    )


def _read_port(proc: subprocess.Popen[str], limit: float) -> str:
    """The first line of the host's stdout (its port); raises TimeoutExpired when none comes."""
    assert proc.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(limit)
    if reader.is_alive():
        raise subprocess.TimeoutExpired(proc.args, limit)
    return line[0].strip() if line else ""


def _driver(run_request: Any) -> Any:
    def drive(proc: subprocess.Popen[str], limit: float) -> int:
        import grpc
        from pulumi.runtime.proto import language_pb2_grpc

        deadline = time.monotonic() + limit
        port = _read_port(proc, limit)
        if not port.isdigit():
            return proc.wait(timeout=max(deadline - time.monotonic(), 0.1)) or 1
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            try:
                response = language_pb2_grpc.LanguageRuntimeStub(channel).Run(
                    run_request, timeout=max(deadline - time.monotonic(), 0.1))
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise subprocess.TimeoutExpired(proc.args, limit) from None
                raise engine_host.HostFailure(f"the YAML host failed: {exc.details()}") from None
        if response.error:
            raise engine_host.HostFailure(response.error)
        return 1 if response.bail else 0

    return drive


def explain(lines: list[str]) -> str | None:
    """The host's first diagnostic on one line: ``Pulumi.yaml line 8: Property ... does not exist``."""
    lines = [COLOUR.sub("", line) for line in lines]
    for i, line in enumerate(lines):
        found = DIAGNOSTIC.match(line.strip())
        if not found:
            continue
        where = next((WHERE.match(n) for n in lines[i + 1:i + 4] if WHERE.match(n)), None)
        message = found["message"].strip()
        return f"{where['file']} line {where['line']}: {message}" if where else message
    return None
