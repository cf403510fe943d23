"""The Go launcher: the program built with ``go build`` and run with the engine's environment, as
Pulumi's Go language host runs it.

Followed from pulumi/pulumi sdk/go/pulumi-language-go/main.go (the host v3.276.0 ships): ``Run``
parses the ``binary``/``buildTarget`` runtime options (``parseOptions``: strings, not both), runs a
prebuilt ``binary`` found as ``executable.FindExecutable`` finds it (the project directory, then
``$GOPATH/bin``, then ``PATH``), else ``compileProgram``: ``go build -trimpath -o <out>`` in the
program directory (a ``buildTarget`` is that output, relative to the program directory; otherwise a
temporary file — here a stable file in tierguard's cache, so that Go finds it up to date and a
re-run of an unchanged program neither compiles nor links). ``constructEnv`` then sets, on top of the
host's own environment, PULUMI_ORGANIZATION, PULUMI_PROJECT, PULUMI_ROOT_DIRECTORY, PULUMI_STACK,
PULUMI_CONFIG (JSON), PULUMI_CONFIG_SECRET_KEYS (JSON), PULUMI_DRY_RUN, PULUMI_PARALLEL,
PULUMI_MONITOR and PULUMI_ENGINE — what the Go SDK's ``getEnvInfo`` (sdk/go/pulumi/run.go) reads.

Source positions: the Go SDK sends each registration's caller frame and stack trace as
``file:///<frame file>`` (sdk/go/pulumi/context.go ``getSourcePositionForFrame``). Built with
``-trimpath`` a frame file is ``<module path>/<file>`` for the main (and workspace) modules,
``<module>@<version>/<file>`` for a dependency and ``<package>/<file>`` for the standard library;
:func:`locator` maps the first back onto the module's directory, so a finding lands on ``main.go:<line>``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

from tierguard.capture import cache
from tierguard.capture import runner as shared
from tierguard.capture.engine_host import Launch, Toolchain, engine_environment, parallel, timeout_seconds
from tierguard.capture.languages import pwd_main
from tierguard.model.records import InputError

GO_ENV = ("GOVERSION", "GOROOT", "GOMODCACHE", "GOMOD", "GOWORK", "GOFLAGS", "GOOS", "GOARCH", "CGO_ENABLED")
# a compiler or go-command error line: ``./main.go:12:3: undefined: foo``
ERROR_LINE = re.compile(r"^(?P<file>[^\s:]+\.go):(?P<line>\d+)(?::\d+)?: (?P<message>.+)$")
PANIC_FRAME = re.compile(r"^\t(?P<file>\S+\.go):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$")
_BUILD_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def toolchain(project_dir: Path, main: str, options: dict[str, Any]) -> Toolchain:
    """The Go toolchain on the PATH for this project, refused in one line when there is none."""
    binary, build_target = _options(project_dir, options)
    program_dir, _ = pwd_main(project_dir, main)
    go = shutil.which("go")
    if go is None and not binary:
        raise InputError(str(project_dir), "runtime 'go' needs the Go toolchain: put `go` on the PATH "
                         "(https://go.dev/doc/install)")
    env = _go_env(go, program_dir) if go else {}
    modules = _main_modules(env)
    prebuilt = _find_binary(binary, program_dir) if binary else None
    identity = {
        "go": env.get("GOVERSION"), "goflags": env.get("GOFLAGS"),
        "platform": [env.get("GOOS"), env.get("GOARCH"), env.get("CGO_ENABLED")],
        # go.mod, go.sum and go.work decide the build even where they sit above the project
        "modules": {f: cache.file_digest(f) for f in _module_files(env)},
        "binary": _file_mark(prebuilt) if prebuilt else None,
        "build_target": build_target, "launcher": cache.file_digest(__file__),
    }

    def start(request: dict[str, Any], address: str) -> Launch:
        program = prebuilt or _build(go, project_dir, program_dir, build_target)
        env_vars = {
            **engine_environment(request),
            "PULUMI_ORGANIZATION": request.get("organization", "organization"),
            "PULUMI_PROJECT": request["project"], "PULUMI_STACK": request["stack"],
            "PULUMI_ROOT_DIRECTORY": str(project_dir), "PULUMI_DRY_RUN": "true",
            "PULUMI_PARALLEL": str(parallel()), "PULUMI_MONITOR": address, "PULUMI_ENGINE": address,
        }
        return Launch(args=[str(program)], cwd=program_dir, env=dict(os.environ, **env_vars))

    outside = tuple(p for p in (env.get("GOROOT"), env.get("GOMODCACHE")) if p)
    shown = f"{env.get('GOVERSION') or 'go'} ({go})" if go else str(prebuilt)
    return Toolchain(runtime="go", shown=shown, identity=identity, start=start, outside=outside,
                     locate=locator(project_dir, modules, outside), explain=panic_detail)


def _options(project_dir: Path, options: dict[str, Any]) -> tuple[str, str]:
    """main.go parseOptions: ``binary`` and ``buildTarget`` are strings, and not both."""
    found = {}
    for name in ("binary", "buildTarget"):
        value = options.get(name, "")
        if not isinstance(value, str):
            raise InputError(str(project_dir / "Pulumi.yaml"), f"runtime option `{name}` must be a string")
        found[name] = value
    if found["binary"] and found["buildTarget"]:
        raise InputError(str(project_dir / "Pulumi.yaml"), "binary and buildTarget cannot both be specified")
    return found["binary"], found["buildTarget"]


def _find_binary(binary: str, program_dir: Path) -> Path:
    """executable.FindExecutable: beside the program, then each ``$GOPATH/bin``, then the PATH."""
    candidates = [program_dir / binary]
    candidates += [Path(p, "bin", binary) for p in os.environ.get("GOPATH", "").split(os.pathsep) if p]
    for path in candidates:
        if path.is_file():
            return path
    on_path = shutil.which(binary)
    if on_path:
        return Path(on_path)
    raise InputError(str(program_dir), f"unable to find the `binary` {binary!r} of Pulumi.yaml: build it, "
                     "or drop the option to let the program be built")


def _file_mark(path: Path) -> list[Any]:
    st = path.stat()
    return [str(path), st.st_size, st.st_mtime_ns]


@functools.lru_cache(maxsize=64)
def _go_env_cached(go: str, program_dir: str, mark: tuple[Any, ...]) -> dict[str, str]:
    try:
        out = subprocess.run([go, "env", "-json", *GO_ENV], cwd=program_dir, capture_output=True, text=True,
                             timeout=60, check=True).stdout
        return json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        detail = _first_line(getattr(exc, "stderr", "") or str(exc))
        raise InputError(program_dir, f"`go env` failed: {detail}") from None


def _go_env(go: str, program_dir: Path) -> dict[str, str]:
    """What ``go env`` says for the program's directory (its version, roots and module files); asked
    once per process while the go binary and Go's environment variables are unchanged."""
    st = os.stat(os.path.realpath(go))
    mark = (st.st_size, st.st_mtime_ns, *(os.environ.get(k, "") for k in (*GO_ENV, "GOENV", "GOPATH")))
    return _go_env_cached(go, str(program_dir), mark)


