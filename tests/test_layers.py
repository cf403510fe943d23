"""The import contract: data flows one way through the stages, one subpackage each.

Read from the source with :mod:`ast` (every import, the ones inside functions and under
``TYPE_CHECKING`` included), so a forbidden import fails here before anyone runs the code path.
Each layer lists what it MAY import from tierguard; anything else is a violation. The package root
holds only these subpackages (and ``__init__``/``__main__``), and the README's architecture section
names the same ones.

    model         <- nothing else          (records, steps, URNs, wire form, globs, input files)
    capture       <- model                 (capture.runner, capture.python_exec: nothing of tierguard)
    readers       <- model, capture
    catalog       <- model
    policies      <- model, catalog        (rules, exemptions, stack context, the pack registry)
    plan          <- model, catalog, policies.tier, policies.exemptions
    crossguard    <- model, catalog, policies
    evaluate      <- model, catalog, policies, crossguard
    report        <- model, policies.tier, plan.summary (rules come with each Result)
    integrations  <- everything but the cli (pre-commit hands its files to the cli's main)
    cli           only the cli, ``python -m tierguard`` and the pre-commit hook import it
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tierguard"

MODEL = ("tierguard.model",)
POLICIES = ("tierguard.policies", "tierguard.catalog", *MODEL)
STAGES = (
    "capture", "catalog", "cli", "crossguard", "evaluate", "integrations", "model", "plan",
    "policies", "readers", "report", "testing",
)


@dataclass(frozen=True)
class Layer:
    """Modules under ``prefixes`` may import from tierguard only what ``allowed`` names."""

    name: str
    prefixes: tuple[str, ...]
    allowed: tuple[str, ...]


LAYERS = (
    Layer("model", MODEL, MODEL),
    Layer("capture", ("tierguard.capture",), ("tierguard.capture", *MODEL)),
    Layer("capture runner (runs in the program's venv)", ("tierguard.capture.runner",), ()),
    Layer("capture launcher (runs in the program's venv)", ("tierguard.capture.python_exec",), ()),
    Layer("readers", ("tierguard.readers",), ("tierguard.readers", "tierguard.capture", *MODEL)),
    Layer("catalog", ("tierguard.catalog",), ("tierguard.catalog", *MODEL)),
    Layer("policies", ("tierguard.policies",), POLICIES),
    Layer(
        "plan",
        ("tierguard.plan",),
        ("tierguard.plan", "tierguard.catalog", "tierguard.policies.tier", "tierguard.policies.exemptions",
         *MODEL),
    ),
    Layer("crossguard", ("tierguard.crossguard",), ("tierguard.crossguard", *POLICIES)),
    Layer("evaluate", ("tierguard.evaluate",), ("tierguard.evaluate", "tierguard.crossguard", *POLICIES)),
    Layer(
        "report",
        ("tierguard.report",),
        ("tierguard.report", "tierguard.policies.tier", "tierguard.plan.summary", *MODEL),
    ),
    Layer(
        "integrations",
        ("tierguard.integrations.pytest_plugin", "tierguard.integrations.testing", "tierguard.testing"),
        ("tierguard.integrations", "tierguard.evaluate", "tierguard.crossguard", "tierguard.readers",
         "tierguard.report", "tierguard.plan", "tierguard.capture", *POLICIES),
    ),
)

# The pre-commit hook hands the staged projects to the command's main; nothing else below it may.
PRECOMMIT = Layer("pre-commit hook", ("tierguard.integrations.precommit",), ("tierguard.cli", *MODEL))
LAYERS = (*LAYERS, PRECOMMIT)

# The command layer sits on top: nothing below it imports it.
TOP = ("tierguard.cli",)
TOP_IMPORTERS = ("tierguard.cli", "tierguard.__main__", "tierguard.integrations.precommit")


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_sources() -> dict[str, str]:
    return {_module_name(p): p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(module: str, source: str, known: set[str]) -> list[tuple[str, int]]:
    """The tierguard modules ``source`` imports, with their lines. ``from tierguard.model import wire``
    is an import of ``tierguard.model.wire``; relative imports are resolved against ``module``."""
    is_package = module in known and any(k.startswith(module + ".") for k in known)
    out: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if _under(a.name, ("tierguard",))]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            if not _under(base, ("tierguard",)):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.append((sub if sub in known else base, node.lineno))
    return out


def violations(sources: dict[str, str]) -> list[str]:
    """Every import that breaks the contract, as ``module:line imports target (layer)``."""
    known = set(sources)
    found: list[str] = []
    for module, source in sorted(sources.items()):
        for target, line in imports_of(module, source, known):
            if target == "tierguard":  # the package itself holds only ``__version__``
                continue
            for layer in LAYERS:
                if _under(module, layer.prefixes) and not _under(target, layer.allowed):
                    found.append(f"{module}:{line} imports {target} (layer {layer.name})")
            if _under(target, TOP) and not _under(module, TOP_IMPORTERS):
                found.append(f"{module}:{line} imports {target} (only the command layer may)")
    return found


def test_the_package_keeps_the_import_contract():
    assert violations(package_sources()) == []


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_every_layer_names_real_modules(layer: Layer):
    # A contract over a renamed or removed module would hold vacuously.
    known = set(package_sources())
    for prefix in (*layer.prefixes, *layer.allowed):
        assert any(_under(m, (prefix,)) for m in known), prefix


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("tierguard.readers.preview", "from tierguard.plan.rules import evaluate_plan\n"),
        ("tierguard.readers.preview", "def f():\n    from tierguard.plan import config\n"),
        ("tierguard.readers.export", "from tierguard.policies import tier\n"),
        ("tierguard.readers.export", "from ..policies.tier import stack_tier\n"),
        ("tierguard.plan.rules", "from tierguard.readers.export import resource_from_state\n"),
        ("tierguard.plan.rules", "import tierguard.capture\n"),
        ("tierguard.report.text", "from tierguard.readers import load_stacks\n"),
        ("tierguard.report.text", "from tierguard.capture import CaptureSession\n"),
        ("tierguard.report.text", "from tierguard.policies.iam_gcp_grants import GRANT_RULES\n"),
        ("tierguard.report.sarif", "from tierguard.policies.base import rule_of\n"),
        ("tierguard.report.junit", "def f():\n    from tierguard.policies.packs import load_pack\n"),
        ("tierguard.model.records", "from tierguard.policies import exemptions\n"),
        ("tierguard.model.urn", "from tierguard.policies.exemptions import Exemption\n"),
        ("tierguard.policies.base", "from tierguard.crossguard.packconfig import PolicyConfig\n"),
        ("tierguard.crossguard.serve", "from tierguard.evaluate.evaluator import Evaluator\n"),
        ("tierguard.evaluate.userpack", "from tierguard.integrations.testing import run\n"),
        ("tierguard.integrations.pytest_plugin", "from tierguard.cli.common import load\n"),
        ("tierguard.policies.tier", "from tierguard.cli.check import check\n"),
    ],
)
def test_a_forbidden_import_is_caught(module: str, source: str):
    sources = package_sources()
    sources[module] = sources[module] + "\n" + source
    assert violations(sources), f"{module} may not import that"


def test_the_package_root_holds_only_the_stages():
    root = sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    modules = [n for n in root if n.endswith(".py")]
    packages = [n for n in root if (PACKAGE / n).is_dir()]
    assert modules == ["__init__.py", "__main__.py"]
    assert tuple(packages) == STAGES


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_says_what_it_takes_and_hands_on(stage: str):
    doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc.split()) >= 8, f"tierguard/{stage}/__init__.py needs a docstring"
