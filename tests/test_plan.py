"""`tierguard plan`: plan rules, summary, config, exit codes and the JSON contract, over the genuine
and derived fixtures (tests/fixtures/SOURCES.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi_json import (
    CREATES,
    EVENTS,
    EXPORT,
    K8S_EVENTS,
    LARGE,
    PITFALL,
    PROTECTED,
    REPLACE,
    REPLACE_STEPS,
    UPDATE,
)

from tierguard.cli import main
from tierguard.model.records import InputError
from tierguard.plan.config import BUILTIN, PlanConfig, discover
from tierguard.plan.kinds import is_iam, is_storage
from tierguard.plan.rules import evaluate_plan
from tierguard.plan.summary import summary_markdown, summary_text
from tierguard.readers.detect import read_plan

# Packs that exist in every checkout; the plan rules do not depend on which packs run.
PACK = ["--pack", "least-privilege-iam"]


@pytest.fixture(autouse=True)
def _no_config_discovery(tmp_path, monkeypatch):
    """Run from an empty directory so a developer's own .tierguard.yaml cannot change results."""
    monkeypatch.chdir(tmp_path)


def plan_json(capsys, *args: str) -> tuple[int, dict]:
    rc = main(["plan", "--format", "json", *args])
    out = capsys.readouterr().out
    return rc, json.loads(out)


def judge(path: Path, tier: str | None = None, config: PlanConfig | None = None):
    stack, steps = read_plan(str(path))
    settings = (config or PlanConfig()).settings(stack, tier)
    return evaluate_plan(stack, steps, settings)


def policies(findings) -> list[str]:
    return sorted(f.policy for f in findings)


# -- each operation ---------------------------------------------------------------------------------


def test_update_only_genuine_preview_passes(capsys):
    rc, doc = plan_json(capsys, *PACK, str(PITFALL))
    assert rc == 0
    plan = doc["stacks"][0]["plan"]
    assert plan["counts"] == {"update": 1} and plan["changed"] == 1
    assert plan["tier"] == "default" and plan["blocked"] is False


def test_creates_count_without_stack_provider_or_components():
    findings, plan = judge(CREATES)
    # 16 create steps: the stack and one component are not counted
    assert plan["counts"] == {"create": 14}
    assert {e["type"] for e in plan["iam"]} == {
        "aws:iam/role:Role",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    }
    assert policies(findings) == []


def test_show_sames_counts_unchanged():
    _, plan = judge(UPDATE)
    # 15 sames: the stack and the component are not counted
    assert plan["changed"] == 1 and plan["unchanged"] == 13


def test_delete_create_update_in_one_plan():
    _, plan = judge(K8S_EVENTS)
    assert plan["counts"] == {"create": 1, "update": 1, "delete": 1}


# -- replacements -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [REPLACE, REPLACE_STEPS])
def test_storage_replace_is_mandatory_and_names_the_forcing_property(path):
    findings, plan = judge(path)
    assert plan["counts"] == {"create": 1, "replace": 1}
    destroy = [f for f in findings if f.policy == "plan-protected-destroy"]
    assert len(destroy) == 1
    f = destroy[0]
    assert (f.enforcement_level, f.category, f.pack) == ("mandatory", "deletion-protection", "plan-guard")
    assert "`location` (update-replace)" in f.message and "tested-resource" in f.message
    assert f.location is not None and (f.location.file, f.location.line) == ("__main__.py", 8)
    assert plan["risky"][0]["forcedBy"] == ["location"]


def test_sub_steps_do_not_change_the_verdict():
    assert judge(REPLACE)[1]["counts"] == judge(REPLACE_STEPS)[1]["counts"]
    assert policies(judge(REPLACE)[0]) == policies(judge(REPLACE_STEPS)[0])


def test_non_storage_replace_is_risky_but_not_blocked():
    findings, plan = judge(EVENTS)
    assert plan["counts"] == {"replace": 1}
    assert plan["risky"][0]["reasons"] == [] and plan["risky"][0]["forcedBy"] == ["userData"]
    assert policies(findings) == []


# -- protected / storage deletes and the engine's diagnostics --------------------------------------