def _module_files(env: dict[str, str]) -> list[str]:
    """The go.mod/go.sum (and go.work/go.work.sum) the build reads."""
    files = []
    for key, sums in (("GOMOD", "go.sum"), ("GOWORK", "go.work.sum")):
        path = env.get(key) or ""
        if path and path != os.devnull:
            files += [path, str(Path(path).with_name(sums))]
    return files


def _main_modules(env: dict[str, str]) -> list[tuple[str, Path]]:
    """(module path, directory) of the main module, or of each module a go.work uses; longest first."""
    gomod, gowork = env.get("GOMOD") or "", env.get("GOWORK") or ""
    dirs: list[Path] = []
    if gowork and gowork != "off":
        root = Path(gowork).parent
        dirs = [(root / d).resolve() for d in _work_uses(Path(gowork))]
    elif gomod and gomod != os.devnull:
        dirs = [Path(gomod).parent]
    found = [(m, d) for d in dirs if (m := _module_path(d / "go.mod"))]
    return sorted(found, key=lambda item: -len(item[0]))


def _module_path(gomod: Path) -> str | None:
    try:
        text = gomod.read_text(encoding="utf-8")
    except OSError:
        return None
    m = re.search(r'^\s*module\s+"?([^\s"]+)"?', text, re.M)
    return m.group(1) if m else None


def _work_uses(gowork: Path) -> list[str]:
    try:
        text = re.sub(r"//.*", "", gowork.read_text(encoding="utf-8"))
    except OSError:
        return []
    uses = []
    for block in re.findall(r"^\s*use\s*\((.*?)\)", text, re.M | re.S):
        uses += block.split()
    uses += re.findall(r"^\s*use\s+([^\s(]+)\s*$", text, re.M)
    return [u.strip('"') for u in uses]


