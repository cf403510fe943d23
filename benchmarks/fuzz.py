"""``python -m benchmarks.fuzz`` (``make fuzz``): hostile-but-plausible Pulumi JSON against every reader.

Each case takes one genuine (or derived) CLI fixture from ``tests/fixtures/pulumi-json``, applies a
few mutations drawn by hypothesis -- delete a key, swap a value's type, duplicate a step or event,
drop a list item, set a field of an asset or archive (text, path, uri, hash, assets) to any JSON
type -- and runs every reader (``read_stack_text``, ``read_plan_text``) and the
``check`` and ``plan`` commands in-process. The contract: exit 0, 1 or 2, never a traceback.

The same strategy drives ``tests/test_fuzz_readers.py`` (a few hundred cases); this target runs
10,000 (deterministic: ``derandomize=True``) and prints the counts per outcome.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import sys
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pulumi-json"
FIXTURE_FILES = tuple(
    sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".json", ".jsonl"))
)

# Values a mutated field may take instead of its own: every JSON type, empty and not.
SWAPS: tuple[Any, ...] = (None, 0, -1, 1.5, True, "", "x", [], [1], ["a", None], {}, {"k": [1]})

Path_ = tuple[Any, ...]

# The signed objects whose fields are typed (tierguard.readers.export._check_asset/_check_archive),
# and the fields a mutation sets, present or not.
SIG_KEY = "4dabf18193072939515e22adb298388d"
ASSET_SIGS = ("c44067f5952c0a294b673a41bacd8c17", "0def7320c3a5731c473e5ecbe6d01bc7")
ASSET_FIELDS = ("text", "path", "uri", "hash", "assets")


def load_fixture(name: str) -> tuple[Any, bool]:
    """(parsed document, is an event stream): an event log becomes the list of its events."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()], True
    return json.loads(text), False


def dump(doc: Any, lines: bool) -> str:
    """Back to text the way the CLI writes it: one event per line for a stream, else a document."""
    if lines and isinstance(doc, list) and doc:
        return "\n".join(json.dumps(event) for event in doc) + "\n"
    return json.dumps(doc, indent=4)


