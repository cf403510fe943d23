"""The estate diagram (issue 24 item 5): ``--format mermaid`` and the Markdown report's picture.

The reference estate is found the way ``tierguard check reference_stacks`` finds it (discovery over
the directory, so the stacks of every cloud are drawn, wherever they live beneath it); its diagram
is read back line by line and checked against the Results: a node per stack in its tier's column
with its kinds counted, an edge per StackReference from the stack named to the stack that reads it,
and nothing red. Then a violation example and a hand-made estate turn it red, and the Mermaid CLI
(``make mermaid-cli``) draws both -- or the test says why it cannot here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tierguard.cli import main
from tierguard.evaluate.evaluator import Evaluator
from tierguard.model.records import Finding, Resource, Result, Stack, StackReference
from tierguard.policies.packs import all_packs
from tierguard.policies.tier import stack_tier
from tierguard.readers import load_stacks
from tierguard.report import markdown, mermaid, render

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference_stacks"
DATASTORE_IN_APP = ROOT / "examples" / "violations" / "database-in-app-stack"
# Read before the autouse fixture points XDG_CACHE_HOME at a test's own directory.
CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
MERMAID_CLI_VERSION = json.loads((ROOT / "tools/mermaid/package.json").read_text())["dependencies"][
    "@mermaid-js/mermaid-cli"
]
MMDC = CACHE_HOME / "tierguard" / "mermaid-cli" / MERMAID_CLI_VERSION / "node_modules" / ".bin" / "mmdc"

NODE = re.compile(r'^(?P<id>\w+)\["(?P<label>[^"]*)"\]:::(?P<cls>\w+)$')
EDGE = re.compile(r'^(?P<src>\w+) (?P<arrow>-->|-\.-)(?:\|"(?P<label>[^"]*)"\|)? (?P<dst>\w+)$')


class Parsed:
    """A diagram as this reporter writes it: nodes (with their column), edges in order, styles."""

    def __init__(self, source: str) -> None:
        lines = [ln.strip() for ln in source.splitlines()]
        assert lines[0] == "flowchart LR", lines[0]
        self.columns: list[str] = []
        self.nodes: dict[str, tuple[str | None, str, str]] = {}  # id -> (column, label, class)
        self.edges: list[tuple[str, str, str, str | None]] = []  # (src, arrow, dst, label)
        self.classes: dict[str, str] = {}
        self.red_links: set[int] = set()
        column: str | None = None
        for line in lines[1:]:
            if m := re.match(r'^subgraph tier_(\w+)\["[^"]*"\]$', line):
                column = m.group(1)
                self.columns.append(column)
            elif line == "end":
                column = None
            elif line == "direction TB":
                assert column is not None
            elif m := NODE.match(line):
                assert m["id"] not in self.nodes, f"node {m['id']} twice"
                self.nodes[m["id"]] = (column, m["label"], m["cls"])
            elif m := EDGE.match(line):
                self.edges.append((m["src"], m["arrow"], m["dst"], m["label"]))
            elif line.startswith("classDef "):
                _, name, style = line.split(" ", 2)
                self.classes[name] = style
            elif line.startswith("linkStyle "):
                _, numbers, _style = line.split(" ", 2)
                self.red_links |= {int(n) for n in numbers.split(",")}
            else:
                raise AssertionError(f"unexpected diagram line: {line!r}")
        for src, _, dst, _ in self.edges:
            assert src in self.nodes and dst in self.nodes, (src, dst)
        used = {cls for _, _, cls in self.nodes.values()}
        assert used <= set(self.classes), used - set(self.classes)
        assert all(n < len(self.edges) for n in self.red_links)

    def stack_node(self, label: str) -> str:
        found = [i for i, (_, text, cls) in self.nodes.items() if cls == "stack" and f" {label}<br/>" in text]
        assert len(found) == 1, (label, found)
        return found[0]

    def red(self) -> set[str]:
        return {i for i, (_, _, cls) in self.nodes.items() if cls == "crossing"}


def _evaluate(targets: list[Path], stack: str | None = None) -> list[Result]:
    evaluator = Evaluator(all_packs())
    return [evaluator.evaluate(s) for s in load_stacks(targets, stack=stack)]


@pytest.fixture(scope="module")
def estate() -> list[Result]:
    """Every reference stack discovered beneath reference_stacks/, its dev config."""
    results = _evaluate([REFERENCE], stack="dev")
    assert len(results) >= 3
    return results


def _kinds(label: str) -> Counter[str]:
    """The "N Kind" lines of a stack node's label (after its name and its total)."""
    out: Counter[str] = Counter()
    for line in label.split("<br/>")[2:]:
        if m := re.match(r"^(\d+) (\S+)$", line):
            out[m.group(2)] = int(m.group(1))
    return out


