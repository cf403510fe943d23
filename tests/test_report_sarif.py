"""SARIF reporter: schema-valid, located where GitHub code scanning can annotate, stable fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tierguard.model import wire
from tierguard.model.records import Finding, Location, Resource, Result, Stack
from tierguard.policies.base import Pack, Rule, resource_policy
from tierguard.report import sarif

SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json").read_text())

DATASTORE_RULE = Rule(
    name="no-datastore-in-app-tier",
    title="No datastore in an app stack",
    description="Datastores live in the infra tier.",
    category="tier-boundary",
    severity="high",
    enforcement="mandatory",
    remediation="Move the database to the infra stack and read its connection name through a StackReference.",
    references=("CIS GCP 6.2", "CKV_GCP_6"),
    config={"tier": {"type": "string", "default": "app"}},
)
LABELS_RULE = Rule(
    name="labels-required",
    title="Resources carry labels",
    description="Labels make cost and ownership visible.",
    category="iam",
    severity="low",
    enforcement="advisory",
    remediation="Add `labels`.",
)
DISABLED_RULE = Rule(
    name="optional-check",
    title="Optional",
    description="Off unless enabled.",
    category="plan-size",
    severity="critical",
    enforcement="disabled",
    remediation="",
)
PACK = Pack(
    "demo-pack",
    "Demo policies for reporter tests.",
    tuple(
        resource_policy(rule, lambda args, report: None)
        for rule in (DATASTORE_RULE, LABELS_RULE, DISABLED_RULE)
    ),
)
URN_DB = "urn:pulumi:dev::shop-app::gcp:sql/databaseInstance:DatabaseInstance::orders"
URN_CM = "urn:pulumi:dev::shop-app::kubernetes:core/v1:ConfigMap::settings"


def finding(rule: Rule, urn: str = URN_DB, line: int | None = 12, **kw) -> Finding:
    fields = {
        "policy": rule.name,
        "pack": "demo-pack",
        "category": rule.category,
        "severity": rule.severity,
        "enforcement_level": rule.enforcement,
        "message": f"{rule.description}\nthe resource breaks {rule.name}",
        "urn": urn,
        "type": urn.split("::")[2] if urn else "",
        "location": Location("__main__.py", line) if line is not None else None,
        "stack": "shop-app/dev",
    }
    fields.update(kw)
    return Finding(**fields)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository root (the working directory in CI) holding one program stack."""
    project = tmp_path / "stacks" / "shop app"
    project.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: shop-app\nruntime: python\n")
    (project / "__main__.py").write_text("import pulumi\n" * 20)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def program_stack(resources: list[Resource] | None = None) -> Stack:
    return Stack(
        project="shop-app",
        stack="dev",
        resources=resources or [],
        kind="program",
        source="stacks/shop app",
        project_file="stacks/shop app/Pulumi.yaml",
    )


def judged_by_pack(results: list[Result]) -> list[Result]:
    """The results as the evaluator returns them after running PACK: carrying its rules."""
    for r in results:
        r.rules = {rule.name: ("demo-pack", rule) for rule in PACK.rules()}
    return results


def sarif_doc(results: list[Result]) -> dict:
    return json.loads(sarif.render(judged_by_pack(results)))


