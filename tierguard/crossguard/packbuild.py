"""``tierguard pack build``: a self-contained policy pack directory for ``pulumi policy publish``.

A pack under ``policypacks/<pack>/`` imports the tierguard library from the checkout. Pulumi Cloud
runs a published pack on a machine with no checkout and installs only the pack's
``requirements.txt``, so the build copies the pack's entry files and *vendors* the tierguard modules
the pack imports, found by following the import statements (``ast``) from the pack's policy module
and :mod:`tierguard.crossguard.serve`. Anything else of tierguard (readers, capture, CLI, reporters)
stays out, and an import of a third-party module the requirements do not provide fails the build instead of
failing later in Pulumi Cloud.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from tierguard import __version__
from tierguard.model.files import parse_yaml
from tierguard.model.records import InputError
from tierguard.policies.packs import PACK_MODULES, load_pack

LIBRARY = Path(__file__).resolve().parents[1]  # .../tierguard
CHECKOUT = LIBRARY.parent
POLICYPACKS = CHECKOUT / "policypacks"

# What a published pack may depend on besides the standard library: the pack's requirements.txt.
RUNTIME_DISTRIBUTIONS = ("pulumi", "pulumi-policy")
RUNTIME_IMPORTS = frozenset({"pulumi", "pulumi_policy"})
# PyYAML is a requirement of the pulumi SDK itself (the aws-auth ConfigMap rule reads YAML), so every
# environment that can run a pack has it; so are grpc and google.protobuf (grpcio, protobuf), which
# the pack's server (tierguard.crossguard.serve) uses directly.
ALLOWED_TOP_LEVEL = RUNTIME_IMPORTS | {"__future__", "yaml", "grpc", "google"}
# Fallback when neither pyproject.toml nor installed metadata says (kept equal to pyproject.toml).
DEFAULT_REQUIREMENTS = {"pulumi": "pulumi>=3.150,<4", "pulumi-policy": "pulumi-policy>=1.13,<2"}
# Parts of tierguard that a pack must never need: they pull in the provider SDKs or the CLI.
NEVER_VENDORED = ("tierguard.readers", "tierguard.capture", "tierguard.cli", "tierguard.report",
                  "tierguard.plan", "tierguard.evaluate", "tierguard.integrations", "tierguard.testing")


def _never_vendored(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in NEVER_VENDORED)

ENTRY_TEMPLATE = '''\
"""Serves the {pack} pack to the Pulumi CLI; the policies live in the tierguard library."""
import sys
from pathlib import Path

try:
    import tierguard  # noqa: F401  (installed, or vendored by `tierguard pack build`)
except ImportError:  # running from a checkout: use the library two levels up
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tierguard.crossguard.serve import serve

serve("{pack}")
'''


@dataclass(frozen=True)
class BuiltPack:
    """What a build wrote, for the command's summary and for tests."""

    name: str
    directory: Path
    modules: tuple[str, ...]  # vendored tierguard modules, dotted names
    requirements: tuple[str, ...]