# -- the reference estate ---------------------------------------------------------------------------


def test_the_reference_estate_draws_tier_columns_kinds_and_references(estate: list[Result]) -> None:
    drawn = Parsed(render("mermaid", estate))
    # the tier columns, left to right in deploy order
    assert drawn.columns == [t for t in ("identity", "infra", "app") if t in drawn.columns]
    assert set(drawn.columns) == {"identity", "infra", "app"}
    nodes = {r.stack.label: drawn.stack_node(r.stack.label) for r in estate}
    assert len(set(nodes.values())) == len(estate)
    for r in estate:
        column, label, _ = drawn.nodes[nodes[r.stack.label]]
        assert column == stack_tier(r.stack).tier
        total = sum(1 for x in r.stack.resources if not x.is_stack)
        assert f"<br/>{total} resources" in label
        counts = mermaid.counted(r.stack)
        shown = _kinds(label)
        assert shown, label
        assert all(counts[k] == n for k, n in shown.items()), (shown, counts)
        if len(counts) <= mermaid.MAX_KINDS:
            assert shown == counts
    # one edge per StackReference, from the stack it names to the stack that reads it
    expected = []
    by_name = {(r.stack.project, r.stack.stack): r.stack.label for r in estate}
    for r in estate:
        for ref in r.stack.references_of():
            assert ref.read, f"{r.stack.label} reads nothing through {ref.name}"
            expected.append((nodes[by_name[ref.target(r.stack.project)]], nodes[r.stack.label]))
    assert expected, "the reference estate has no StackReference"
    arrows = [(src, dst) for src, arrow, dst, _ in drawn.edges if arrow == "-->"]
    assert sorted(arrows) == sorted(expected)
    # a compliant estate: nothing red, and no stack outside the estate
    assert drawn.red() == set() and drawn.red_links == set()
    assert {cls for _, _, cls in drawn.nodes.values()} == {"stack"}
    assert "crossing" in drawn.classes and "#c92a2a" in drawn.classes["crossing"]


def test_the_markdown_report_embeds_the_same_diagram(estate: list[Result]) -> None:
    report = render("markdown", estate)
    block = "```mermaid\n" + render("mermaid", estate) + "```\n"
    assert block in report
    assert report.index(block) < report.index("### ")  # before the findings tables


def test_a_diagram_mermaid_cannot_draw_is_left_out_of_markdown(
    estate: list[Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mermaid, "MAX_DIAGRAM_CHARS", 100)
    report = markdown.render(estate)
    assert "```mermaid" not in report
    assert "larger than Mermaid draws (100); see `--format mermaid`" in report


def test_json_lists_each_stacks_references_additively(estate: list[Result]) -> None:
    doc = json.loads(render("json", estate))
    readers = [s for s in doc["stacks"] if "stackReferences" in s]
    assert readers
    for entry in readers:
        for ref in entry["stackReferences"]:
            assert ref["read"] and ref["missing"] == []
            prefix = f"urn:pulumi:{entry['name']}::{entry['project']}::pulumi:pulumi:StackReference::"
            assert ref["urn"].startswith(prefix)


# -- crossings in red -------------------------------------------------------------------------------


def test_a_datastore_in_an_app_stack_is_drawn_red(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(DATASTORE_IN_APP), "--format", "mermaid"])
    out = capsys.readouterr().out
    assert code == 1
    drawn = Parsed(out)
    stack = next(i for i, (_, _, cls) in drawn.nodes.items() if cls == "stack")
    assert drawn.nodes[stack][0] == "app"
    red = drawn.red()
    assert red, out
    for node in red:
        column, label, _ = drawn.nodes[node]
        assert column == "app" and "no-datastore-in-app-tier" in label
    assert any("DatabaseInstance" in drawn.nodes[n][1] for n in red)
    # each red node hangs off its stack by a red link
    links = {i for i, (src, _, dst, _) in enumerate(drawn.edges) if src == stack and dst in red}
    assert len(links) == len(red) and links == drawn.red_links


