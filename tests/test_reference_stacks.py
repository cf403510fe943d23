"""The reference stacks (issues 5, 24) of every cloud run offline in deploy order and pass every pack.

They are the embedded default of ``make check`` and the code teams copy, so this suite pins what
the issue promises: no mandatory finding on any stack config, every advisory finding explained in
the stack's README, the StackReference contract between the tiers, every datastore protected, and
each stack under the plan-size pack's default limit for its tier.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tierguard.catalog.datastores import DATASTORE_TYPES
from tierguard.evaluate.evaluator import Evaluator
from tierguard.model.records import Result, Stack
from tierguard.policies.base import rule_of
from tierguard.policies.packs import all_packs, load_pack
from tierguard.readers import load_stacks
from tierguard.readers.program import run_info

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference_stacks"
DEPLOY_ORDER = ("identity", "infra", "app")
STACK_CONFIGS = ("dev", "prod")
# Budgets the issue sets for a readable plan (well under the plan-size pack's limits).
RESOURCE_BUDGET = {"identity": 60, "infra": 120, "app": 80}
STACK_REFERENCE = "pulumi:pulumi:StackReference"


@dataclass(frozen=True)
class Cloud:
    """What one cloud's three reference stacks promise: their project names and the kinds of
    resource each must hold (guards every other assertion against passing on an empty capture)."""

    project_prefix: str
    type_prefixes: tuple[str, ...]
    identity_types: frozenset[str]
    infra_types: frozenset[str]
    infra_datastores: frozenset[str]

    def project(self, tier: str) -> str:
        return f"{self.project_prefix}-{tier}"

    def tier_of(self, project: str) -> str:
        return project.removeprefix(f"{self.project_prefix}-")


CLOUDS = {
    "gcp": Cloud(
        project_prefix="tierguard",
        type_prefixes=("gcp:",),
        identity_types=frozenset({"gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"}),
        infra_types=frozenset({"gcp:container/cluster:Cluster", "gcp:sql/databaseInstance:DatabaseInstance"}),
        infra_datastores=frozenset(
            {
                "gcp:sql/databaseInstance:DatabaseInstance",
                "gcp:sql/database:Database",
                "gcp:storage/bucket:Bucket",
            }
        ),
    ),
    "aws": Cloud(
        project_prefix="tierguard-aws",
        type_prefixes=("aws:",),
        identity_types=frozenset(
            {
                "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
                "aws:iam/role:Role",
                "aws:iam/rolePolicy:RolePolicy",
            }
        ),
        infra_types=frozenset(
            {"aws:eks/cluster:Cluster", "aws:eks/accessEntry:AccessEntry", "aws:rds/cluster:Cluster"}
        ),
        infra_datastores=frozenset({"aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"}),
    ),
    "azure": Cloud(
        project_prefix="tierguard-azure",
        type_prefixes=("azure-native:",),
        identity_types=frozenset(
            {
                "azure-native:managedidentity:FederatedIdentityCredential",
                "azure-native:authorization:RoleAssignment",
            }
        ),
        infra_types=frozenset(
            {
                "azure-native:containerservice:ManagedCluster",
                "azure-native:dbforpostgresql:Server",
                "azure-native:authorization:ManagementLockByScope",
            }
        ),
        infra_datastores=frozenset(
            {
                "azure-native:dbforpostgresql:Server",
                "azure-native:storage:StorageAccount",
                "azure-native:storage:BlobContainer",
            }
        ),
    ),
}
CLOUD_DIRS = sorted(p.name for p in REFERENCE.iterdir() if p.is_dir())


def test_every_cloud_directory_is_described() -> None:
    """A new reference_stacks/<cloud>/ must say what its stacks promise, or none of this checks it."""
    assert sorted(CLOUDS) == CLOUD_DIRS
    for cloud in CLOUD_DIRS:
        tiers = sorted(p.name for p in (REFERENCE / cloud).iterdir() if (p / "Pulumi.yaml").is_file())
        assert tiers == sorted(DEPLOY_ORDER), cloud


@dataclass
class Estate:
    """One cloud's three stacks for one stack config, evaluated in deploy order."""

    cloud: str
    results: dict[str, Result]

    @property
    def spec(self) -> Cloud:
        return CLOUDS[self.cloud]

    def __getitem__(self, tier: str) -> Result:
        return self.results[tier]

    def values(self) -> Iterator[Result]:
        return iter(self.results.values())

    def items(self) -> Iterator[tuple[str, Result]]:
        return iter(self.results.items())


