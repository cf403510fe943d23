"""The capture cache: what a program registered, kept on disk so that an unchanged program is not
run again (a pre-commit run then costs the policies, not the Pulumi SDK).

Only captures are cached, never findings: policies always run fresh over them.

An entry is found by a key over everything known before the run that can change what the program
registers -- tierguard's own version and capture code, the interpreter, the project directory and
every file in it (Pulumi.yaml, the stack's Pulumi.<stack>.yaml, the program and its data), the stack
name, the request the runner gets (config, secret keys, --mocks answers) -- and holds what only the
run can tell, checked again before it is used:

* ``files``: Python modules the program imported from outside its project and outside any
  installation (a local package on PYTHONPATH, an editable install), and other files it opened
  there, each with its SHA-256;
* ``packages``: the installed Pulumi packages it imported (pulumi, pulumi_gcp, ...), by version and
  the size and mtime of their installed metadata, so an upgrade or a reinstall misses;
* ``references``: each StackReference it asked for, with a digest of the outputs it was given;
  the caller resolves them again (a sibling from its own cached capture) and compares.

Layout: ``$XDG_CACHE_HOME/tierguard/captures/<key>.json`` (default ``~/.cache/tierguard/captures``),
directory 0700 and files 0600 (an entry holds what the capture holds, secrets included). Writes are
atomic (a temporary file in the same directory, then ``os.replace``), so two runs racing on one key
both leave a whole entry; an unreadable or malformed entry counts as absent and is rewritten. The
directory is bounded (``TIERGUARD_CACHE_MAX_MB``, default 256): the least recently used entries go
first. Only ``captures/`` is ever evicted (``~/.cache/tierguard/pulumi/`` holds the built CLI).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA = 1
DEFAULT_MAX_MB = 256
# Directories never part of a project's own files (the walk of the run cache's fingerprint too).
SKIP_DIRS = frozenset({"__pycache__", "node_modules", ".git", ".venv", "venv"})
_PACKAGE = Path(__file__).resolve().parents[1]
# The code that decides what a capture holds: a change to any of it is a different capture, even when
# the version string (tierguard/__init__.py, hashed too) has not moved between development commits.
CAPTURE_CODE = ("__init__.py", "model/wire.py", "readers/program.py", "capture/__init__.py",
                "capture/runner.py", "capture/cache.py", "capture/engine_host.py", "capture/python_exec.py")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/tierguard/captures`` (``~/.cache/...`` when unset or not absolute)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "tierguard" / "captures"


def max_bytes() -> int:
    try:
        mb = float(os.environ.get("TIERGUARD_CACHE_MAX_MB", DEFAULT_MAX_MB))
    except ValueError:
        mb = DEFAULT_MAX_MB
    return max(0, int(mb * 1024 * 1024))


@functools.cache
def code_digest() -> str:
    h = hashlib.sha256()
    for name in CAPTURE_CODE:
        h.update(name.encode() + b"\0" + (_PACKAGE / name).read_bytes() + b"\0")
    return h.hexdigest()


def file_digest(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes; None when it cannot be read (absent counts as a value too)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def project_files(directory: Path) -> Iterator[Path]:
    """Every file of a project directory, sorted; virtualenvs, caches and dot-directories excluded."""
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(
            d for d in dirs
            if d not in SKIP_DIRS and not d.startswith(".") and not (Path(root, d) / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            yield Path(root, name)


def tree_digest(directory: Path, leave_out: frozenset[Path] = frozenset()) -> str:
    """One digest over the relative names and contents of a project's files, but for the (resolved)
    paths in ``leave_out``."""
    h = hashlib.sha256()
    for path in project_files(directory):
        if leave_out and path.resolve() in leave_out:
            continue
        h.update(path.relative_to(directory).as_posix().encode() + b"\0")
        h.update((file_digest(path) or "unreadable").encode() + b"\0")
    return h.hexdigest()


def interpreter_identity(python: Path) -> dict[str, Any]:
    """The interpreter as the CLI would pick it, the binary it resolves to, and its venv's config."""
    real = os.path.realpath(python)
    try:
        st = os.stat(real)
        binary: Any = [real, st.st_size, st.st_mtime_ns]
    except OSError:
        binary = [real, None, None]
    venv_config = file_digest(Path(python).parent.parent / "pyvenv.cfg")
    return {"path": str(python), "binary": binary, "pyvenv": venv_config}