def _project(root: Path, name: str, program: str) -> Path:
    directory = root / name
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text("config: {}\n")
    (directory / "__main__.py").write_text(program)
    return directory


def test_an_output_no_sibling_exports_is_drawn_red(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, "demo-infra", "import pulumi\npulumi.export('present', 'x')\n")
    _project(
        tmp_path,
        "demo-app",
        "import pulumi\n"
        "infra = pulumi.StackReference('infra', stack_name='acme/demo-infra/dev')\n"
        "pulumi.export('a', infra.get_output('present'))\n"
        "pulumi.export('b', infra.get_output('absent'))\n",
    )
    report = tmp_path / "r.json"
    code = main(["check", str(tmp_path), "--format", "json", "-o", str(report), "--format", "mermaid"])
    out = capsys.readouterr().out
    assert code == 0  # get_output of a missing output is None, not an error: only the picture says so
    drawn = Parsed(out)
    app, infra = drawn.stack_node("demo-app/dev"), drawn.stack_node("demo-infra/dev")
    (reference,) = [i for i, e in enumerate(drawn.edges) if e[:3] == (infra, "-->", app)]
    assert drawn.edges[reference][3] == "present, absent"
    (missing,) = drawn.red()
    assert drawn.nodes[missing][0] == "app"
    assert "reads absent" in drawn.nodes[missing][1] and "demo-infra/dev" in drawn.nodes[missing][1]
    assert "present" not in drawn.nodes[missing][1].split("<br/>")[0]
    hanging = next(i for i, e in enumerate(drawn.edges) if e[0] == app and e[2] == missing)
    assert drawn.red_links == {reference, hanging}
    doc = json.loads(report.read_text())
    entry = next(s for s in doc["stacks"] if s["project"] == "demo-app")
    assert entry["stackReferences"] == [
        {
            "stack": "acme/demo-infra/dev",
            "urn": "urn:pulumi:dev::demo-app::pulumi:pulumi:StackReference::infra",
            "read": ["present", "absent"],
            "missing": ["absent"],
        }
    ]


# -- inputs without a program run, escaping ---------------------------------------------------------


def _stack(project: str, resources: list[Resource]) -> Stack:
    root = Resource(
        f"urn:pulumi:dev::{project}::pulumi:pulumi:Stack::{project}-dev", "pulumi:pulumi:Stack", "x"
    )
    return Stack(project=project, stack="dev", resources=[root, *resources], kind="export", source="e.json")


def test_a_preview_or_export_draws_its_references_to_stacks_outside_the_estate() -> None:
    ref = Resource(
        "urn:pulumi:dev::shop-app::pulumi:pulumi:StackReference::infra",
        "pulumi:pulumi:StackReference",
        "infra",
        inputs={"name": "acme/shop-infra/prod"},
    )
    deployment = "kubernetes:apps/v1:Deployment"
    dep = Resource(f"urn:pulumi:dev::shop-app::{deployment}::web", deployment, "web")
    stack = _stack("shop-app", [ref, dep])
    assert stack.references_of() == [StackReference(name="acme/shop-infra/prod", urn=ref.urn)]
    drawn = Parsed(mermaid.render([Result(stack=stack)]))
    outside = [i for i, (_, _, cls) in drawn.nodes.items() if cls == "external"]
    assert len(outside) == 1 and drawn.nodes[outside[0]][0] == "infra"
    assert "shop-infra/prod" in drawn.nodes[outside[0]][1]
    assert drawn.edges == [(outside[0], "-->", drawn.stack_node("shop-app/dev"), None)]
    assert _kinds(drawn.nodes[drawn.stack_node("shop-app/dev")][1]) == {"Deployment": 1}
    assert drawn.red_links == set()


