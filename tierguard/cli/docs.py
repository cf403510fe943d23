"""The policy catalogue as data, and the README's policy tables generated from it.

``tierguard policies`` and the README read the same :func:`packs_document`, so the documentation
cannot describe a guardrail differently from the code; ``tests/test_policies_command.py`` fails when
README.md's generated block drifts. Regenerate it with ``python -m tierguard.cli.docs``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from tierguard.policies.base import Pack, Rule
from tierguard.policies.packs import PACK_MODULES, load_pack

BEGIN_MARKER = "<!-- BEGIN POLICY TABLES -->"
END_MARKER = "<!-- END POLICY TABLES -->"
README = Path(__file__).resolve().parents[2] / "README.md"


def jsonable(value: Any) -> Any:
    """Catalog tables are plain Python data (dicts, tuples, sets, frozen dataclasses): make them JSON."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# The plan guard is judged by `tierguard plan` itself (it is not served to `pulumi preview`), yet
# described like a pack: `tierguard policies`, the README tables and SARIF list its rules.
PLAN_GUARD = "plan-guard"  # tierguard.plan.rules.PACK, the pack its findings name

# Everything `tierguard policies` describes: the packs, then the plan guard.
DESCRIBED: tuple[str, ...] = (*PACK_MODULES, PLAN_GUARD)


@cache
def plan_guard() -> Pack:
    """The plan guard's rules (:data:`tierguard.plan.rules.RULES`) and built-in thresholds as a
    pack with no policies to serve."""
    from tierguard.plan import config, rules

    return Pack(
        name=PLAN_GUARD,
        description=rules.DESCRIPTION,
        policies=(),
        own_rules=tuple(rules.RULES.values()),
        catalogs={"tierThresholds": config.BUILTIN, "defaults": config.BASE},
    )


def described_pack(name: str) -> Pack:
    """A pack, or the plan guard, by name (what `tierguard policies --pack` accepts)."""
    return plan_guard() if name == PLAN_GUARD else load_pack(name)


def selected_packs(names: Sequence[str] | None = None) -> list[Pack]:
    """The packs (and the plan guard) named, default all of them."""
    return [described_pack(n) for n in (names or DESCRIBED)]


def pack_document(pack: Pack) -> dict[str, Any]:
    return {
        "name": pack.name,
        "description": pack.description,
        "policies": [rule.to_json() for rule in pack.rules()],
        "catalogs": jsonable(pack.catalogs),
    }


def packs_document(packs: Sequence[Pack] | None = None) -> dict[str, Any]:
    """What ``tierguard policies --format json`` prints."""
    return {"packs": [pack_document(p) for p in (packs if packs is not None else selected_packs())]}


# -- Markdown ------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def config_summary(rule: Rule) -> str:
    """``key`` (default ``value``) for each config key, as a table cell."""
    parts = []
    for key, schema in rule.config.items():
        if "default" in schema:
            default = json.dumps(jsonable(schema["default"]), separators=(",", ": "))
            if len(default) > 40:
                default = default[:37] + "…"
            parts.append(f"`{_cell(key)}` = `{_cell(default)}`")
        else:
            parts.append(f"`{_cell(key)}`")
    return "<br>".join(parts) or "—"


def _catalog_size(value: Any) -> str:
    if not isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return "1 value"
    return "1 entry" if len(value) == 1 else f"{len(value)} entries"


def pack_table_markdown(pack: Pack) -> str:
    lines = [
        f"### `{pack.name}`",
        "",
        _cell(pack.description),
        "",
        "| policy | title | category | severity | default enforcement | config (default) | references |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in pack.rules():
        refs = ", ".join(_cell(r) for r in rule.references) or "—"
        lines.append(
            f"| `{_cell(rule.name)}` | {_cell(rule.title)} | {rule.category} | {rule.severity} "
            f"| {rule.enforcement} | {config_summary(rule)} | {refs} |"
        )
    if pack.catalogs:
        catalogs = ", ".join(f"`{_cell(k)}` ({_catalog_size(v)})" for k, v in pack.catalogs.items())
        command = f"tierguard policies --pack {pack.name} --format json"
        lines += ["", f"Catalogs behind this pack (`{command}`): {catalogs}."]
    return "\n".join(lines)


def policy_tables_markdown(packs: Sequence[Pack] | None = None) -> str:
    """The README block between the policy-table markers (without the markers)."""
    packs = list(packs) if packs is not None else selected_packs()
    header = ("_Generated by `python -m tierguard.cli.docs` from `tierguard policies`;"
              " do not edit by hand._")
    return "\n\n".join([header, *(pack_table_markdown(p) for p in packs)]) + "\n"


def generated_block(packs: Sequence[Pack] | None = None) -> str:
    return f"{BEGIN_MARKER}\n{policy_tables_markdown(packs)}{END_MARKER}"


def readme_block(text: str, source: str = "README.md") -> tuple[int, int]:
    """Start and end offsets of the marked block (markers included) in ``text``."""
    start = text.find(BEGIN_MARKER)
    end = text.find(END_MARKER, start + 1 if start >= 0 else 0)
    if start < 0 or end < 0:
        from tierguard.model.records import InputError

        raise InputError(source, f"no {BEGIN_MARKER} ... {END_MARKER} block; add the markers where the "
                                 "policy tables belong, then run `python -m tierguard.cli.docs`")
    return start, end + len(END_MARKER)


def update_readme(path: str | Path = README, packs: Sequence[Pack] | None = None) -> bool:
    """Rewrite the block in ``path``; return whether the file changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    start, end = readme_block(text, str(path))
    new = text[:start] + generated_block(packs) + text[end:]
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tierguard.cli.docs [README.md]``: regenerate the policy tables in place."""
    from tierguard.model.records import InputError

    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else README
    try:
        changed = update_readme(path)
    except InputError as exc:
        print(f"tierguard: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"tierguard: {path}: cannot update: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"{path}: policy tables {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