def key(ingredients: dict[str, Any]) -> str:
    """The entry name: a SHA-256 over the ingredients (and the schema and capture code)."""
    doc = {"schema": SCHEMA, "code": code_digest(), **ingredients}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def value_digest(value: Any) -> str:
    """A digest of a JSON-able value (StackReference outputs): compared, never shown."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def package_mark(metadata_dir: str) -> list[Any] | None:
    """Size and mtime of an installed distribution's METADATA (None once it is gone)."""
    try:
        st = os.stat(os.path.join(metadata_dir, "METADATA"))
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def dependencies(files: list[str], packages: dict[str, Any]) -> dict[str, Any]:
    """What the runner reported it used, in the form an entry keeps and :func:`holds` checks."""
    marks = {}
    for name, info in sorted(packages.items()):
        where = info.get("metadata") if isinstance(info, dict) else None
        marks[name] = {"version": info.get("version") if isinstance(info, dict) else None,
                       "metadata": where, "mark": package_mark(where) if where else None}
    return {"files": {f: file_digest(f) for f in sorted(set(files))}, "packages": marks}


def holds(deps: dict[str, Any]) -> bool:
    """Are the files and packages a capture used still the same?"""
    for path, digest in deps.get("files", {}).items():
        if file_digest(path) != digest:
            return False
    for info in deps.get("packages", {}).values():
        where = info.get("metadata")
        if where and package_mark(where) != info.get("mark"):
            return False
    return True


class CaptureCache:
    """Entries under one directory: load, store (atomically), evict the least recently used."""

    def __init__(self, root: Path | None = None, limit: int | None = None) -> None:
        self.root = root or cache_dir()
        self.limit = max_bytes() if limit is None else limit

    def path(self, entry_key: str) -> Path:
        return self.root / f"{entry_key}.json"

    def load(self, entry_key: str) -> dict[str, Any] | None:
        """The entry, or None when absent, unreadable or malformed (it is rewritten after the run)."""
        path = self.path(entry_key)
        try:
            with open(path, encoding="utf-8") as fh:
                entry = json.load(fh)
        except (OSError, ValueError):
            return None
        if not (
            isinstance(entry, dict) and entry.get("schema") == SCHEMA and entry.get("key") == entry_key
            and isinstance(entry.get("result"), dict) and isinstance(entry.get("deps"), dict)
            and isinstance(entry.get("references"), list)
            and isinstance(entry["result"].get("resources"), list)
        ):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        return entry

    def store(self, entry_key: str, entry: dict[str, Any]) -> None:
        """Write atomically with mode 0600 in a 0700 directory; a cache that cannot be written is
        no error (the capture is still returned)."""
        doc = {"schema": SCHEMA, "key": entry_key, **entry}
        try:
            self._make_dir()
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")  # 0600
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(doc, fh, separators=(",", ":"))
                os.replace(tmp, self.path(entry_key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            return
        self.evict()

    def _make_dir(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.root.stat().st_mode & 0o077:
            os.chmod(self.root, 0o700)

    def evict(self) -> None:
        """Remove the least recently used entries until the directory fits its bound; leftovers of
        writes that died more than an hour ago go too. Racing runs may remove the same file."""
        entries = []
        now = time.time()
        try:
            listing = list(os.scandir(self.root))
        except OSError:
            return
        for item in listing:
            try:
                st = item.stat()
            except OSError:
                continue
            if item.name.startswith(".tmp-"):
                if now - st.st_mtime > 3600:
                    with contextlib.suppress(OSError):
                        os.unlink(item.path)
                continue
            if item.name.endswith(".json"):
                entries.append((st.st_mtime, st.st_size, item.path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.limit:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
            total -= size