@pytest.mark.parametrize(
    "name", ['we"ird]', "a#b", "x<script>y", "pipe|d", "back`tick", "semi;colon end", "br<br/>eak", "né 名"]
)
def test_labels_are_escaped(name: str) -> None:
    urn = f"urn:pulumi:dev::{name}-app::gcp:sql/databaseInstance:DatabaseInstance::{name}"
    res = Resource(urn, "gcp:sql/databaseInstance:DatabaseInstance", name)
    stack = _stack(f"{name}-app", [res])
    finding = Finding(
        "no-datastore-in-app-tier", "tier-boundaries", "tier-boundary", "mandatory", "m", urn=urn,
        type=res.type,
    )
    source = mermaid.render([Result(stack=stack, findings=[finding])])
    drawn = Parsed(source)  # each node still one quoted label, each edge still an edge
    labels = " ".join(label for _, label, _ in drawn.nodes.values())
    assert not set('"<>|`') & set(labels.replace("<br/>", "")), labels
    decoded = re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), labels)
    assert name in decoded
    assert len(drawn.red()) == 1


def test_escaping_round_trips() -> None:
    raw = 'a "b" [c] #d <e> &f `g` |h|'
    escaped = mermaid.text(raw)
    assert re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), escaped) == raw
    assert not set('"<>|`') & set(escaped)


# -- drawn by the Mermaid CLI -----------------------------------------------------------------------


def _browser() -> str | None:
    found = os.environ.get("PUPPETEER_EXECUTABLE_PATH")
    if found and Path(found).is_file():
        return found
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


@pytest.fixture(scope="module")
def mmdc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the mmdc executable, its puppeteer config), or a skip naming what is missing."""
    if not MMDC.is_file():
        pytest.skip(f"the Mermaid CLI is not installed at {MMDC}: run `make mermaid-cli`")
    if shutil.which("node") is None:
        pytest.skip("no node on the PATH for the Mermaid CLI")
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium (chromium, chromium-browser, google-chrome) for the Mermaid CLI: "
                    "run `make mermaid-cli`")
    config = tmp_path_factory.mktemp("mmdc") / "puppeteer.json"
    config.write_text(json.dumps({"executablePath": browser, "args": ["--no-sandbox", "--disable-gpu"]}))
    return MMDC, config


def _draw(mmdc: tuple[Path, Path], source: str, out: Path) -> subprocess.CompletedProcess[str]:
    out.with_suffix(".mmd").write_text(source, encoding="utf-8")
    exe, config = mmdc
    return subprocess.run(
        [str(exe), "-p", str(config), "-i", str(out.with_suffix(".mmd")), "-o", str(out), "-q"],
        capture_output=True, text=True, timeout=180, check=False,
    )


def test_the_mermaid_cli_draws_the_estate_and_its_crossings(
    mmdc: tuple[Path, Path], estate: list[Result], tmp_path: Path
) -> None:
    drawn = _draw(mmdc, render("mermaid", estate), tmp_path / "estate.svg")
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    svg = (tmp_path / "estate.svg").read_text(encoding="utf-8")
    for r in estate:
        assert r.stack.label in svg
    for tier in ("identity", "infra", "app"):
        assert f">{tier}<" in svg
    crossing = _evaluate([DATASTORE_IN_APP])
    drawn = _draw(mmdc, render("mermaid", crossing), tmp_path / "crossing.svg")
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    svg = (tmp_path / "crossing.svg").read_text(encoding="utf-8")
    assert "no-datastore-in-app-tier" in svg and "#ffe3e3" in svg and "#c92a2a" in svg
    # the same CLI refuses a broken diagram: a pass above means the syntax is Mermaid's
    broken = _draw(mmdc, "flowchart LR\n  a[[[broken\n", tmp_path / "broken.svg")
    assert broken.returncode != 0 and "Parse error" in broken.stderr