@pytest.fixture(scope="module", params=[(c, s) for c in CLOUD_DIRS for s in STACK_CONFIGS], ids="-".join)
def evaluated(request: pytest.FixtureRequest) -> Estate:
    """One cloud's stacks for one stack config, the three read in deploy order."""
    cloud, config = request.param
    spec = CLOUDS[cloud]
    stacks = load_stacks([REFERENCE / cloud / tier for tier in DEPLOY_ORDER], stack=config)
    assert [s.project for s in stacks] == [spec.project(t) for t in DEPLOY_ORDER]
    evaluator = Evaluator(all_packs())
    return Estate(cloud, {spec.tier_of(s.project): evaluator.evaluate(s) for s in stacks})


def _counted(stack: Stack) -> int:
    """Resources as the plan-size pack and the JSON report count them (the root stack excluded)."""
    return sum(1 for r in stack.resources if not r.is_stack)


# -- the packs --------------------------------------------------------------------------------------


def test_no_mandatory_finding(evaluated: Estate) -> None:
    blocking = [
        f"{r.stack.label}: {f.policy} ({f.enforcement_level}) on {f.urn}: {f.message}"
        for r in evaluated.values()
        for f in r.findings
        if f.blocking
    ]
    assert not blocking, "\n".join(blocking)


def test_every_advisory_finding_is_explained_in_the_readme(evaluated: Estate) -> None:
    """Issue 5: "each advisory finding left is explained in that stack's README"."""
    unexplained = []
    for tier, result in evaluated.items():
        readme = (REFERENCE / evaluated.cloud / tier / "README.md").read_text(encoding="utf-8")
        for finding in result.findings:
            if finding.enforcement_level == "advisory" and f"`{finding.policy}`" not in readme:
                unexplained.append(f"{result.stack.label}: {finding.policy}: {finding.message}")
    assert not unexplained, "advisory findings missing from the README:\n" + "\n".join(unexplained)


def test_stacks_are_read_with_their_resources(evaluated: Estate) -> None:
    """Guards the other assertions against passing on an empty capture."""
    types = {tier: {r.type for r in result.stack.resources} for tier, result in evaluated.items()}
    assert evaluated.spec.identity_types <= types["identity"]
    assert evaluated.spec.infra_types <= types["infra"]
    assert "kubernetes:apps/v1:Deployment" in types["app"]


# -- the tiers' own promises ------------------------------------------------------------------------


def test_every_infra_datastore_is_protected(evaluated: Estate) -> None:
    """The storage pack only advises `protect` outside prod; the reference sets it everywhere."""
    datastores = [r for r in evaluated["infra"].stack.resources if r.type in DATASTORE_TYPES]
    assert {r.type for r in datastores} >= evaluated.spec.infra_datastores
    assert [r.urn for r in datastores if not r.protect] == []


def test_app_stack_holds_no_cloud_resource(evaluated: Estate) -> None:
    app = evaluated["app"].stack.resources
    assert [r.type for r in app if r.type.startswith(evaluated.spec.type_prefixes)] == []
    assert [r.type for r in app if r.type in DATASTORE_TYPES] == []


def test_each_stack_is_within_its_resource_budget(evaluated: Estate) -> None:
    over = {t: _counted(r.stack) for t, r in evaluated.items() if _counted(r.stack) >= RESOURCE_BUDGET[t]}
    assert not over, f"over budget {RESOURCE_BUDGET}: {over}"


