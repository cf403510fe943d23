"""`tierguard config export` and ci/policy-groups/ (issue 7 §5): one generator, committed output in step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tierguard.cli import main
from tierguard.crossguard import policyconfig_export as gen
from tierguard.crossguard.packconfig import PackConfig
from tierguard.model.records import TIERS
from tierguard.policies.base import Rule, rule_of
from tierguard.policies.packs import PACK_MODULES, load_pack

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ROOT / "ci" / "policy-groups"
COMBINATIONS = [(tier, pack) for tier in TIERS for pack in PACK_MODULES]


def test_committed_policy_groups_match_the_generator() -> None:
    assert gen.drift(GROUPS) == [], "run: python -m tierguard.crossguard.policyconfig_export"
    assert sorted(p.relative_to(GROUPS).as_posix() for p in GROUPS.glob("*/*.json")) == sorted(
        f"{tier}/{pack}.json" for tier, pack in COMBINATIONS
    )


@pytest.mark.parametrize(("tier", "pack"), COMBINATIONS)
def test_exported_config_is_accepted_by_the_pack(tier: str, pack: str) -> None:
    """Reconciled as the CLI would: every key is a policy of the pack, every value fits its schema."""
    document = json.loads((GROUPS / tier / f"{pack}.json").read_text())
    the_pack = load_pack(pack)
    reconciled = PackConfig(entries=document, source=f"{tier}/{pack}.json").reconcile([the_pack])
    assert list(document) == [p.name for p in the_pack.policies]
    for policy in the_pack.policies:
        rule = rule_of(policy)
        got = reconciled[policy.name]
        assert got.enforcement_level == rule.enforcement
        assert set(got.properties) == set(document[policy.name]) - {"enforcementLevel"}
        if "tier" in rule.config:
            assert got.properties["tier"] == tier
        else:
            assert "tier" not in got.properties
        for prop, schema in rule.config.items():
            if "default" in schema:
                assert got.properties[prop] == schema["default"]


def test_entry_spells_out_every_property_and_pins_the_tier() -> None:
    rule = Rule(
        name="max-changes", title="Max changes", description="d", category="plan-size", severity="high",
        enforcement="mandatory", remediation="r",
        config={
            "tier": {"type": "string", "enum": list(TIERS)},
            "limits": {"type": "object", "default": {"identity": 5, "infra": 20, "app": 10}},
            "note": {"type": "string"},  # no default: left out, the policy falls back itself
        },
    )
    assert gen.policy_entry(rule, "identity") == {
        "enforcementLevel": "mandatory",
        "limits": {"identity": 5, "infra": 20, "app": 10},
        "tier": "identity",
    }


def test_plan_size_limits_per_tier_reach_the_config() -> None:
    """The per-tier limits the plan-size pack offers are in every tier's file, selected by the pinned tier."""
    for tier in TIERS:
        for name, entry in gen.export(tier, "plan-size").items():
            assert entry["tier"] == tier, name
            assert set(entry["limits"]) == set(TIERS), name


def test_cli_prints_the_committed_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "export", "--tier", "app", "--pack", "storage-protection"]) == 0
    assert capsys.readouterr().out == (GROUPS / "app" / "storage-protection.json").read_text()


def test_cli_writes_one_file(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "identity-iam.json"
    argv = ["config", "export", "--tier", "identity", "--pack", "least-privilege-iam", "--output", str(out)]
    assert main(argv) == 0
    assert out.read_text() == (GROUPS / "identity" / "least-privilege-iam.json").read_text()


def test_cli_all_regenerates_and_removes_stale_files(tmp_path: Path) -> None:
    stale = tmp_path / "app" / "retired-pack.json"
    stale.parent.mkdir()
    stale.write_text("{}")
    assert main(["config", "export", "--all", "--output-dir", str(tmp_path)]) == 0
    assert not stale.exists()
    assert gen.drift(tmp_path) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["config", "export", "--pack", "storage-protection"],
        ["config", "export", "--tier", "app"],
        ["config", "export", "--tier", "edge", "--pack", "storage-protection"],
        ["config", "export", "--tier", "app", "--pack", "no-such-pack"],
        ["config", "export", "--all"],
        ["config", "export", "--all", "--tier", "app", "--output-dir", "x"],
    ],
)
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().out == ""


def test_module_check_mode_reports_drift(tmp_path: Path) -> None:
    module = "tierguard.crossguard.policyconfig_export"
    command = [sys.executable, "-m", module, "--output-dir", str(tmp_path)]
    assert subprocess.run([*command, "--check"], capture_output=True).returncode == 1
    assert subprocess.run(command, capture_output=True).returncode == 0
    assert subprocess.run([*command, "--check"], capture_output=True).returncode == 0
    (tmp_path / "app" / "plan-size.json").write_text("{}\n")
    result = subprocess.run([*command, "--check"], capture_output=True, text=True)
    assert result.returncode == 1 and "app/plan-size.json" in result.stderr
