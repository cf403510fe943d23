"""Issue 24 item 4: for each cloud, the mistakes teams commonly make to a reference stack — a role
gains broad rights, the database loses its deletion guards, the app stack gains a database — are
each refused by the policy that guards them (and the unmutated stack passes: tests/test_reference_stacks.py).

A mutation is a textual edit to a copy of the cloud's three stacks, so each row reads like the
diff a reviewer would see."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tierguard.evaluate.evaluator import Evaluator
from tierguard.policies.packs import all_packs
from tierguard.readers import load_stacks

REFERENCE = Path(__file__).resolve().parents[1] / "reference_stacks"
TIERS = ("identity", "infra", "app")


@dataclass(frozen=True)
class Mutation:
    """Replace ``old`` (present exactly once) by ``new`` in ``reference_stacks/<cloud>/<tier>/__main__.py``
    (``old=""`` appends ``new``); ``policy`` must then report a mandatory finding on that stack."""

    cloud: str
    tier: str
    what: str
    old: str
    new: str
    policy: str


MUTATIONS = [
    Mutation(
        "gcp",
        "identity",
        "the app pipeline's viewer grant becomes roles/editor",
        '("app-ci-cluster-viewer", "roles/container.clusterViewer",',
        '("app-ci-cluster-viewer", "roles/editor",',
        "gcp-no-basic-roles",
    ),
    Mutation(
        "gcp",
        "infra",
        "the Cloud SQL instance loses its deletion protection",
        '    database_version="POSTGRES_16",\n    deletion_protection=True,\n',
        '    database_version="POSTGRES_16",\n    deletion_protection=False,\n',
        "storage-deletion-guards",
    ),
    Mutation(
        "gcp",
        "app",
        "the app stack gains a Cloud SQL instance",
        "",
        "\nimport pulumi_gcp as gcp\n\n"
        'gcp.sql.DatabaseInstance("orders", database_version="POSTGRES_16", deletion_protection=True,'
        ' settings={"tier": "db-f1-micro"})\n',
        "no-datastore-in-app-tier",
    ),
    Mutation(
        "aws",
        "identity",
        "the app pipeline's policy becomes every action on every resource",
        'APP_CI = document(statement(["eks:DescribeCluster"], [CLUSTER_ARN]))',
        'APP_CI = document(statement(["*"], "*"))',
        "aws-iam-no-wildcard-actions",
    ),
    Mutation(
        "aws",
        "infra",
        "the Aurora cluster loses its deletion protection",
        "    copy_tags_to_snapshot=True,\n    deletion_protection=True,\n",
        "    copy_tags_to_snapshot=True,\n    deletion_protection=False,\n",
        "storage-deletion-guards",
    ),
    Mutation(
        "aws",
        "app",
        "the app stack gains a DynamoDB table",
        "",
        "\nimport pulumi_aws as aws\n\n"
        'aws.dynamodb.Table("orders", hash_key="id", billing_mode="PAY_PER_REQUEST",'
        ' attributes=[{"name": "id", "type": "S"}], deletion_protection_enabled=True)\n',
        "no-datastore-in-app-tier",
    ),
    Mutation(
        "azure",
        "identity",
        "the infra deployer custom role gains `*` actions",
        '"Microsoft.DBforPostgreSQL/flexibleServers/*",',
        '"*",',
        "azure-no-wildcard-custom-roles",
    ),
    Mutation(
        "azure",
        "infra",
        "the PostgreSQL server's CanNotDelete lock is deleted",
        'azure.authorization.ManagementLockByScope(\n    "postgres-lock",\n    scope=server.id,\n'
        '    lock_name="do-not-delete",\n    level="CanNotDelete",\n'
        '    notes="Holds the applications\' data: remove this lock deliberately to delete the '
        'server.",\n)\n',
        "",
        "azure-storage-delete-lock",
    ),
    Mutation(
        "azure",
        "app",
        "the app stack gains a Cosmos DB account",
        "",
        "\nimport pulumi_azure_native as azure\n\n"
        'azure.cosmosdb.DatabaseAccount("orders", resource_group_name="rg-shop",'
        ' database_account_offer_type="Standard",'
        ' locations=[{"location_name": "westeurope", "failover_priority": 0}])\n',
        "no-datastore-in-app-tier",
    ),
]


def _mutated(tmp_path: Path, m: Mutation) -> Path:
    estate = tmp_path / m.cloud
    shutil.copytree(REFERENCE / m.cloud, estate, ignore=shutil.ignore_patterns("__pycache__", "*.md"))
    program = estate / m.tier / "__main__.py"
    source = program.read_text(encoding="utf-8")
    if m.old:
        assert source.count(m.old) == 1, f"{program}: the text to mutate is not there exactly once"
        program.write_text(source.replace(m.old, m.new), encoding="utf-8")
    else:
        program.write_text(source + m.new, encoding="utf-8")
    return estate


@pytest.mark.parametrize("m", MUTATIONS, ids=lambda m: f"{m.cloud}-{m.tier}")
def test_a_common_mistake_is_refused_by_its_policy(tmp_path: Path, m: Mutation) -> None:
    estate = _mutated(tmp_path, m)
    stacks = load_stacks([estate / tier for tier in TIERS], stack="dev")
    mutated = next(s for s in stacks if s.source and Path(s.source).name == m.tier)
    result = Evaluator(all_packs()).evaluate(mutated)
    fired = {(f.policy, f.enforcement_level) for f in result.findings}
    assert (m.policy, "mandatory") in fired, f"{m.what}: {sorted(fired)}"


def test_every_cloud_has_a_mutation_per_tier() -> None:
    clouds = sorted(p.name for p in REFERENCE.iterdir() if p.is_dir())
    assert sorted({(m.cloud, m.tier) for m in MUTATIONS}) == [(c, t) for c in clouds for t in sorted(TIERS)]