def _plan_size_limit(tier: str) -> int:
    """The default resource limit the plan-size pack applies to a stack of ``tier``."""
    limits: list[int] = []
    for policy in load_pack("plan-size").policies:
        for key, schema in rule_of(policy).config.items():
            default = schema.get("default")
            if isinstance(default, dict) and isinstance(default.get(tier), int):
                limits.append(default[tier])
            elif isinstance(default, int) and tier.lower() in key.lower():
                limits.append(default)
    assert limits, "the plan-size pack declares no per-tier resource limit default"
    return min(limits)


@pytest.mark.parametrize("tier", DEPLOY_ORDER)
def test_each_stack_is_under_the_plan_size_default(evaluated: Estate, tier: str) -> None:
    limit = _plan_size_limit(tier)
    assert _counted(evaluated[tier].stack) < limit
    assert not [f for f in evaluated[tier].findings if f.category == "plan-size"]


# -- the StackReference contract --------------------------------------------------------------------


def _references(tree: ast.Module, projects: list[str]) -> dict[str, str]:
    """Variables bound to ``pulumi.StackReference(...)`` -> the project their stack name names."""
    refs: dict[str, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        func = node.value.func
        if not (isinstance(func, ast.Attribute) and func.attr == "StackReference"):
            continue
        text = ast.unparse(node.value)
        named = [p for p in projects if f"/{p}/" in text]
        assert len(named) == 1, f"cannot tell which project {text} references"
        for target in node.targets:
            if isinstance(target, ast.Name):
                refs[target.id] = named[0]
    return refs


def _read_outputs(source: Path, spec: Cloud) -> Iterator[tuple[str, str, int]]:
    """(project, output name, line) for every ``ref.get_output("x")`` / ``ref.require_output("x")``."""
    tree = ast.parse(source.read_text(encoding="utf-8"), str(source))
    refs = _references(tree, [spec.project(t) for t in DEPLOY_ORDER])
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in ("get_output", "require_output", "get_output_details"):
            continue
        owner = node.func.value
        assert isinstance(owner, ast.Name) and owner.id in refs, f"{source}:{node.lineno}: unknown reference"
        name = node.args[0]
        assert isinstance(name, ast.Constant) and isinstance(name.value, str), (
            f"{source}:{node.lineno}: output names must be literals so the contract can be checked"
        )
        yield refs[owner.id], name.value, node.lineno


def _exports(evaluated: Estate, tier: str) -> dict[str, Any]:
    run = run_info(evaluated[tier].stack)
    assert run is not None, f"no offline run recorded for {tier}"
    return run.outputs


@pytest.mark.parametrize("reader", ["infra", "app"])
def test_every_referenced_output_is_exported(evaluated: Estate, reader: str) -> None:
    source = REFERENCE / evaluated.cloud / reader / "__main__.py"
    reads = list(_read_outputs(source, evaluated.spec))
    assert reads, f"{source} reads no StackReference output"
    missing = [
        f"{source.name}:{line}: {project} does not export {name!r}"
        for project, name, line in reads
        if name not in _exports(evaluated, evaluated.spec.tier_of(project))
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("reader", ["infra", "app"])
def test_references_name_the_stacks_of_the_same_config(evaluated: Estate, reader: str) -> None:
    """The org/project/stack each reader references (from its config) is the stack run before it."""
    result = evaluated[reader]
    names = [r.inputs.get("name") for r in result.stack.resources if r.type == STACK_REFERENCE]
    source = REFERENCE / evaluated.cloud / reader / "__main__.py"
    expected_projects = {project for project, _, _ in _read_outputs(source, evaluated.spec)}
    assert sorted(n.split("/")[1] for n in names) == sorted(expected_projects)
    for name in names:
        org, project, stack = name.split("/")
        assert org and stack == result.stack.stack, name
        assert DEPLOY_ORDER.index(evaluated.spec.tier_of(project)) < DEPLOY_ORDER.index(reader)
