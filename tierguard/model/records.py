"""The one vocabulary every part of tierguard speaks.

Readers turn their input (a program run offline, a ``pulumi preview --json`` document, a
``pulumi stack export`` file) into a :class:`Stack` of :class:`Resource` records; the evaluator and
the plan rules turn those into :class:`Finding` objects; reporters only ever see findings.

Resource inputs are kept in the **analyzer wire form** -- the JSON the Pulumi engine sends a policy
pack over gRPC: unknown values are the engine's sentinel strings and secrets are objects carrying the
secret signature. Keeping that form means the evaluator can hand exactly what the CLI would hand to
``pulumi_policy``, and that secrets stay recognisable until the last moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Categories: every policy carries exactly one of these as its tag (DEVELOPERS.md contract).
CATEGORIES = ("tier-boundary", "iam", "deletion-protection", "plan-size")

TIERS = ("identity", "infra", "app")

ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")

SEVERITIES = ("low", "medium", "high", "critical")

# The category of a finding that is no policy's verdict: the Pulumi engine's own error or warning
# diagnostics kept from a preview (``pulumi-engine-error``/``-warning``). Not one of the four
# policy categories on purpose: a failed preview is neither a size nor an IAM problem.
ENGINE_CATEGORY = "engine"

# The resource a `pulumi.StackReference` registers (read with the stack's name as its id).
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


@dataclass(frozen=True)
class Location:
    """Where in the user's code (or input file) a resource was declared."""

    file: str
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file}
        if self.line is not None:
            out["line"] = self.line
        if self.column is not None:
            out["column"] = self.column
        return out

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass
class Resource:
    """One resource as a policy (or a plan rule) sees it."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any] = field(default_factory=dict)
    # Outputs in wire form where the input carries them (a stack export; the root stack's exports in
    # an offline run). The engine hands stack policies outputs, so they see these when known.
    outputs: dict[str, Any] | None = None
    custom: bool = True
    id: str | None = None
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool | None = None
    ignore_changes: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    # seconds, keys "create", "update", "delete"; None when not set
    custom_timeouts: dict[str, float] | None = None
    additional_secret_outputs: list[str] = field(default_factory=list)
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # provider reference as the engine writes it: "<provider urn>::<provider id>"
    provider: str | None = None
    location: Location | None = None
    # Only for resources read from a preview: the step's operation and the old state.
    op: str | None = None
    old: Resource | None = None
    # Preview step details (replaceReasons, diffReasons, detailedDiff) when known.
    step: dict[str, Any] | None = None

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")

    @property
    def is_stack(self) -> bool:
        return self.type == "pulumi:pulumi:Stack"


def stack_reference_target(name: str, project: str) -> tuple[str, str]:
    """(project, stack) a StackReference name ("org/project/stack", "project/stack" or "stack")
    names; a bare stack name is of ``project`` (the reader's own), as the engine reads it."""
    parts = [p for p in name.split("/") if p]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return project, (parts[0] if parts else name)


@dataclass(frozen=True)
class StackReference:
    """A ``pulumi.StackReference`` a stack makes: the edge between two stacks of an estate, and the
    outputs read through it, so a report can show a read that the other stack does not export."""

    # the stack it names, as the program gave it: "org/project/stack", "project/stack" or "stack"
    name: str
    # the StackReference resource's URN ("" when unknown)
    urn: str = ""
    # output names the program asked for (get_output / require_output), in first-read order
    read: tuple[str, ...] = ()
    # the outputs the referenced stack has, when the input tells (an offline run does); None: unknown
    exported: tuple[str, ...] | None = None

    def target(self, project: str) -> tuple[str, str]:
        """(project, stack) it names; a bare stack name is of ``project`` (the reader's own)."""
        return stack_reference_target(self.name, project)

    @property
    def missing(self) -> tuple[str, ...]:
        """Outputs read that the referenced stack does not export (none when that is unknown)."""
        if self.exported is None:
            return ()
        return tuple(name for name in self.read if name not in self.exported)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"stack": self.name, "urn": self.urn, "read": list(self.read)}
        if self.exported is not None:
            out["missing"] = list(self.missing)
        return out


