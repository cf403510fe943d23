"""`tierguard policies` and the README's policy tables generated from the same data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tierguard.cli import docs, main
from tierguard.cli.docs import plan_guard
from tierguard.model.records import CATEGORIES, ENGINE_CATEGORY, InputError
from tierguard.plan import rules as plan_rules
from tierguard.policies.base import SEVERITIES, Pack, Rule, resource_policy
from tierguard.policies.packs import PACK_MODULES, all_packs

README = Path(__file__).resolve().parents[1] / "README.md"

DEMO = Pack(
    "demo-pack",
    "Demo | with a pipe.",
    (
        resource_policy(
            Rule(
                name="demo-policy", title="Demo | title", description="Demo description.", category="iam",
                severity="high", enforcement="mandatory", remediation="Fix it.",
                references=("CIS GCP 1.6", "CKV_GCP_41"),
                config={"roles": {"type": "array", "default": ["roles/owner"]}, "allow": {"type": "array"}},
            ),
            lambda args, report: None,
        ),
    ),
    catalogs={"broad_roles": ("roles/owner", "roles/editor"), "spec": {"a": {1, 2}}},
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["policies", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lists_every_pack_policy_and_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert [p["name"] for p in doc["packs"]] == [*PACK_MODULES, "plan-guard"]
    for pack_doc, pack in zip(doc["packs"], [*all_packs(), plan_guard()], strict=True):
        assert pack_doc["description"] == pack.description
        assert isinstance(pack_doc["catalogs"], dict)
        assert [p["name"] for p in pack_doc["policies"]] == [r.name for r in pack.rules()]
        for policy in pack_doc["policies"]:
            # a pack policy carries one of the four categories; the plan guard's engine
            # diagnostics are the engine's own
            categories = (*CATEGORIES, ENGINE_CATEGORY) if pack.name == "plan-guard" else CATEGORIES
            assert policy["category"] in categories
            assert policy["severity"] in SEVERITIES
            assert policy["enforcementLevel"] in ("advisory", "mandatory", "remediate", "disabled")
            assert policy["remediation"], f"{policy['name']} has no remediation steps"
            assert policy["configSchema"]["type"] == "object"
            assert isinstance(policy["references"], list)


def test_the_plan_guard_is_described_from_its_own_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """`tierguard policies --pack plan-guard` lists the rules `tierguard plan` judges with, each
    described by the Rule its findings are built from."""
    code, out, _ = run(capsys, "--format", "json", "--pack", "plan-guard")
    assert code == 0
    [guard] = json.loads(out)["packs"]
    assert guard["name"] == plan_rules.PACK
    assert guard["policies"] == [rule.to_json() for rule in plan_rules.RULES.values()]
    assert guard["catalogs"]["tierThresholds"]["app"]["maxChanges"] == 30


def test_every_pack_documents_its_catalogs(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--format", "json")
    for pack_doc in json.loads(out)["packs"]:
        if pack_doc["name"] != "plan-size":  # plan rules decide from thresholds, not tables
            assert pack_doc["catalogs"], f"{pack_doc['name']} shows no catalog"


def test_pack_filter(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--format", "json", "--pack", "least-privilege-iam")
    assert code == 0
    assert [p["name"] for p in json.loads(out)["packs"]] == ["least-privilege-iam"]


def test_unknown_pack_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--pack", "no-such-pack")
    assert code == 2
    assert "no-such-pack" in err


def test_text_shows_a_table_per_pack(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 0
    for pack in all_packs():
        assert pack.name in out
        for rule in pack.rules():
            assert rule.name in out
            assert rule.severity in out
    assert "fix:" in out


def test_json_document_of_plain_python_catalogs() -> None:
    doc = docs.packs_document([DEMO])
    [pack] = doc["packs"]
    assert pack["catalogs"] == {"broad_roles": ["roles/owner", "roles/editor"], "spec": {"a": [1, 2]}}
    assert pack["policies"][0]["configSchema"]["properties"]["roles"]["default"] == ["roles/owner"]
    json.dumps(doc)  # JSON-ready


def test_markdown_table_per_pack() -> None:
    text = docs.policy_tables_markdown([DEMO])
    lines = text.splitlines()
    assert "### `demo-pack`" in lines
    assert "Demo \\| with a pipe." in lines
    row = next(line for line in lines if line.startswith("| `demo-policy`"))
    assert row == (
        '| `demo-policy` | Demo \\| title | iam | high | mandatory | `roles` = `["roles/owner"]`<br>`allow` '
        "| CIS GCP 1.6, CKV_GCP_41 |"
    )
    assert "`broad_roles` (2 entries)" in text


def test_update_readme_rewrites_only_the_marked_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{docs.BEGIN_MARKER}\nstale\n{docs.END_MARKER}\n\nafter\n")
    assert docs.update_readme(readme, [DEMO]) is True
    text = readme.read_text()
    assert text.startswith("# Title\n\nbefore\n\n<!-- BEGIN POLICY TABLES -->\n_Generated by")
    assert text.endswith("<!-- END POLICY TABLES -->\n\nafter\n")
    assert "stale" not in text and "| `demo-policy` |" in text
    assert docs.update_readme(readme, [DEMO]) is False


def test_readme_without_markers_is_a_one_line_error(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    with pytest.raises(InputError, match=r"python -m tierguard\.cli\.docs"):
        docs.update_readme(readme, [DEMO])
    assert docs.main([str(readme)]) == 2


def test_readme_policy_tables_match_the_generator() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = docs.readme_block(text, str(README))
    assert text[start:end] == docs.generated_block(), (
        "README.md's policy tables drifted from `tierguard policies`: run `python -m tierguard.cli.docs`"
    )