def paths(doc: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every path to a value inside ``doc`` (not the root), depth first."""
    out: list[Path_] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.append((*prefix, key))
            out.extend(paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out.append((*prefix, index))
            out.extend(paths(value, (*prefix, index)))
    return out


def _parent(doc: Any, path: Path_) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _assets(doc: Any) -> list[Path_]:
    """Paths of the assets and archives (nested members included)."""
    return [path for path in paths(doc)
            if isinstance(value := _parent(doc, path)[path[-1]], dict) and value.get(SIG_KEY) in ASSET_SIGS]


def _lists(doc: Any) -> list[Path_]:
    """Paths of the non-empty lists (steps, events, members, ...), the root included."""
    found = [()] if isinstance(doc, list) and doc else []
    for path in paths(doc):
        value = _parent(doc, path)[path[-1]]
        if isinstance(value, list) and value:
            found.append(path)
    return found


@dataclass
class Mutation:
    """One edit: ``kind`` is delete, swap, duplicate, drop or asset (a swap of, or a new, asset or
    archive field); ``path`` says where."""

    kind: str
    path: Path_
    value: Any = None

    def apply(self, doc: Any) -> Any:
        if self.kind == "swap" and not self.path:
            return copy.deepcopy(self.value)
        if not self.path and self.kind != "duplicate":
            return doc
        target = _parent(doc, self.path) if self.path else None
        if self.kind == "delete":
            del target[self.path[-1]]
        elif self.kind in ("swap", "asset"):
            target[self.path[-1]] = copy.deepcopy(self.value)
        elif self.kind in ("duplicate", "drop"):
            seq = doc
            for part in self.path:
                seq = seq[part]
            index = self.value % len(seq)
            if self.kind == "duplicate":
                seq.insert(index, copy.deepcopy(seq[index]))
            else:
                del seq[index]
        return doc


@st.composite
def mutated(draw: st.DrawFn, max_mutations: int = 3) -> tuple[str, str, list[Mutation]]:
    """(fixture name, mutated text, the mutations applied)."""
    name = draw(st.sampled_from(FIXTURE_FILES))
    doc, lines = load_fixture(name)
    applied: list[Mutation] = []
    for _ in range(draw(st.integers(1, max_mutations))):
        kind = draw(st.sampled_from(("delete", "swap", "swap", "duplicate", "drop", "asset")))
        if kind == "asset":
            signed = _assets(doc)
            if not signed:
                continue
            at = (*draw(st.sampled_from(signed)), draw(st.sampled_from(ASSET_FIELDS)))
            mutation = Mutation(kind, at, draw(st.sampled_from(SWAPS)))
        elif kind in ("duplicate", "drop"):
            lists = _lists(doc)
            if not lists:
                continue
            mutation = Mutation(kind, draw(st.sampled_from(lists)), draw(st.integers(0, 10_000)))
        else:
            candidates = paths(doc)
            if not candidates:
                continue
            index = draw(st.integers(0, len(candidates) - 1))
            mutation = Mutation(kind, candidates[index], draw(st.sampled_from(SWAPS)))
        doc = mutation.apply(doc)
        applied.append(mutation)
    return name, dump(doc, lines), applied


@st.composite
def duplicated_steps(draw: st.DrawFn) -> tuple[str, str]:
    """A fixture with some of its steps (or resourcePreEvents) listed twice: same plan, same verdict."""
    name = draw(st.sampled_from(FIXTURE_FILES))
    doc, lines = load_fixture(name)
    if lines:
        seq, keep = doc, [i for i, e in enumerate(doc) if "resourcePreEvent" in e]
    elif isinstance(doc.get("steps"), list):
        seq, keep = doc["steps"], list(range(len(doc["steps"])))
    else:
        return name, dump(doc, lines)
    if not keep:
        return name, dump(doc, lines)
    for index in sorted(set(draw(st.lists(st.sampled_from(keep), min_size=1, max_size=3))), reverse=True):
        seq.insert(index + 1, copy.deepcopy(seq[index]))
    return name, dump(doc, lines)


# -- running one case ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """What each entry point did with one document: an exit code, or the exception that escaped."""

    results: dict[str, str] = field(default_factory=dict)
    tracebacks: list[str] = field(default_factory=list)

    @property
    def crashed(self) -> bool:
        return bool(self.tracebacks)


def _reader(fn: Any, text: str) -> str:
    from tierguard.model.records import InputError

    try:
        fn(text, "fuzz.json")
    except InputError:
        return "input-error"
    return "read"


def _command(argv: list[str]) -> str:
    from tierguard.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    if code == 2 and "\n" in err.getvalue().strip():
        return "exit 2 (several lines)"
    return f"exit {code}"


def run_case(text: str, workdir: Path) -> Outcome:
    """Every reader, ``check`` and ``plan`` over one document; exceptions are caught and recorded."""
    from tierguard.readers.detect import read_plan_text, read_stack_text

    path = workdir / "case.json"
    path.write_text(text, encoding="utf-8")
    calls: dict[str, Any] = {
        "read-stack": lambda: _reader(read_stack_text, text),
        "read-plan": lambda: _reader(read_plan_text, text),
        "check": lambda: _command(["check", str(path), "--format", "json"]),
        "plan": lambda: _command(["plan", str(path), "--format", "json"]),
    }
    outcome = Outcome()
    for label, call in calls.items():
        try:
            outcome.results[label] = call()
        except Exception as exc:  # the contract: nothing escapes
            outcome.results[label] = f"traceback {type(exc).__name__}"
            outcome.tracebacks.append(f"{label}: {''.join(traceback.format_exception_only(exc)).strip()}")
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--cases", type=int, default=10_000)
    parser.add_argument("--show", type=int, default=5, help="print this many distinct tracebacks")
    args = parser.parse_args(argv)

    counts: Counter[str] = Counter()
    per_entry: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    examples: dict[str, str] = {}

    with tempfile.TemporaryDirectory(prefix="tierguard-fuzz-") as tmp:
        workdir = Path(tmp)

        @settings(
            max_examples=args.cases, derandomize=True, deadline=None, database=None,
            phases=[Phase.generate], suppress_health_check=list(HealthCheck),
        )
        @given(mutated())
        def one(case: tuple[str, str, list[Mutation]]) -> None:
            name, text, mutations = case
            outcome = run_case(text, workdir)
            counts["documents"] += 1
            counts["documents with a traceback"] += outcome.crashed
            counts["documents with an asset/archive mutation"] += any(m.kind == "asset" for m in mutations)
            for label, result in outcome.results.items():
                per_entry[f"{label}: {result}"] += 1
            for line in outcome.tracebacks:
                crashes[line] += 1
                examples.setdefault(line, f"{name} {[(m.kind, m.path) for m in mutations]}")

        one()

    print(f"fuzz: {counts['documents']} mutated documents from {len(FIXTURE_FILES)} CLI fixtures")
    print(f"  documents with a traceback: {counts['documents with a traceback']}")
    print(f"  documents with an asset/archive mutation: {counts['documents with an asset/archive mutation']}")
    for key in sorted(per_entry):
        print(f"  {key:<40} {per_entry[key]:>6}")
    for line, n in crashes.most_common(args.show):
        print(f"  {n:>5} x {line}\n          e.g. {examples[line]}")
    return 1 if counts["documents with a traceback"] else 0


if __name__ == "__main__":
    sys.exit(main())