def test_protected_storage_delete_and_engine_error(capsys):
    rc, doc = plan_json(capsys, *PACK, str(PROTECTED))
    assert rc == 1
    by_policy = {v["policy"]: v for v in doc["violations"]}
    destroy = by_policy["plan-protected-destroy"]
    assert "storage, protect: true" in destroy["message"]
    assert destroy["location"] == {"file": "__main__.py", "line": 14, "column": 5}
    engine = by_policy["pulumi-engine-error"]
    assert engine["category"] == "deletion-protection" and engine["enforcementLevel"] == "mandatory"
    assert "marked for protection" in engine["message"]
    assert engine["type"] == "gcp:sql/databaseInstance:DatabaseInstance"
    # the closing "preview failed" line adds nothing once the specific error is reported
    assert sum(1 for v in doc["violations"] if v["policy"] == "pulumi-engine-error") == 1


def test_retain_on_delete_pvc_delete_in_event_stream():
    findings, _ = judge(K8S_EVENTS)
    destroy = next(f for f in findings if f.policy == "plan-protected-destroy")
    assert "storage, retainOnDelete: true" in destroy.message
    warning = next(f for f in findings if f.policy == "pulumi-engine-warning")
    assert warning.kind == "note" and not warning.blocking


def test_protected_destroy_can_be_made_advisory(tmp_path):
    cfg = tmp_path / "t.yaml"
    cfg.write_text("plan:\n  defaults:\n    protectedDestroy: advisory\n")
    findings, _ = judge(REPLACE, config=PlanConfig.load(cfg))
    destroy = next(f for f in findings if f.policy == "plan-protected-destroy")
    assert destroy.enforcement_level == "advisory"


def test_engine_error_about_something_else_is_the_engines_own(tmp_path):
    """Not a plan-size finding (the plan's size is fine): the honest category is the engine's."""
    doc = json.loads(PITFALL.read_text())
    doc["diagnostics"] = [
        {"urn": doc["steps"][1]["urn"], "message": "error: provider crashed\n", "severity": "error"}
    ]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    findings, _ = judge(path)
    engine = next(f for f in findings if f.policy == "pulumi-engine-error")
    assert engine.category == "engine" and engine.blocking and engine.type == "aws:s3/bucket:Bucket"


# -- size limits and blast radius -------------------------------------------------------------------


def test_large_plan_over_the_app_limit_is_blocked(capsys):
    rc, doc = plan_json(capsys, *PACK, str(LARGE))
    assert rc == 1
    plan = doc["stacks"][0]["plan"]
    assert plan["tier"] == "app" and plan["tierSource"] == "stack tag"
    assert plan["changed"] == 44 and plan["thresholds"]["maxChanges"] == 30
    assert "plan-max-changes" in plan["blockedBy"]
    # 40 topics x 1 + 4 IAM members x 3
    assert plan["score"] == 52
    levels = {v["policy"]: v["enforcementLevel"] for v in doc["violations"]}
    assert levels["plan-max-changes"] == "mandatory" and levels["plan-blast-radius"] == "advisory"


def test_same_plan_under_the_infra_limit_passes():
    findings, plan = judge(LARGE, tier="infra")
    assert plan["thresholds"]["maxChanges"] == BUILTIN["infra"]["maxChanges"]
    assert policies(findings) == []


def test_blast_radius_block_threshold_from_config(tmp_path):
    cfg = tmp_path / ".tierguard.yaml"
    cfg.write_text("plan:\n  tiers:\n    app:\n      maxChanges: null\n      blockScore: 50\n")
    findings, _ = judge(LARGE, config=PlanConfig.load(cfg))
    blast = next(f for f in findings if f.policy == "plan-blast-radius")
    assert blast.blocking and "52" in blast.message and "50" in blast.message
    assert "plan-max-changes" not in policies(findings)