@dataclass
class Stack:
    """A unit of evaluation: one stack of one project, from whichever input."""

    project: str
    stack: str
    resources: list[Resource]
    # "program", "preview", "events" or "export"
    kind: str
    # The file or directory the stack came from (for messages and report locations).
    source: str
    tags: dict[str, str] = field(default_factory=dict)
    # Pulumi config as flat "namespace:key" -> string (secrets already decrypted are never kept here).
    config: dict[str, str] = field(default_factory=dict)
    config_secret_keys: list[str] = field(default_factory=list)
    # Tier forced from the command line (--tier); None lets policies resolve it.
    tier: str | None = None
    # Whether values may be unknown (a preview) -- sets PULUMI_DRY_RUN for the policies.
    dry_run: bool = True
    # Engine diagnostics kept from a preview (e.g. refusing to delete a protected resource).
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    # The Pulumi.yaml of a program stack, used as the fallback location in reports.
    project_file: str | None = None
    # The stack's own config file (Pulumi.<stack>.yaml) when known: exemptions name it.
    config_file: str | None = None
    # Stack outputs (`pulumi.export`) in wire form, when the input carries them (offline runs).
    outputs: dict[str, Any] = field(default_factory=dict)
    # What the reader assumed on the user's behalf (e.g. a project without stack files checked as
    # stack "dev"): printed on standard error and listed per stack in --format json.
    notes: list[str] = field(default_factory=list)
    # The StackReferences an offline run made, with the outputs it read (see references_of).
    references: list[StackReference] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.project}/{self.stack}"

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def references_of(self) -> list[StackReference]:
        """The StackReferences of the stack: those an offline run recorded (with the outputs read), else
        the StackReference resources of a preview or export (the stack each names, nothing read)."""
        if self.references:
            return list(self.references)
        return [
            StackReference(name=str(r.inputs.get("name") or r.id or r.name), urn=r.urn)
            for r in self.resources
            if r.type == STACK_REFERENCE_TYPE
        ]

    @property
    def root_urn(self) -> str:
        """The root `pulumi:pulumi:Stack` resource's URN: the engine files every stack-level
        violation whose URN is empty or not in the stack under it (resolveStackPolicyViolationURN)."""
        stack = self.stack.rsplit("/", 1)[-1]
        return f"urn:pulumi:{stack}::{self.project}::pulumi:pulumi:Stack::{self.project}-{stack}"


@dataclass(frozen=True, kw_only=True)
class Rule:
    """What a user asks about a guardrail before adopting it: the metadata beside a policy (a pack's
    ``pulumi_policy`` policy carries its rule, see :mod:`tierguard.policies.base`) or beside a plan
    rule (:mod:`tierguard.plan.rules`). Reporters describe rules from these, never from packs."""

    name: str
    title: str
    description: str
    category: str
    severity: str
    enforcement: str
    remediation: str
    # CIS controls and peer rule ids, e.g. ("CIS GCP 1.6", "CKV_GCP_41", "Trivy AVD-GCP-0011")
    references: tuple[str, ...] = ()
    # JSON Schema "properties" of the policy's config (each with a "default" where one applies)
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    # False for a policy of a user's own pack: its category may be the pack's name (see rule_of)
    builtin: bool = True

    # The resource types a resource policy can ever judge: type tokens or fnmatch patterns, matched
    # as props.type_matches matches (case-insensitively), derived from the catalog tables the policy
    # reads. None means every type (what a user's own pack gets). `pulumi preview` still calls the
    # policy for every resource, so this must cover everything its validate or remediate can report;
    # tierguard's evaluator skips the other resources without calling it (policies.base.type_filter).
    resource_types: tuple[str, ...] | None = None
    # Config properties that add types to `resource_types`: an object's keys or an array's items
    # (e.g. `extraTypes`, `placement`); a type the user adds is judged like a built-in one.
    resource_types_config: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.builtin and self.category not in (*CATEGORIES, ENGINE_CATEGORY):
            raise ValueError(f"{self.name}: category {self.category!r} is not one of {CATEGORIES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.name}: severity {self.severity!r} is not one of {SEVERITIES}")
        if "enforcementLevel" in self.config:
            raise ValueError(f"{self.name}: enforcementLevel may not be a config property")
        if isinstance(self.resource_types, str) or isinstance(self.resource_types_config, str):
            raise ValueError(f"{self.name}: resource_types and resource_types_config are tuples of strings")
        if self.resource_types is None and self.resource_types_config:
            raise ValueError(f"{self.name}: resource_types_config extends resource_types (None: every type)")
        missing = [k for k in self.resource_types_config if k not in self.config]
        if missing:
            raise ValueError(f"{self.name}: resource_types_config names no config property: {missing}")

    def defaults(self) -> dict[str, Any]:
        """The config a policy sees when the user sets nothing (the CLI fills schema defaults)."""
        return {k: v["default"] for k, v in self.config.items() if "default" in v}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "severity": self.severity,
            "enforcementLevel": self.enforcement,
            "remediation": self.remediation,
            "references": list(self.references),
            "configSchema": {"type": "object", "properties": dict(self.config)},
        }