def module_file(module: str) -> Path | None:
    """The source file of a tierguard module (a package's ``__init__.py``), or None if there is none."""
    rel = Path(*module.split("."))
    for candidate in (CHECKOUT / rel / "__init__.py", CHECKOUT / rel.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(module: str, path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved), lazily or not."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            # `from tierguard.policies import base` imports a submodule, `from x import name` a name:
            for alias in node.names:
                found.add(f"{prefix}.{alias.name}")
    return found


def vendored_modules(pack: str) -> list[str]:
    """The tierguard modules the pack needs at run time, parents included, in a stable order.

    Raises InputError when the closure reaches a part of tierguard a pack must not need, or a
    third-party module that the pack's requirements do not provide.
    """
    todo = ["tierguard", "tierguard.crossguard.serve", "tierguard.policies.packs", *PACK_MODULES[pack]]
    seen: dict[str, Path] = {}
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        path = module_file(module)
        if path is None:
            continue  # `from package import name` where name is not a module
        if _never_vendored(module):
            raise InputError(str(path), f"pack {pack!r} would need {module}, which a published pack lacks")
        seen[module] = path
        parent = module.rpartition(".")[0]
        if parent:
            todo.append(parent)
        for imported in _imports(module, path):
            top = imported.partition(".")[0]
            if top == "tierguard":
                todo.append(imported)
            elif top and top not in ALLOWED_TOP_LEVEL and top not in sys.stdlib_module_names:
                raise InputError(
                    str(path),
                    f"imports {top!r}, which pack {pack!r} cannot have at run time "
                    f"(its requirements are {', '.join(RUNTIME_DISTRIBUTIONS)})",
                )
    return sorted(seen)


def _requirement_name(req: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def runtime_requirements() -> list[str]:
    """The pulumi and pulumi-policy ranges tierguard itself declares (one source of truth: pyproject)."""
    declared: list[str] = []
    pyproject = CHECKOUT / "pyproject.toml"
    if pyproject.is_file() and sys.version_info >= (3, 11):
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        declared = project.get("dependencies", [])
    if not declared:
        try:
            declared = [r for r in metadata.requires("tierguard") or [] if "extra ==" not in r]
        except metadata.PackageNotFoundError:
            declared = []
    by_name = {_requirement_name(r): r.split(";")[0].strip().replace(" ", "") for r in declared}
    return [by_name.get(name, DEFAULT_REQUIREMENTS[name]) for name in RUNTIME_DISTRIBUTIONS]


def _entry_files(pack: str) -> dict[str, str]:
    """``PulumiPolicy.yaml`` and ``__main__.py``: the checkout's when present, else from the template."""
    source = POLICYPACKS / pack
    files: dict[str, str] = {}
    for name in ("PulumiPolicy.yaml", "__main__.py"):
        if (source / name).is_file():
            files[name] = (source / name).read_text(encoding="utf-8")
    if "PulumiPolicy.yaml" not in files:
        description = " ".join(load_pack(pack).description.split())
        # a JSON string is a valid YAML scalar whatever punctuation the description holds
        files["PulumiPolicy.yaml"] = (
            f"runtime: python\nversion: {__version__}\ndescription: {json.dumps(description)}\n"
        )
    files.setdefault("__main__.py", ENTRY_TEMPLATE.format(pack=pack))
    _check_project_file(source / "PulumiPolicy.yaml", files["PulumiPolicy.yaml"])
    return files


def _check_project_file(path: Path, text: str) -> None:
    """``pulumi policy publish`` fails on a PulumiPolicy.yaml it cannot read: fail the build instead."""
    data = parse_yaml(text, str(path))
    if not isinstance(data, dict) or data.get("runtime") != "python":
        raise InputError(str(path), "a Python policy pack needs `runtime: python`")


_SERVE_CALL = re.compile(r"""^\s*serve\(\s*["']([A-Za-z0-9._-]+)["']\s*\)""", re.MULTILINE)


def resolve_pack(spec: str) -> str:
    """A pack name, or a pack directory (``policypacks/tier-boundaries``, or any copy of one whose
    ``__main__.py`` serves a tierguard pack) -> the pack's name; exit 2 with the reason otherwise."""
    if spec in PACK_MODULES:
        return spec
    path = Path(spec)
    if not path.is_dir():
        if path.exists() or "/" in spec or spec.startswith("."):
            raise InputError(spec, "not a pack directory (no such directory)" if not path.exists()
                             else "not a pack directory")
        raise InputError(None, f"unknown policy pack {spec!r}; known packs: {', '.join(PACK_MODULES)}, "
                               "or a pack directory")
    for name in PACK_MODULES:
        if (POLICYPACKS / name).is_dir() and path.resolve() == (POLICYPACKS / name).resolve():
            return name
    if not (path / "PulumiPolicy.yaml").is_file():
        raise InputError(str(path), "not a policy pack directory (no PulumiPolicy.yaml)")
    main = path / "__main__.py"
    served = _SERVE_CALL.findall(main.read_text(encoding="utf-8")) if main.is_file() else []
    known = [name for name in served if name in PACK_MODULES]
    if len(known) != 1:
        raise InputError(
            str(main),
            "does not serve one tierguard pack (`serve(\"<pack>\")`); a pack of your own is already "
            "self-contained: publish it from its directory with `pulumi policy publish`",
        )
    return known[0]


def build(pack: str, output: Path, force: bool = False) -> BuiltPack:
    """Write the self-contained pack directory ``output`` for ``pack`` (a name or a pack directory)."""
    pack = resolve_pack(pack)
    if pack not in PACK_MODULES:
        raise InputError(None, f"unknown policy pack {pack!r}; known packs: {', '.join(PACK_MODULES)}")
    output = Path(output)
    replace = False
    if output.exists():
        if not output.is_dir():
            raise InputError(str(output), "output exists and is not a directory")
        if any(output.iterdir()):
            if not force:
                raise InputError(str(output), "output directory is not empty (use --force to replace it)")
            replace = True
    # Everything that can fail does so before the output is touched.
    load_pack(pack)  # a pack that fails to import fails here, not in Pulumi Cloud
    modules = vendored_modules(pack)
    requirements = runtime_requirements()
    entry_files = _entry_files(pack)
    if replace:
        shutil.rmtree(output)
    output.mkdir(parents=True, exist_ok=True)
    for name, text in entry_files.items():
        (output / name).write_text(text, encoding="utf-8")
    (output / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    for module in modules:
        src = module_file(module)
        assert src is not None  # vendored_modules only returns modules with a file
        dest = output / src.relative_to(CHECKOUT)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    return BuiltPack(pack, output, tuple(modules), tuple(requirements))