def test_max_deletes_and_replaces(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("plan:\n  defaults:\n    maxDeletes: 0\n    maxReplaces: 0\n")
    config = PlanConfig.load(cfg)
    assert "plan-max-deletes" in policies(judge(K8S_EVENTS, config=config)[0])
    assert "plan-max-replaces" in policies(judge(EVENTS, config=config)[0])


def test_weights_per_type_and_class(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "plan:\n  defaults:\n    opWeights: {replace: 10}\n"
        "    typeWeights: {'aws:ec2/instance:Instance': 4}\n"
    )
    assert judge(EVENTS, config=PlanConfig.load(cfg))[1]["score"] == 40


def test_stack_entry_sets_tier_and_overrides(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("plan:\n  stacks:\n    estate-app/prod: {tier: infra, maxChanges: 40}\n")
    findings, plan = judge(LARGE, config=PlanConfig.load(cfg))
    assert plan["tier"] == "infra" and plan["thresholds"]["maxChanges"] == 40
    assert "plan-max-changes" in policies(findings)


def test_tier_from_stack_tag(tmp_path):
    doc = json.loads(PITFALL.read_text())
    doc["config"]["pulumi:tags"] = json.dumps({"tier": "identity"})
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    _, plan = judge(path)
    assert (plan["tier"], plan["tierSource"]) == ("identity", "stack tag")


# -- IAM, secrets, unknowns -------------------------------------------------------------------------


def test_iam_changes_listed_separately_with_unknown_member():
    _, plan = judge(PROTECTED)
    assert [e["name"] for e in plan["iam"]] == ["orders-sql-client"]
    assert plan["iam"][0]["location"] == {"file": "__main__.py", "line": 40, "column": 1}


def test_secrets_never_reach_messages_or_summary(capsys):
    rc, doc = plan_json(capsys, *PACK, str(PROTECTED))
    assert rc == 1
    text = json.dumps(doc)
    # the secret placeholder of rootPassword / secretData never appears: values are not dumped
    assert "[secret]" not in text
    assert "POSTGRES_15" not in text and "db-custom-2-7680" not in text


def test_unknown_values_do_not_break_rules_or_packs(capsys):
    rc, doc = plan_json(capsys, *PACK, str(REPLACE))
    assert rc == 1  # the storage replace (and the public member), not a crash
    assert any(v["policy"] == "plan-protected-destroy" for v in doc["violations"])


def test_type_predicates():
    assert is_storage("gcp:sql/databaseInstance:DatabaseInstance")
    assert is_storage("gcp:oracledatabase/autonomousDatabase:AutonomousDatabase")
    assert not is_storage("gcp:pubsub/topic:Topic")
    assert is_storage(
        "kubernetes:apps/v1:StatefulSet",
        {"spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}}},
    )
    assert not is_storage("kubernetes:apps/v1:StatefulSet", {"spec": {}})
    assert is_storage("gcp:looker/instance:Instance", None, {"gcp:looker/instance:Instance"})
    assert is_iam("gcp:projects/iAMMember:IAMMember") and is_iam(
        "gcp:bigquery/datasetIamMember:DatasetIamMember"
    )
    assert is_iam("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding") and is_iam(
        "aws:iam/role:Role"
    )
    assert is_iam("gcp:serviceaccount/account:Account") and not is_iam("gcp:storage/bucket:Bucket")


# -- summary ----------------------------------------------------------------------------------------


def test_summary_text_puts_verdict_and_risky_first():
    _, plan = judge(PROTECTED)
    plan["blocked"], plan["blockedBy"] = True, ["plan-protected-destroy"]
    text = summary_text(plan)
    lines = text.splitlines()
    assert lines[0].startswith("Plan: 3 to change (1 create, 1 update, 1 delete)") and "BLOCKED" in lines[0]
    assert lines.index("Risky changes (1):") < lines.index("IAM changes (1):")
    assert "orders-db  [storage, protect: true]  __main__.py:14" in text
    assert len(lines) < 20


def test_summary_caps_long_lists():
    _, plan = judge(LARGE)
    plan["risky"] = [plan["iam"][0]] * 40
    text = summary_text(plan)
    assert "… and 25 more" in text


def test_summary_markdown():
    _, plan = judge(REPLACE)
    md = summary_markdown(plan)
    assert "| replace | `gcp:storage/bucket:Bucket` | tested-resource | [storage] forced by location |" in md
    assert "**IAM changes (1)**" in md


def test_text_format_shows_summary_and_findings(capsys):
    rc = main(["plan", *PACK, str(PROTECTED)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "Plan: 3 to change" in out and "plan-protected-destroy" in out and "FAILED" in out


# -- JSON contract, stdin, config discovery ---------------------------------------------------------


def test_json_contract_fields(capsys):
    rc, doc = plan_json(capsys, *PACK, str(K8S_EVENTS))
    assert rc == 1
    assert doc["resources"] == 2 and isinstance(doc["violations"], list)
    for v in doc["violations"]:
        assert {"policy", "pack", "category", "enforcementLevel", "urn", "type", "message"} <= set(v)
    plan = doc["stacks"][0]["plan"]
    for key in ("tier", "counts", "byType", "risky", "iam", "score", "thresholds", "blocked", "blockedBy"):
        assert key in plan
    assert plan["packs"] == ["least-privilege-iam"]
    assert "k8s-no-broad-role-binding" in plan["blockedBy"]  # pack findings share the one verdict


def test_plan_only_runs_no_pack(capsys):
    rc, doc = plan_json(capsys, "--plan-only", str(REPLACE))
    assert rc == 1
    assert {v["pack"] for v in doc["violations"]} == {"plan-guard"}


def test_stdin_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "tierguard", "plan", "--plan-only", "--format", "json", "-"],
        input=LARGE.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["stacks"][0]["source"] == "<stdin>"


def test_stdin_bad_input_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "tierguard", "plan", "--plan-only", "-"],
        input=b"",
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("tierguard: <stdin>: empty file") and proc.stdout == b""


def test_config_discovered_from_parent(tmp_path, monkeypatch, capsys):
    (tmp_path / ".tierguard.yaml").write_text(
        "plan:\n  tiers:\n    app: {maxChanges: 100, warnScore: null}\n"
    )
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert discover() == tmp_path / ".tierguard.yaml"
    rc, doc = plan_json(capsys, "--plan-only", str(LARGE))
    assert rc == 0
    assert doc["stacks"][0]["plan"]["configFile"] == str(tmp_path / ".tierguard.yaml")


def test_stack_flag_must_match(capsys):
    assert main(["plan", "--plan-only", "--stack", "prod", str(PITFALL)]) == 2
    assert "not 'prod'" in capsys.readouterr().err
    rc, _ = plan_json(capsys, "--plan-only", "--stack", "dev", str(EVENTS))
    assert rc == 0


# -- bad input: exit 2, one line, nothing on stdout -------------------------------------------------


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty": "",
        "truncated": PITFALL.read_text()[:3000],
        "export": EXPORT.read_text(),
        "no-steps": json.dumps({k: v for k, v in json.loads(PITFALL.read_text()).items() if k != "steps"}),
        "unknown": json.dumps({"resources": []}),
    }
    out = {}
    for name, text in files.items():
        out[name] = tmp_path / f"{name}.json"
        out[name].write_text(text)
    return out


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("empty", "empty file"),
        ("truncated", "truncated JSON"),
        ("export", "not a plan"),
        ("no-steps", "no steps"),
        ("unknown", "unknown kind"),
    ],
)
def test_bad_input_exits_2(tmp_path, capsys, case, problem):
    path = _bad_files(tmp_path)[case]
    assert main(["plan", *PACK, str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"tierguard: {path}: ") and problem in captured.err
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("plan:\n  defaults:\n    maxChanges: -1\n", "plan config plan.defaults.maxChanges"),
        ("plan:\n  tiers:\n    web: {}\n", "plan config plan.tiers"),
        ("plan:\n  defaults: {maxChange: 3}\n", "Additional properties"),
        ("plan: [\n", "invalid YAML at line"),
    ],
)
def test_bad_plan_config_exits_2(tmp_path, capsys, text, problem):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    assert main(["plan", "--plan-only", "--config", str(cfg), str(PITFALL)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tierguard: {cfg}: ") and problem in err


def test_plan_config_load_errors_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="cannot read plan config"):
        PlanConfig.load(tmp_path / "missing.yaml")


def test_sarif_describes_every_plan_rule_from_its_rule(capsys):
    """The plan rules are Rules: SARIF lists each one the plan was judged by (title, help,
    category) whether it fired or not, and every finding names its own rule."""
    from tierguard.plan.rules import RULES

    rc = main(["plan", "--plan-only", "--format", "sarif", str(PROTECTED)])
    assert rc == 1
    run = json.loads(capsys.readouterr().out)["runs"][0]
    described = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(described) == set(RULES)  # --plan-only: no pack ran, so no pack's rules
    for name, rule in RULES.items():
        assert described[name]["shortDescription"]["text"] == rule.title
        assert described[name]["properties"]["tags"][0] == rule.category
    fired = {r["ruleId"] for r in run["results"]}
    assert {"plan-protected-destroy", "pulumi-engine-error"} <= fired
    for res in run["results"]:
        assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
