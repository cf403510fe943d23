"""``--format mermaid``: the estate as a picture a reviewer reads at a glance.

GitHub renders Mermaid in job summaries and pull-request comments, so the Markdown report embeds the
same diagram. Three tier columns (identity, infra, app; a fourth for stacks whose tier is
unresolved) hold a node per stack with its resources counted by kind; a ``StackReference`` is an
edge from the stack it names to the stack that reads it (the way the outputs flow, so the columns
keep the deploy order left to right), labelled with the outputs read; crossings are red:
a resource a tier-boundary policy found in the wrong tier, and an output read that the referenced
stack does not export. Built only from what every report gets (the Results: stacks, their tier,
resources, findings); nothing is evaluated again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tierguard.model.records import TIERS, Finding, Result, Stack, StackReference
from tierguard.model.urn import name_of_urn
from tierguard.policies.tier import stack_tier, tier_from_project

UNRESOLVED = "unresolved"
COLUMN_TITLES = {**{t: t for t in TIERS}, UNRESOLVED: "tier unresolved"}

# Findings that say a resource sits in the wrong tier (tier-declared is the stack's, and
# resource-tier-classified only says the tier of a type is unknown: neither is a crossing).
CROSSING_POLICIES = frozenset(
    {"no-datastore-in-app-tier", "resource-in-its-tier", "resource-in-tolerated-tier"}
)

# Registrations that are plumbing, not the stack's resources: never counted by kind. A
# StackReference is drawn as an edge instead.
UNCOUNTED_PREFIXES = ("pulumi:providers:", "pulumi:pulumi:")

MAX_KINDS = 10  # kinds listed per stack node; the rest are summed in one line
MAX_CROSSINGS = 10  # crossing nodes per stack; the rest in one "+N more" node
MAX_READS_SHOWN = 3  # output names on a StackReference edge

# Mermaid's own limit (maxTextSize): a longer diagram is not drawn, so the Markdown report omits it.
MAX_DIAGRAM_CHARS = 50_000

CLASS_STYLES = {
    "stack": "fill:#eef4fb,stroke:#4a6fa5,color:#102a43",
    "crossing": "fill:#ffe3e3,stroke:#c92a2a,stroke-width:2px,color:#7d1f1f",
    "advisory": "fill:#fff4e0,stroke:#e8590c,color:#5c2b00",
    "external": "fill:#f1f3f5,stroke:#868e96,stroke-dasharray:4 3,color:#495057",
}
RED_LINK = "stroke:#c92a2a,stroke-width:2px"

# Mermaid entity codes for what would end or reinterpret a quoted label ("#" first: the codes use it).
_ESCAPES = (("#", "#35;"), ('"', "#34;"), ("<", "#60;"), (">", "#62;"), ("&", "#38;"), ("`", "#96;"),
            ("|", "#124;"))


def text(value: str) -> str:
    """Literal text inside a quoted Mermaid label: one line, nothing Mermaid or HTML would read."""
    value = " ".join(value.split())
    for raw, code in _ESCAPES:
        value = value.replace(raw, code)
    return value


def _lines(*parts: str) -> str:
    """A quoted label of several lines (each escaped; ``<br/>`` is the only markup)."""
    return '"' + "<br/>".join(text(p) for p in parts if p) + '"'


def kind_of(type_token: str) -> str:
    """``kubernetes:apps/v1:Deployment`` -> ``Deployment``: what a reviewer calls the resource."""
    return type_token.rsplit(":", 1)[-1] or type_token


def _qualified(type_token: str) -> str:
    """``gcp:projects/iAMMember:IAMMember`` -> ``projects/IAMMember``: two types of one kind apart."""
    parts = type_token.split(":")
    module = parts[1].split("/")[0] if len(parts) == 3 else parts[0]
    return f"{module}/{kind_of(type_token)}"


def counted(stack: Stack) -> Counter[str]:
    """The stack's own resources (custom, not plumbing) counted by kind."""
    types = Counter(
        r.type for r in stack.resources if r.custom and not r.type.startswith(UNCOUNTED_PREFIXES)
    )
    kinds = Counter(kind_of(t) for t in types)
    return Counter({(_qualified(t) if kinds[kind_of(t)] > 1 else kind_of(t)): n for t, n in types.items()})


def kind_lines(counts: Counter[str]) -> list[str]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [f"{n} {kind}" for kind, n in ranked[:MAX_KINDS]]
    rest = ranked[MAX_KINDS:]
    if rest:
        shown.append(f"+{len(rest)} more kinds ({sum(n for _, n in rest)} resources)")
    return shown


def crossings(result: Result) -> list[tuple[Finding, bool]]:
    """One (finding, blocking) per resource found in the wrong tier, blocking ones first."""
    by_urn: dict[str, list[Finding]] = {}
    for f in result.findings:
        if f.kind != "note" and f.policy in CROSSING_POLICIES and f.urn:
            by_urn.setdefault(f.urn, []).append(f)
    out = []
    for found in by_urn.values():
        first = next((f for f in found if f.blocking), found[0])
        out.append((first, first.blocking))
    return sorted(out, key=lambda fb: (not fb[1], fb[0].urn))