def test_output_validates_against_the_sarif_2_1_0_schema(repo: Path) -> None:
    results = [
        Result(
            program_stack(),
            [
                finding(DATASTORE_RULE),
                finding(LABELS_RULE, urn=URN_CM, line=None),
                finding(LABELS_RULE, urn="", line=None, kind="note", message="can't run during preview"),
            ],
        )
    ]
    doc = sarif_doc(results)
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=checker)
    errors = sorted(validator.iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert doc["version"] == "2.1.0"
    assert doc["runs"][0]["tool"]["driver"]["name"] == "tierguard"


def test_schema_validation_catches_a_broken_document(repo: Path) -> None:
    """Guard the guard: the copied schema really rejects what GitHub would reject."""
    doc = sarif_doc([Result(program_stack(), [finding(DATASTORE_RULE)])])
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert not jsonschema.Draft4Validator(SCHEMA).is_valid(doc)


def test_located_finding_points_at_the_program_line_relative_to_the_repository(repo: Path) -> None:
    doc = sarif_doc([Result(program_stack(), [finding(DATASTORE_RULE, line=12)])])
    location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "stacks/shop%20app/__main__.py"
    assert location["region"] == {"startLine": 12}


def test_unlocated_finding_is_anchored_at_the_stacks_pulumi_yaml(repo: Path) -> None:
    doc = sarif_doc([Result(program_stack(), [finding(DATASTORE_RULE, urn="", line=None)])])
    location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "stacks/shop%20app/Pulumi.yaml"
    assert location["region"]["startLine"] == 1


def test_unlocated_preview_finding_is_anchored_at_the_preview_file(repo: Path) -> None:
    (repo / "out").mkdir()
    (repo / "out" / "preview.json").write_text("{}")
    st = Stack(project="shop-app", stack="dev", resources=[], kind="preview", source="out/preview.json")
    doc = sarif_doc([Result(st, [finding(DATASTORE_RULE, line=None)])])
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "out/preview.json"


def test_file_outside_the_working_directory_gets_an_absolute_file_uri(repo: Path, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "main.py"
    elsewhere.write_text("x = 1\n")
    located = finding(DATASTORE_RULE, location=Location(str(elsewhere), 1))
    doc = sarif_doc([Result(program_stack(), [located])])
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == elsewhere.resolve().as_uri()


def test_levels_follow_enforcement(repo: Path) -> None:
    results = [
        Result(
            program_stack(),
            [
                finding(DATASTORE_RULE),
                finding(LABELS_RULE, urn=URN_CM),
                finding(LABELS_RULE, urn=URN_DB, kind="note", message="can't run policy 'labels-required'"),
            ],
        )
    ]
    sarif_results = sarif_doc(results)["runs"][0]["results"]
    levels = {(r["ruleId"], r["properties"]["kind"]): r["level"] for r in sarif_results}
    assert levels == {
        ("no-datastore-in-app-tier", "violation"): "error",
        ("labels-required", "violation"): "warning",
        ("labels-required", "note"): "note",
    }


def test_one_rule_per_policy_with_its_metadata(repo: Path) -> None:
    doc = sarif_doc([Result(program_stack(), [finding(DATASTORE_RULE)])])
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {"no-datastore-in-app-tier", "labels-required", "optional-check"}
    db = rules["no-datastore-in-app-tier"]
    assert db["shortDescription"]["text"] == "No datastore in an app stack"
    assert db["fullDescription"]["text"] == "Datastores live in the infra tier."
    assert db["help"]["text"] == DATASTORE_RULE.remediation
    assert "StackReference" in db["help"]["markdown"] and "CIS GCP 6.2" in db["help"]["markdown"]
    assert db["properties"]["tags"] == ["tier-boundary", "security"]
    assert db["properties"]["security-severity"] == "7.5"
    assert db["properties"]["precision"] == "very-high"
    assert db["defaultConfiguration"] == {"level": "error"}
    assert rules["labels-required"]["properties"]["security-severity"] == "3.0"
    assert rules["labels-required"]["defaultConfiguration"] == {"level": "warning"}
    assert rules["optional-check"]["defaultConfiguration"] == {"level": "none", "enabled": False}
    assert rules["optional-check"]["properties"]["security-severity"] == "9.5"
    # results point at their rule by index too
    result = doc["runs"][0]["results"][0]
    assert doc["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_a_policy_only_seen_in_findings_still_gets_a_rule(repo: Path) -> None:
    plan_finding = finding(
        DATASTORE_RULE, policy="max-changed-resources", pack="plan-size", category="plan-size",
        message="Plans stay reviewable.\n42 changes > 30", urn="", line=None,
    )
    doc = sarif_doc([Result(program_stack(), [plan_finding])])
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["max-changed-resources"]["fullDescription"]["text"] == "Plans stay reviewable."
    assert rules["max-changed-resources"]["properties"]["tags"] == ["plan-size", "security"]
    assert jsonschema.Draft4Validator(SCHEMA).is_valid(doc)


def test_result_properties_and_message(repo: Path) -> None:
    result = sarif_doc([Result(program_stack(), [finding(DATASTORE_RULE)])])["runs"][0]["results"][0]
    assert result["properties"] == {
        "urn": URN_DB,
        "type": "gcp:sql/databaseInstance:DatabaseInstance",
        "pack": "demo-pack",
        "stack": "shop-app/dev",
        "category": "tier-boundary",
        "severity": "high",
        "enforcementLevel": "mandatory",
        "kind": "violation",
    }
    assert result["message"]["text"] == (
        "the resource breaks no-datastore-in-app-tier "
        "[orders (gcp:sql/databaseInstance:DatabaseInstance) in shop-app/dev]"
    )


def test_fingerprints_survive_line_moves_and_tell_resources_apart(repo: Path) -> None:
    def prints(*findings: Finding) -> list[str]:
        doc = sarif_doc([Result(program_stack(), list(findings))])
        return [r["partialFingerprints"]["primaryLocationLineHash"] for r in doc["runs"][0]["results"]]

    assert prints(finding(DATASTORE_RULE, line=12)) == prints(finding(DATASTORE_RULE, line=40))
    assert prints(finding(DATASTORE_RULE)) != prints(finding(DATASTORE_RULE, urn=URN_CM))
    # one policy reporting one resource twice keeps two alerts
    twice = prints(finding(DATASTORE_RULE, message="a\nfirst"), finding(DATASTORE_RULE, message="a\nsecond"))
    assert len(set(twice)) == 2


def test_resource_inputs_never_reach_the_report(repo: Path) -> None:
    db = Resource(
        urn=URN_DB, type="gcp:sql/databaseInstance:DatabaseInstance", name="orders",
        inputs={"rootPassword": wire.secret("hunter2-s3cret"), "settings": {"tier": "db-custom-1-3840"}},
    )
    text = sarif.render(judged_by_pack([Result(program_stack([db]), [finding(DATASTORE_RULE)])]))
    assert "hunter2-s3cret" not in text and "db-custom-1-3840" not in text


def test_several_stacks_share_one_run(repo: Path) -> None:
    other = Stack(project="shop-app", stack="prod", resources=[], kind="program", source="stacks/shop app")
    doc = sarif_doc(
        [
            Result(program_stack(), [finding(DATASTORE_RULE)]),
            Result(other, [finding(DATASTORE_RULE, line=None)]),
        ]
    )
    assert len(doc["runs"]) == 1
    stacks = [r["properties"]["stack"] for r in doc["runs"][0]["results"]]
    assert stacks == ["shop-app/dev", "shop-app/prod"]
    fps = {r["partialFingerprints"]["primaryLocationLineHash"] for r in doc["runs"][0]["results"]}
    assert len(fps) == 2
