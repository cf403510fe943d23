"""pytest plugin: assert "my stack is clean" in a team's own unit tests.

Installed with tierguard (entry point ``pytest11``), it provides the ``tierguard_check`` fixture::

    def test_app_stack_is_clean(tierguard_check):
        tierguard_check("infra/app", stack="dev").assert_clean()

The stack runs offline (no Pulumi CLI, backend or credentials) through the same packs and
evaluator as ``tierguard check``. This module is imported by every pytest session in an environment
where tierguard is installed, so it imports nothing heavy until a test asks for a check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tierguard.model.urn import name_of_urn

if TYPE_CHECKING:
    from tierguard.model.records import Finding, Result
    from tierguard.policies.base import Pack

# A JSON file path, or the data itself (written to a temporary file for the readers).
JsonInput = str | Path | Mapping[str, Any] | None


def _describe(f: Finding) -> str:
    where = f" at {f.location}" if f.location else ""
    resource = name_of_urn(f.urn) if f.urn else "(stack)"
    kind = f" ({f.type})" if f.type else ""
    head, _, detail = f.message.partition("\n")
    return f"  [{f.enforcement_level}] {f.pack}/{f.policy}: {resource}{kind}{where}\n      {detail or head}"


@dataclass
class CheckResult:
    """The outcome of checking one project (all its loaded stacks) through the packs."""

    results: list[Result] = field(default_factory=list)
    # The packs that were evaluated (reports list their policies, not every registered pack's).
    packs: list[Pack] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        """Policy violations (mandatory and advisory), not the preview notes about unknown values."""
        return [f for r in self.results for f in r.findings if f.kind != "note"]

    @property
    def notes(self) -> list[Finding]:
        """"can't run policy ... during preview" notes: a policy met a value unknown before deployment."""
        return [f for r in self.results for f in r.findings if f.kind == "note"]

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.findings if not f.blocking]

    @property
    def blocked(self) -> bool:
        """What ``tierguard check`` turns into exit code 1."""
        return any(r.blocked for r in self.results)

    @property
    def policies(self) -> set[str]:
        """Names of the policies that reported a violation."""
        return {f.policy for f in self.findings}

    def by_policy(self, policy: str) -> list[Finding]:
        return [f for f in self.findings if f.policy == policy]

    def summary(self) -> str:
        stacks = ", ".join(r.stack.label for r in self.results) or "no stack"
        return (
            f"tierguard: {stacks}: {len(self.mandatory)} mandatory, {len(self.advisory)} advisory finding(s)"
        )

    def assert_clean(self, allow_advisory: bool = True) -> None:
        """Fail with every finding listed (policy, resource, source line, message) when the stack would
        be blocked -- or, with ``allow_advisory=False``, when anything at all is reported."""
        __tracebackhide__ = True
        offending = self.mandatory if allow_advisory else self.findings
        if offending:
            lines = "\n".join(_describe(f) for f in offending)
            raise AssertionError(f"{self.summary()}\n{lines}")

    def assert_violates(self, policy: str, level: str | None = None) -> list[Finding]:
        """Fail unless ``policy`` reported a violation (at ``level``, if given); return its findings."""
        __tracebackhide__ = True
        found = [f for f in self.by_policy(policy) if level is None or f.enforcement_level == level]
        if not found:
            seen = ", ".join(sorted(self.policies)) or "none"
            wanted = f"{level} violation" if level else "violation"
            raise AssertionError(f"expected a {wanted} of {policy!r}; policies that fired: {seen}")
        return found

    def report(self, fmt: str = "text") -> str:
        """The report ``tierguard check --format fmt`` would print (text, json, sarif, junit, markdown)."""
        import importlib

        from tierguard.report import FORMATS

        module, _, attr = FORMATS[fmt].partition(":")
        render = getattr(importlib.import_module(module), attr)
        return render(self.results)


def _json_file(value: JsonInput, directory: Path, name: str) -> str | None:
    if value is None or isinstance(value, (str, Path)):
        return None if value is None else str(value)
    path = directory / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def check_project(
    project_dir: str | Path,
    stack: str | None = "dev",
    packs: str | Iterable[str] | None = None,
    tier: str | None = None,
    config: JsonInput = None,
    references: JsonInput = None,
    mocks: JsonInput = None,
    policy_packs: Iterable[str | Path] | None = None,
    policy_pack_configs: Iterable[JsonInput] | None = None,
    *,
    scratch: Path,
    use_cache: bool = True,
) -> CheckResult:
    """Run ``project_dir`` offline and evaluate ``packs`` (default: all four built-in ones, or none
    when ``policy_packs`` is given) and the user's ``policy_packs`` (directories, as
    ``pulumi preview --policy-pack`` takes) over it.

    ``config`` is a ``--policy-pack-config`` file or its content for the built-in packs;
    ``policy_pack_configs`` pair with ``policy_packs`` by position; ``references`` maps
    ``org/project/stack`` to that stack's outputs (file or dict); ``mocks`` overrides invoke answers;
    ``use_cache=False`` runs the program even when its capture is cached (``--no-cache``).
    Bad input raises :class:`tierguard.model.records.InputError` with the CLI's one-line message.
    """
    from tierguard.crossguard.packconfig import PackConfig
    from tierguard.evaluate.evaluator import Evaluator
    from tierguard.evaluate.userpack import load_policy_pack
    from tierguard.model.records import InputError
    from tierguard.policies.packs import PACK_MODULES, load_pack
    from tierguard.readers import load_stacks

    def as_config(value: JsonInput) -> PackConfig:
        if value is None or isinstance(value, (str, Path)):
            return PackConfig.load(value)
        return PackConfig(entries=json.loads(json.dumps(value)))

    directories = [policy_packs] if isinstance(policy_packs, (str, Path)) else list(policy_packs or [])
    default = [] if directories else PACK_MODULES
    names = [packs] if isinstance(packs, str) else list(packs or default)
    builtins = [load_pack(n) for n in names]
    users = [load_policy_pack(d) for d in directories]
    own = [as_config(c) for c in policy_pack_configs or []]
    if own and len(own) != len(users):
        raise InputError(None, "policy_pack_configs must pair one config with each of policy_packs")
    selected = builtins + users
    pack_config = as_config(config)
    paired = [None] * len(builtins) + own if own else []
    pack_config.reconcile(builtins)
    for cfg, pack in zip(own, users, strict=False):
        cfg.reconcile([pack])
    stacks = load_stacks(
        [Path(project_dir)],
        stack=stack,
        references=_json_file(references, scratch, "stack-references.json"),
        mocks=_json_file(mocks, scratch, "mocks.json"),
        use_cache=use_cache,
    )
    evaluator = Evaluator(selected, pack_config, paired)
    results = []
    for st in stacks:
        if tier:
            st.tier = tier
        results.append(evaluator.evaluate(st))
    return CheckResult(results, selected)


@pytest.fixture
def tierguard_check(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., CheckResult]:
    """A callable ``check(project_dir, stack="dev", packs=None, tier=None, config=None,
    references=None, mocks=None, policy_packs=None, policy_pack_configs=None, use_cache=True)
    -> CheckResult`` that
    runs a Pulumi Python project offline through tierguard's packs and/or your own pack directories.
    Use ``.assert_clean()``, ``.assert_violates(policy)``, ``.findings``,
    ``.mandatory``, ``.advisory`` and ``.blocked`` on the result."""

    def check(project_dir: str | Path, stack: str | None = "dev", **options: Any) -> CheckResult:
        __tracebackhide__ = True
        return check_project(project_dir, stack, scratch=tmp_path_factory.mktemp("tierguard"), **options)

    return check
