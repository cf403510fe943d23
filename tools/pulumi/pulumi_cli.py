"""Find the Pulumi CLI for the end-to-end tests and benchmarks, and run it on a local backend.

The CLI is a `pulumi` on PATH at a supported version, else the one `make pulumi-cli` built into
`${XDG_CACHE_HOME:-~/.cache}/tierguard/pulumi/<version>/bin`. Every workspace gets its own
`file://` backend and PULUMI_HOME in a temporary directory: no Pulumi Cloud, no network, and
nothing shared between pytest-xdist workers. Providers are the stand-ins (plugins/standin_provider.py),
installed into that PULUMI_HOME with `pulumi plugin install --file`; the Python language host is
the one beside the CLI (for the CLI built here: the stand-in plugins/pulumi-language-python, kept
in sync beside it). The Pulumi YAML language host is the real `pulumi-language-yaml`: the one
bundled beside a `pulumi` on PATH, or the one `make pulumi-cli` builds (from pulumi/pulumi-yaml at
YAML_HOST_VERSION) beside the CLI in the cache. Automatic plugin downloads are switched off.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGINS = HERE / "plugins"
# The release the packs are tested against (tools/pulumi/go.mod pins it).
PINNED = re.search(r"github.com/pulumi/pulumi/pkg/v3 (v\S+)", (HERE / "go.mod").read_text()).group(1)
# The Pulumi YAML language host `make pulumi-cli` builds (github.com/pulumi/pulumi-yaml, served by the proxy).
YAML_HOST_VERSION = "v1.25.0"
YAML_HOST = "pulumi-language-yaml"
# A `pulumi` already on PATH is used when its version is in this range.
SUPPORTED = ((3, 260), (4, 0))
HOW_TO_GET = "run `make pulumi-cli` (builds the pinned CLI from Go modules) or put pulumi >= 3.260 on PATH"
# Packages whose provider is the stand-in (plugins/standin_provider.py): only the cloud API is not real.
STANDIN_PACKAGES = ("gcp", "kubernetes", "aws", "azure-native")
PASSPHRASE = "tierguard-e2e"  # the local backend's secrets passphrase (test stacks only)


def _sdk_version(package: str) -> str:
    """The plugin version the installed Python SDK of `package` asks the engine for."""
    from importlib import resources

    module = f"pulumi_{package.replace('-', '_')}"
    spec = json.loads(resources.files(module).joinpath("pulumi-plugin.json").read_text())
    return spec["version"]


def write_standin_plugins(plugins_dir: Path, schema_cache: Path | None = None) -> dict[str, str]:
    """The stand-in providers laid out as `pulumi plugin install` lays out a plugin
    (`<plugins_dir>/resource-<pkg>-v<version>/pulumi-resource-<pkg>`), at the versions the Python
    SDKs ask for, for an engine or YAML host reading `$PULUMI_HOME/plugins` without the CLI;
    `schema_cache` pins where their schemas are cached. Returns {package: version}."""
    cache = f"XDG_CACHE_HOME={schema_cache} " if schema_cache else ""
    versions = {}
    for pkg in STANDIN_PACKAGES:
        versions[pkg] = _sdk_version(pkg)
        target = plugins_dir / f"resource-{pkg}-v{versions[pkg]}"
        target.mkdir(parents=True, exist_ok=True)
        exe = target / f"pulumi-resource-{pkg}"
        provider = PLUGINS / "standin_provider.py"
        exe.write_text(f'#!/bin/sh\n{cache}exec {sys.executable} {provider} {pkg} "$@"\n')
        exe.chmod(0o755)
    return versions


def cache_dir(version: str = PINNED) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tierguard" / "pulumi" / version


def _version(binary: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run(
            [binary, "version"], capture_output=True, text=True, timeout=60,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"v?(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(x) for x in m.groups()) if m else None


STANDIN_HOSTS = ("pulumi-language-python", "pulumi-language-nodejs")
# The Node SDKs the nodejs examples install (examples/package-lock.json): their plugin versions too.
NODE_MODULES = HERE.parents[1] / "examples" / "node_modules"


def _sync_language_host(bin_dir: Path) -> None:
    """Keep the stand-in Python and Node.js language hosts beside the built CLI (where the engine looks
    for its bundled language hosts) identical to plugins/<host>; atomic for parallel workers."""
    for host in STANDIN_HOSTS:
        source = (PLUGINS / host).read_bytes()
        target = bin_dir / host
        if target.exists() and target.read_bytes() == source:
            continue
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        tmp.write_bytes(source)
        tmp.chmod(0o755)
        os.replace(tmp, target)


def _node_sdk_version(package: str) -> str | None:
    """The plugin version the installed Node SDK of `package` asks for, None when not installed."""
    manifest = NODE_MODULES / "@pulumi" / package / "package.json"
    if not manifest.is_file():
        return None
    info = json.loads(manifest.read_text())
    return (info.get("pulumi") or {}).get("version") or info["version"]


def yaml_host(cli: Path) -> Path | None:
    """The YAML language host the engine of `cli` runs, None when there is none. The engine takes a
    bundled language host from PATH, else from beside its resolved executable (workspace/plugins.go
    getPluginInfoAndPath); a Workspace puts the CLI's directory first on PATH, so that one wins."""
    beside = cli.resolve().parent / YAML_HOST
    if os.access(beside, os.X_OK):
        return beside
    on_path = shutil.which(YAML_HOST)
    return Path(on_path) if on_path else None