@dataclass(frozen=True)
class Finding:
    """One violation (or advisory note) of one policy on one resource or on the whole stack."""

    policy: str
    pack: str
    category: str
    enforcement_level: str
    message: str
    severity: str = "medium"
    urn: str = ""
    type: str = ""
    location: Location | None = None
    stack: str = ""
    # "violation" for a report_violation, "note" for the analyzer's "can't run during preview"
    # diagnostics and for engine diagnostics kept from a preview.
    kind: str = "violation"

    @property
    def blocking(self) -> bool:
        return self.enforcement_level in ("mandatory", "remediate")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy": self.policy,
            "pack": self.pack,
            "category": self.category,
            "severity": self.severity,
            "enforcementLevel": self.enforcement_level,
            "urn": self.urn,
            "type": self.type,
            "message": self.message,
            "stack": self.stack,
            "kind": self.kind,
        }
        if self.location is not None:
            out["location"] = self.location.to_json()
        return out


@dataclass(frozen=True)
class Exempted:
    """A finding an exemption in force covers: not a violation, but never out of sight."""

    # the finding as it would have been reported (its own enforcement level and message)
    finding: Finding
    # the tierguard.policies.exemptions.Exemption that covers it
    exemption: Any
    # what the Pulumi CLI shows for it: an advisory diagnostic with this message
    advisory_message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**self.finding.to_json(), "exemption": self.exemption.to_json()}


@dataclass
class Remediation:
    """A property rewrite a ``remediate`` policy proposes (what ``pulumi up`` would apply)."""

    policy: str
    pack: str
    urn: str
    properties: dict[str, Any] | None
    diagnostic: str = ""


@dataclass
class Result:
    """What evaluating one stack produced."""

    stack: Stack
    findings: list[Finding] = field(default_factory=list)
    not_applicable: list[tuple[str, str, str]] = field(default_factory=list)  # (policy, urn, reason)
    remediations: list[Remediation] = field(default_factory=list)
    # Filled by the plan guard for preview inputs (a JSON-ready summary).
    plan: dict[str, Any] | None = None
    # Names of the packs that were evaluated.
    packs: list[str] = field(default_factory=list)
    # policy name -> (pack name, rule): every rule that judged this stack (each policy of the packs
    # run, the plan rules), so reporters describe rules without loading any pack.
    rules: dict[str, tuple[str, Rule]] = field(default_factory=dict)
    # Wall-clock seconds spent per phase (capture, evaluate, ...), for benchmarks and --timings.
    timings: dict[str, float] = field(default_factory=dict)
    # Findings covered by an exemption in force (not violations; reports list them apart).
    exempted: list[Exempted] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(f.blocking for f in self.findings)


class InputError(Exception):
    """Bad usage or bad input: the CLI prints ``tierguard: <file>: <problem>`` and exits 2."""

    def __init__(self, source: str | None, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}" if source else problem)