def locator(project_dir: Path, modules: list[tuple[str, Path]], outside: tuple[str, ...]) -> Any:
    """Positions -> the first ``{"file", "line"}`` in the user's code: a trimmed frame file of a main
    module is put back in that module's directory; an absolute one (a build without -trimpath, a
    prebuilt binary) is taken as it is; GOROOT, the module cache, dependencies and the standard
    library are never the user's code."""
    located = shared.Locator(project_dir, outside, "")

    def absolute(uri: str) -> str | None:
        path = unquote(urlparse(uri).path)
        trimmed = path.lstrip("/")
        for module, directory in modules:
            if trimmed == module or trimmed.startswith(module + "/"):
                return "file://" + quote(str(directory / trimmed[len(module) + 1:]))
        return uri if os.path.isabs(path) and os.path.exists(path) else None

    def locate(rec: dict[str, Any], positions: list[tuple[str, int]]) -> dict[str, Any] | None:
        for uri, line in positions:
            real = absolute(uri)
            loc = located.location(real, line) if real else None
            if loc:
                return loc
        return None

    return locate


def panic_detail(stderr_lines: list[str]) -> str | None:
    """A crashed Go program's ``panic: ...`` line and the first frame in the user's files, not the
    last line of its goroutine dump."""
    starts = ("panic: ", "fatal error: ")
    panic = next((i for i, ln in enumerate(stderr_lines) if ln.startswith(starts)), None)
    if panic is None:
        return None
    message = stderr_lines[panic].strip()
    for ln in stderr_lines[panic + 1:]:
        m = PANIC_FRAME.match(ln)
        if m and "@" not in m["file"] and not m["file"].startswith(("runtime/", "/usr/")) and \
                "/pulumi/sdk/" not in m["file"]:
            return f"{message} (at {Path(m['file']).name}:{m['line']})"
    return message


# -- building -------------------------------------------------------------------------------------


def build_dir(program_dir: Path) -> Path:
    """Where a program's binary is kept: tierguard's cache, one directory per program directory."""
    digest = hashlib.sha256(str(program_dir).encode()).hexdigest()[:16]
    return cache.cache_dir().parent / "go-build" / f"{program_dir.name}-{digest}"


def _build(go: str | None, project_dir: Path, program_dir: Path, build_target: str) -> Path:
    """main.go compileProgram: ``go build -trimpath -o <out>`` in the program directory; one build at a
    time per program (the stacks of one project share it)."""
    if go is None:  # a prebuilt binary needs no go; anything else was refused in toolchain()
        raise InputError(str(project_dir), "runtime 'go' needs the Go toolchain: put `go` on the PATH")
    if not any(program_dir.glob("*.go")):
        raise InputError(str(program_dir), "no *.go files for `go build`: nothing to run (set `main:` in "
                         "Pulumi.yaml to the directory of the program's package main)")
    out = (program_dir / build_target) if build_target else build_dir(program_dir) / "program"
    out.parent.mkdir(parents=True, exist_ok=True)
    with _LOCKS_LOCK:
        lock = _BUILD_LOCKS.setdefault(str(out), threading.Lock())
    limit = timeout_seconds()
    with lock:
        try:
            proc = subprocess.run([go, "build", "-trimpath", "-o", str(out)], cwd=program_dir,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            raise InputError(str(project_dir), f"`go build` did not finish within {limit:g} s and was "
                             "stopped (set TIERGUARD_CAPTURE_TIMEOUT to allow longer)") from None
    if proc.returncode != 0:
        detail = _build_error(proc.stderr, program_dir, project_dir)
        raise InputError(str(project_dir), f"`go build` failed: {detail}")
    if not os.access(out, os.X_OK):
        raise InputError(str(project_dir), "go program is not executable, does your program have a 'main' "
                         "package?")
    return out


def _build_error(stderr: str, program_dir: Path, project_dir: Path) -> str:
    """The first compiler error with its file:line, else the go command's first message."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not ln.startswith("#")]
    for ln in lines:
        m = ERROR_LINE.match(ln)
        if m:
            shown = os.path.relpath((program_dir / m["file"]).resolve(), project_dir)
            return f"{shown}:{m['line']}: {m['message']}"
    return _first_line("\n".join(lines))


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else "no output"