def find_cli() -> tuple[Path | None, str]:
    """(path to `pulumi`, where it came from) or (None, why not). A CLI counts only with its YAML
    language host: the e2e tests preview Pulumi YAML programs too."""
    on_path = shutil.which("pulumi")
    if on_path:
        v = _version(on_path)
        if v and SUPPORTED[0] <= v[:2] < SUPPORTED[1] and yaml_host(Path(on_path)):
            return Path(on_path), f"PATH ({'.'.join(map(str, v))})"
    bin_dir = cache_dir() / "bin"
    built = bin_dir / "pulumi"
    needed = ("pulumi-language-python-exec", YAML_HOST)
    if built.exists() and all((bin_dir / name).exists() for name in needed):
        _sync_language_host(built.parent)
        return built, f"cache {built.parent} ({PINNED})"
    return None, f"no Pulumi CLI found: {HOW_TO_GET}"


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> Result:
        if self.returncode != 0:
            command = " ".join(self.args)
            tail = f"{self.stdout[-4000:]}\n{self.stderr[-4000:]}"
            raise AssertionError(f"pulumi {command} exited {self.returncode}\n{tail}")
        return self


@dataclass
class Workspace:
    """One local backend (and PULUMI_HOME) in `root`, driving the CLI at `cli`."""

    cli: Path
    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.root / "backend").mkdir(parents=True, exist_ok=True)
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        self._install_plugins()

    def _install_plugins(self) -> None:
        """Install the stand-in providers into this workspace's plugin cache with `pulumi plugin
        install --file`, at the versions the Python SDKs ask for: the engine then finds them as it
        finds real plugins, without network and without ambient-plugin warnings."""
        for pkg in STANDIN_PACKAGES:
            src = self.root / "plugin-src" / pkg
            src.mkdir(parents=True, exist_ok=True)
            exe = src / f"pulumi-resource-{pkg}"
            exe.write_text(f'#!/bin/sh\nexec {sys.executable} {PLUGINS / "standin_provider.py"} {pkg} "$@"\n')
            exe.chmod(0o755)
            versions = {_sdk_version(pkg), _node_sdk_version(pkg)} - {None}
            for version in sorted(versions):
                self.run("plugin", "install", "resource", pkg, f"v{version}", "--file", str(src),
                         cwd=self.root).check()

    @property
    def env(self) -> dict[str, str]:
        # the CLI's directory (its language hosts and exec shim), then this interpreter's (python3)
        path = os.pathsep.join([str(self.cli.parent), str(Path(sys.executable).parent), os.environ["PATH"]])
        env = {
            **os.environ,
            "PATH": path,
            "PULUMI_HOME": str(self.root / "home"),
            "PULUMI_BACKEND_URL": f"file://{self.root / 'backend'}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DEBUG_COMMANDS": "true",  # `--event-log` exists only with this set
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
            "NO_COLOR": "1",
            **self.extra_env,
        }
        env.pop("PULUMI_ACCESS_TOKEN", None)
        return env

    def run(self, *args: str, cwd: Path, stdin: str | None = None, timeout: int = 600) -> Result:
        proc = subprocess.run(
            [str(self.cli), *args, "--non-interactive", "--color", "never"]
            if args and args[0] in {"preview", "up", "destroy", "refresh"}
            else [str(self.cli), *args],
            cwd=cwd, env=self.env, capture_output=True, text=True, input=stdin, timeout=timeout,
        )
        return Result(list(args), proc.returncode, proc.stdout, proc.stderr)

    def preview(self, project_dir: Path, stack: str, *extra: str) -> Result:
        return self.run("preview", "--stack", stack, *extra, cwd=project_dir)

    def up(self, project_dir: Path, stack: str, *extra: str) -> Result:
        return self.run("up", "--yes", "--skip-preview", "--stack", stack, *extra, cwd=project_dir)


def read_events(path: Path) -> list[dict]:
    """The JSON lines of an `--event-log` file."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def policy_violations(events: list[dict]) -> set[tuple[str, str, str]]:
    """(policy, resource URN, enforcement level) of each policy violation event in an event log."""
    found = set()
    for event in events:
        policy = event.get("policyEvent")
        if policy:
            found.add((policy["policyName"], policy.get("resourceUrn", ""), policy["enforcementLevel"]))
    return found


def packs_ran(events: list[dict]) -> set[str]:
    """The policy packs whose stack analysis the engine reported (proof the packs really ran)."""
    return {
        e["policyAnalyzeStackSummaryEvent"]["policyPackName"]
        for e in events
        if "policyAnalyzeStackSummaryEvent" in e
    }


# examples/go.mod's provider SDKs: the Go programs ask the engine for these plugin versions
GO_SDK_PLUGINS = (("aws", "v6.83.4"), ("kubernetes", "v4.32.0"))


def go_workspace(cli: Path, root: Path) -> Workspace:
    """A workspace in `root` for Go programs: the STAND-IN Go language host (plugins/pulumi-language-go)
    first on its PATH and the stand-in providers also installed at the Go SDKs' versions."""
    hosts = root / "hosts"
    hosts.mkdir(parents=True, exist_ok=True)
    shutil.copy(PLUGINS / "pulumi-language-go", hosts / "pulumi-language-go")
    base = Workspace(cli=cli, root=root / "pulumi")
    path = f"{hosts}{os.pathsep}{base.env['PATH']}"
    ws = Workspace(cli=cli, root=root / "pulumi", extra_env={"PATH": path})
    for pkg, version in GO_SDK_PLUGINS:
        src = ws.root / "plugin-src" / pkg
        ws.run("plugin", "install", "resource", pkg, version, "--file", str(src), cwd=ws.root).check()
    return ws