def _reads_label(ref: StackReference) -> str:
    names = list(ref.read[:MAX_READS_SHOWN])
    if len(ref.read) > MAX_READS_SHOWN:
        names.append(f"+{len(ref.read) - MAX_READS_SHOWN}")
    return ", ".join(names)


@dataclass
class Diagram:
    """Nodes by column, edges in order (``linkStyle`` numbers them), the red edges' numbers."""

    columns: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in COLUMN_TITLES})
    loose: list[str] = field(default_factory=list)  # nodes of no column (a stack of unknown tier)
    edges: list[str] = field(default_factory=list)
    red: list[int] = field(default_factory=list)

    def node(self, column: str | None, line: str) -> None:
        (self.columns[column] if column else self.loose).append(line)

    def edge(self, line: str, *, red: bool = False) -> None:
        if red:
            self.red.append(len(self.edges))
        self.edges.append(line)

    def render(self) -> str:
        out = ["flowchart LR"]
        for column, nodes in self.columns.items():
            if not nodes:
                continue
            out.append(f'  subgraph tier_{column}["{text(COLUMN_TITLES[column])}"]')
            out.append("    direction TB")
            out.extend(f"    {n}" for n in nodes)
            out.append("  end")
        out.extend(f"  {n}" for n in self.loose)
        out.extend(f"  {e}" for e in self.edges)
        out.extend(f"  classDef {name} {style}" for name, style in CLASS_STYLES.items())
        if self.red:
            out.append(f"  linkStyle {','.join(map(str, self.red))} {RED_LINK}")
        return "\n".join(out) + "\n"


def _column(tier: str | None) -> str:
    return tier if tier in TIERS else UNRESOLVED


def _stack_node(node_id: str, result: Result) -> str:
    stack = result.stack
    total = sum(1 for r in stack.resources if not r.is_stack)
    mark = "❌" if result.blocked else "✅"
    resources = f"{total} resource" if total == 1 else f"{total} resources"
    label = _lines(f"{mark} {stack.label}", resources, *kind_lines(counted(stack)))
    return f"{node_id}[{label}]:::stack"


def _add_crossings(diagram: Diagram, node_id: str, column: str, result: Result) -> None:
    found = crossings(result)
    for j, (f, blocking) in enumerate(found[:MAX_CROSSINGS]):
        cls = "crossing" if blocking else "advisory"
        label = _lines(f"{'⛔' if blocking else '⚠'} {name_of_urn(f.urn)}", kind_of(f.type), f.policy)
        diagram.node(column, f"{node_id}x{j}[{label}]:::{cls}")
        diagram.edge(f"{node_id} -.- {node_id}x{j}", red=blocking)
    if len(found) > MAX_CROSSINGS:
        more = found[MAX_CROSSINGS:]
        cls = "crossing" if any(b for _, b in more) else "advisory"
        diagram.node(column, f"{node_id}xmore[{_lines(f'+{len(more)} more crossings')}]:::{cls}")
        diagram.edge(f"{node_id} -.- {node_id}xmore", red=cls == "crossing")


def _add_reference(
    diagram: Diagram, node_id: str, column: str, result: Result, k: int, ref: StackReference,
    target_id: str,
) -> None:
    missing = ref.missing
    label = _reads_label(ref)
    arrow = f'-->|"{text(label)}"|' if label else "-->"
    diagram.edge(f"{target_id} {arrow} {node_id}", red=bool(missing))
    if missing:
        project, stack = ref.target(result.stack.project)
        what = _lines(f"⛔ reads {', '.join(missing)}", f"not exported by {project}/{stack}")
        diagram.node(column, f"{node_id}m{k}[{what}]:::crossing")
        diagram.edge(f"{node_id} -.- {node_id}m{k}", red=True)


def diagram(results: Sequence[Result]) -> Diagram:
    """The estate: stack nodes in their tier column, crossings beside them, StackReference edges."""
    out = Diagram()
    ids: dict[tuple[str, str], str] = {}
    columns: dict[str, str] = {}
    for i, r in enumerate(results):
        node_id = f"s{i}"
        ids.setdefault((r.stack.project, r.stack.stack), node_id)
        columns[node_id] = _column(stack_tier(r.stack).tier)
        out.node(columns[node_id], _stack_node(node_id, r))
    for i, r in enumerate(results):
        _add_crossings(out, f"s{i}", columns[f"s{i}"], r)
    external: dict[tuple[str, str], str] = {}
    for i, r in enumerate(results):
        for k, ref in enumerate(r.stack.references_of()):
            target = ref.target(r.stack.project)
            target_id = ids.get(target) or external.get(target)
            if target_id is None:
                target_id = external[target] = f"x{len(external)}"
                label = _lines(f"{target[0]}/{target[1]}", "not checked here")
                out.node(_external_column(target[0]), f"{target_id}[{label}]:::external")
            _add_reference(out, f"s{i}", columns[f"s{i}"], r, k, ref, target_id)
    return out


def _external_column(project: str) -> str | None:
    """A stack outside the estate sits in its tier's column when its project name says the tier."""
    tier = tier_from_project(project)
    return tier if tier in TIERS else None


def render(results: Iterable[Result]) -> str:
    return diagram(list(results)).render()
