"""The evaluator's type pre-filter (``Rule.resource_types``) never changes a verdict.

``pulumi preview --policy-pack`` calls every policy for every resource; tierguard's evaluator skips the
resource policies whose declared types exclude a resource. That is only sound when each declaration
covers every type its policy can report on (or leave a preview note, a not-applicable or a remediation
on). Two proofs:

* **same results**: every input the project has -- the capture fixtures, the violation examples and
  their compliant twins, the reference stacks, the e2e programs, every genuine and derived CLI file,
  the benchmark generator's program, stack and preview -- evaluated by all packs with the pre-filter
  on and off, under several configs (each tier, every remediation on, config-added types), gives the
  same findings, exemptions, not-applicables and remediations;
* **no reach outside**: every resource policy, called (as the CLI would) for each type of pulumi-gcp,
  pulumi-kubernetes, pulumi-aws, pulumi-azure-native and pulumi-azure that its declaration excludes,
  in every tier and in a production and a development stack, reports nothing and never even reads
  the resource's properties. A declaration that misses a type the policy can flag fails here, as does
  a table row a declaration does not cover.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from example_projects import PYTHON_RUNTIME, projects
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from benchmarks import generate
from tierguard.catalog import iam as iam_catalog
from tierguard.crossguard.packconfig import PackConfig
from tierguard.evaluate.evaluator import Evaluator
from tierguard.model.records import TIERS, InputError, Result, Stack
from tierguard.policies import stackcontext
from tierguard.policies.base import Rule, rule_of, type_filter
from tierguard.policies.packs import all_packs
from tierguard.readers import load_stacks
from tierguard.readers.detect import read_file, read_plan

ROOT = Path(__file__).resolve().parents[1]
TOKENS = ROOT / "tests" / "fixtures" / "sdk-tokens"
PACKS = all_packs()

# -- same results with and without the pre-filter ------------------------------------------------

REMEDIATE_ALL = {"all": "remediate"}
# types the config adds to a declaration: if `resource_types_config` did not name these keys, the
# filtered run would skip the policies on these resources and the results would differ
CONFIG_ADDED = {
    "no-datastore-in-app-tier": {"extraDatastoreTypes": {"kubernetes:core/v1:ConfigMap": "config store",
                                                         "gcp:serviceaccount/*": "identity store"}},
    "resource-in-its-tier": {"placement": {"kubernetes:apps/v1:Deployment": "identity",
                                           "gcp:storage/bucket:*": ["identity"]}},
    "storage-protect-option": {"extraTypes": ["kubernetes:core/v1:Service", "gcp:serviceaccount/*"]},
    "storage-protect-option-prod": {"extraTypes": ["kubernetes:core/v1:Service", "gcp:serviceaccount/*"]},
}
CONFIGS: dict[str, tuple[dict[str, Any], str | None]] = {
    "default": ({}, None),
    **{f"tier-{tier}": ({}, tier) for tier in TIERS},
    "remediate-all": (REMEDIATE_ALL, None),
    "config-added-types": (CONFIG_ADDED, "app"),
}


def _outcome(result: Result) -> dict[str, Any]:
    return {
        "findings": result.findings,
        "exempted": result.exempted,
        "not_applicable": result.not_applicable,
        "remediations": result.remediations,
    }


def assert_prefilter_changes_nothing(stacks: list[Stack]) -> int:
    """Evaluate every stack under every config both ways; return how many findings were compared."""
    assert stacks
    compared = 0
    for stack in stacks:
        for name, (entries, tier) in CONFIGS.items():
            stack.tier = tier
            config = PackConfig(entries=json.loads(json.dumps(entries)))
            filtered = Evaluator(PACKS, config, prefilter=True).evaluate(stack)
            every = Evaluator(PACKS, config, prefilter=False).evaluate(stack)
            assert _outcome(filtered) == _outcome(every), f"{stack.label} under {name}"
            compared += len(every.findings) + len(every.remediations)
        stack.tier = None
    return compared


def _programs(root: Path) -> list[Path]:
    """The Python projects under `root`: offline check runs no other runtime yet (the Pulumi YAML
    examples are judged under the real CLI, tests/e2e/test_e2e_yaml.py)."""
    return projects(root, PYTHON_RUNTIME)


# programs that exit 2 by design (a raising program; a non-Python runtime is left out by _programs)
NOT_CAPTURABLE = {"raises", "nodejs-project"}
CLOUDS = ("aws-", "azure-")
VIOLATIONS = ROOT / "examples" / "violations"
PROGRAM_GROUPS = {
    "fixtures": [
        *(p for p in _programs(ROOT / "tests" / "fixtures" / "programs") if p.name not in NOT_CAPTURABLE),
        ROOT / "tests" / "fixtures" / "plugin_stack",
    ],
    # two groups, so that the two test workers share the captures
    "violations-gcp": [p for p in _programs(VIOLATIONS) if not p.name.startswith(CLOUDS)],
    "violations-aws-azure": [p for p in _programs(VIOLATIONS) if p.name.startswith(CLOUDS)],
    "compliant": _programs(ROOT / "examples" / "compliant"),
    "reference-and-e2e": [
        *sorted(p.parent for p in (ROOT / "reference_stacks").glob("*/*/Pulumi.yaml")),
        *_programs(ROOT / "tests" / "e2e" / "programs"),
    ],
}


@pytest.mark.parametrize("group", sorted(PROGRAM_GROUPS))
def test_programs_get_the_same_results_with_and_without_the_prefilter(group: str, tmp_path: Path) -> None:
    references = tmp_path / "refs.json"  # what ref-app reads from a project not among the fixtures
    references.write_text(json.dumps({"acme/network/prod": {"region": "europe-west1", "token": "[secret]"}}))
    programs = list(PROGRAM_GROUPS[group])
    for index, program in enumerate(programs):
        if program.parent.name == "programs" and program.parent.parent.name == "e2e":
            # the e2e tests set the database password as a secret; here it is one in the stack file
            copy = programs[index] = tmp_path / program.name
            shutil.copytree(program, copy)
            with (copy / "Pulumi.dev.yaml").open("a", encoding="utf-8") as fh:
                fh.write(f"  {program.name}:dbPassword:\n    secure: v1:c2VjcmV0\n")
    stacks = load_stacks(programs, references=str(references))
    assert len(stacks) >= len(PROGRAM_GROUPS[group])  # every project, each stack config
    assert_prefilter_changes_nothing(stacks)


CLI_FILES = sorted(
    p for p in (ROOT / "tests" / "fixtures" / "pulumi-json").iterdir() if p.suffix in (".json", ".jsonl")
)


@pytest.mark.parametrize("path", CLI_FILES, ids=lambda p: p.name)
def test_cli_files_get_the_same_results_with_and_without_the_prefilter(path: Path) -> None:
    stacks = [read_file(str(path))]
    with contextlib.suppress(InputError):  # an export is not a plan; read_file covered it
        stacks.append(read_plan(str(path))[0])  # with the resources a preview deletes
    assert_prefilter_changes_nothing(stacks)


def test_benchmark_stacks_get_the_same_results_with_and_without_the_prefilter(tmp_path: Path) -> None:
    size = 230  # every slot of the rotating unit, and the remainder path
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps(generate.preview_document(generate.specs(size), "bench-app")))
    program = generate.write_program(tmp_path, 40)
    stacks = [
        generate.to_stack(generate.specs(size), "bench-app"),
        read_plan(str(preview))[0],
        *load_stacks([program], stack=generate.STACK_NAME),
    ]
    assert assert_prefilter_changes_nothing(stacks) > 0


def test_the_prefilter_skips_policies_and_the_switch_turns_it_off() -> None:
    """Not a no-op: on a GCP/Kubernetes stack most IAM policies are never called per resource."""
    calls: dict[bool, int] = {}
    stack = generate.to_stack(generate.specs(20), "bench-app")
    for prefilter in (True, False):
        evaluator = Evaluator(PACKS, prefilter=prefilter)
        counted = 0
        original = ResourceValidationPolicy.validate

        def counting(self: Any, args: Any, report: Any, original: Any = original) -> Any:
            nonlocal counted
            counted += 1
            return original(self, args, report)

        ResourceValidationPolicy.validate = counting  # type: ignore[method-assign]
        try:
            evaluator.evaluate(stack)
        finally:
            ResourceValidationPolicy.validate = original  # type: ignore[method-assign]
        calls[prefilter] = counted
    resource_policies = sum(isinstance(p, ResourceValidationPolicy) for pk in PACKS for p in pk.policies)
    assert calls[False] == resource_policies * len(stack.resources)
    assert calls[True] < calls[False] / 3


# -- no policy reaches outside its declared types -------------------------------------------------


def _registered(module: str, prefix: str) -> set[str]:
    """Every resource type token an installed SDK registers (read from its module registry)."""
    spec = importlib.util.find_spec(module)
    assert spec and spec.origin, module
    text = Path(spec.origin).read_text(encoding="utf-8")
    return set(re.findall(rf'"({re.escape(prefix)}:[A-Za-z0-9/._-]*:[A-Za-z0-9]+)": "', text))


def _committed(dist_prefix: str) -> set[str]:
    (path,) = TOKENS.glob(f"{dist_prefix}-[0-9]*.tsv")
    return {line.partition("\t")[0] for line in path.read_text(encoding="utf-8").splitlines() if line}


def _fixture_types() -> set[str]:
    out: set[str] = set()
    for path in CLI_FILES:
        out.update(r.type for r in read_file(str(path)).resources)
    return out


UNIVERSE = sorted(
    _registered("pulumi_gcp", "gcp")
    | _registered("pulumi_kubernetes", "kubernetes")
    | _committed("pulumi-aws")
    | _committed("pulumi-azure-native")
    | _committed("pulumi-azure")
    | _fixture_types()
    | {"pulumi:pulumi:Stack", "pulumi:providers:gcp", "pulumi:pulumi:StackReference", "acme:index:Widget"}
)


class Touched(Exception):
    """A policy read the properties of a resource whose type it declares it never judges."""


class Untouchable(Mapping[str, Any]):
    """Props that refuse to be read: any access is a :class:`Touched`."""

    def __getitem__(self, key: str) -> Any:
        raise Touched(key)

    def __iter__(self) -> Iterator[str]:
        raise Touched("iteration")

    def __len__(self) -> int:
        raise Touched("len")

    def __contains__(self, key: object) -> bool:
        raise Touched(key)


def _resource_policies() -> list[tuple[str, ResourceValidationPolicy, Rule]]:
    return [
        (pk.name, p, rule_of(p))
        for pk in PACKS
        for p in pk.policies
        if isinstance(p, ResourceValidationPolicy)
    ]


DECLARING = [entry for entry in _resource_policies() if entry[2].resource_types is not None]


def test_every_builtin_resource_policy_declares_its_types_unless_it_judges_every_type() -> None:
    every_type = {p.name for _, p, r in _resource_policies() if r.resource_types is None}
    assert every_type == {"resource-tier-classified"}  # an unknown type is exactly what it reports
    for _, _, rule in DECLARING:
        assert rule.resource_types, rule.name


@pytest.mark.parametrize("entry", DECLARING, ids=lambda e: e[1].name)
def test_a_policy_reports_nothing_and_reads_nothing_outside_its_declared_types(
    entry: tuple[str, ResourceValidationPolicy, Rule],
) -> None:
    _, policy, rule = entry
    judges = type_filter(rule, rule.defaults())
    assert judges is not None
    outside = [t for t in UNIVERSE if not judges(t)]
    assert len(outside) > 1000, "the declaration should leave most types out"
    tiers = TIERS if "tier" in rule.config else (None,)
    stackcontext.reset()
    reported: list[tuple[str, Any]] = []
    for stack in ("prod", "dev"):
        for tier in tiers:
            config = {**rule.defaults(), **({"tier": tier} if tier else {})}
            for type_token in outside:
                args = ResourceValidationArgs(
                    type_token,
                    Untouchable(),
                    f"urn:pulumi:{stack}::probe-app::{type_token}::probe",
                    "probe",
                    PolicyResourceOptions(False, [], False, [], PolicyCustomTimeouts(0, 0, 0), [], None),
                    None,
                    dict(config),
                    {},
                )
                try:
                    policy.validate(args, lambda msg, urn=None, t=type_token: reported.append((t, msg)))
                    if policy.has_remediation():
                        assert policy.remediate(args) is None, type_token
                except Touched as exc:
                    pytest.fail(f"{policy.name} read `{exc}` of a {type_token} (not in its resource_types)")
    assert not reported, f"{policy.name} reported on types it does not declare: {reported[:5]}"


# Each declaration against the table its policy reads: every key of the table is judged.
def _tables() -> dict[str, list[str]]:
    from tierguard.catalog import aws_iam, azure_iam, datastores, placement, storage

    datastore_types = [*datastores.DATASTORE_TYPES, *(k for k, _ in datastores.DATASTORE_PATTERNS)]
    placed = [k for k, v in (*placement.PLACEMENT_TYPES.items(), *placement.PLACEMENT_PATTERNS)
              if placement.as_placement(v).belongs != placement.ANY]
    tolerated = [k for k, v in (*placement.PLACEMENT_TYPES.items(), *placement.PLACEMENT_PATTERNS)
                 if placement.as_placement(v).tolerated]
    gcp_iam = sorted(t for t in _registered("pulumi_gcp", "gcp") if iam_catalog.IAM_TYPE_NAME.search(t))
    assert len(gcp_iam) == 474
    rbac = iam_catalog.RBAC_GROUP
    return {
        "no-datastore-in-app-tier": [*datastore_types, *datastores.STATEFULSET_TYPES, *datastores.HELM_TYPES],
        "resource-in-its-tier": [*placed, *datastore_types],
        "resource-in-tolerated-tier": tolerated,
        "storage-deletion-guards": list(storage.STORAGE_SPECS),
        "storage-protect-option-prod": list(storage.PROTECT_OPTION_TYPES),
        "storage-protect-option": list(storage.PROTECT_OPTION_TYPES),
        "kubernetes-storage-retain": list(storage.KUBERNETES_STORAGE_SPECS),
        **{name: gcp_iam for name in (
            "gcp-no-basic-roles", "gcp-no-broad-impersonation", "gcp-no-broad-iam-admin",
            "gcp-service-agent-roles-only-for-agents", "gcp-no-default-service-account-grants",
            "gcp-no-public-iam-members", "iam-conditional-broad-grant")},
        "gcp-authoritative-iam-advisory": [t for t in gcp_iam if not t.lower().endswith("iammember")],
        "gcp-bigquery-dataset-not-public": [
            iam_catalog.BIGQUERY_DATASET,
            iam_catalog.BIGQUERY_DATASET_ACCESS,
        ],
        "gcp-storage-acl-not-public": list(iam_catalog.STORAGE_ACL_TYPES),
        "gcp-storage-bucket-uniform-access": [iam_catalog.STORAGE_BUCKET],
        "gcp-service-account-key-advisory": [iam_catalog.SERVICE_ACCOUNT_KEY],
        "gcp-workload-identity-provider-condition": [iam_catalog.WORKLOAD_IDENTITY_POOL_PROVIDER],
        **{name: [rbac + k for k in iam_catalog.RBAC_BINDING_KINDS] for name in (
            "k8s-no-broad-role-binding", "k8s-no-system-group-subjects",
            "k8s-default-service-account-not-bound")},
        **{name: [rbac + k for k in iam_catalog.RBAC_ROLE_KINDS] for name in (
            "k8s-no-wildcard-rules", "k8s-no-escalation-verbs", "k8s-no-secret-read", "k8s-no-exec-proxy",
            "k8s-no-escalation-paths")},
        **{name: list(aws_iam.POLICY_DOCUMENTS) for name in (
            "aws-iam-no-wildcard-actions", "aws-iam-no-passrole-on-all", "aws-no-public-principal",
            "aws-iam-oidc-trust-pinned-subject", "aws-iam-conditional-broad-statement")},
        "aws-iam-no-broad-managed-policies": list(aws_iam.POLICY_ATTACHMENTS),
        "aws-eks-no-cluster-admin": [aws_iam.EKS_ACCESS_POLICY_ASSOCIATION, *aws_iam.AWS_AUTH_TYPES],
        "azure-no-wildcard-custom-roles": list(azure_iam.ROLE_DEFINITIONS),
        "azure-federated-credential-pinned-subject": list(azure_iam.FEDERATED_CREDENTIALS),
        "azure-aks-no-local-accounts": list(azure_iam.AKS_LOCAL_ACCOUNTS),
        "azure-storage-no-public-blob-access": list(azure_iam.PUBLIC_BLOB_ACCESS),
    }


def test_each_declaration_covers_every_row_of_the_tables_its_policy_reads() -> None:
    tables = _tables()
    assert set(tables) == {p.name for _, p, _ in DECLARING}, "a declaring policy without its table here"
    for _, policy, rule in DECLARING:
        judges = type_filter(rule, rule.defaults())
        assert judges is not None
        # a pattern row is covered when the row's own text (a token that matches it) is judged
        missed = [t for t in tables[policy.name] if not judges(t)]
        assert not missed, f"{policy.name} does not declare {missed[:5]}"


def test_config_added_types_are_judged_and_a_bad_shape_judges_every_type() -> None:
    rule = next(r for _, p, r in DECLARING if p.name == "storage-protect-option")
    judges = type_filter(rule, {"extraTypes": ["acme:index:*"]})
    assert judges is not None and judges("acme:index:Widget") and judges("ACME:Index:widget")
    assert not judges("kubernetes:core/v1:Service")
    assert type_filter(rule, {"extraTypes": "acme:index:*"}) is None
    tier = next(r for _, p, r in DECLARING if p.name == "resource-in-its-tier")
    placed = type_filter(tier, {"placement": {"acme:*": "infra"}})
    assert placed is not None and placed("acme:index:Widget")


def test_a_rule_declares_types_as_a_tuple_and_only_config_keys_it_has() -> None:
    common: dict[str, Any] = {
        "name": "x", "title": "x", "description": "x", "category": "iam", "severity": "low",
        "enforcement": "advisory", "remediation": "x",
    }
    with pytest.raises(ValueError, match="tuples"):
        Rule(**common, resource_types="gcp:*")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="names no config property"):
        Rule(**common, resource_types=("gcp:*",), resource_types_config=("extraTypes",))
    with pytest.raises(ValueError, match="every type"):
        Rule(**common, config={"extraTypes": {}}, resource_types_config=("extraTypes",))
