"""Users' packs built with ``tierguard.PolicyPack`` honour exemptions as the built-in packs do (issue 25
item 5): stack config and policy config, expiry, stale notes, secrets -- loaded in-process and in the
pack's own virtualenv (served by tierguard's servicer over the analyzer protocol) with the same
reports; a plain ``pulumi_policy.PolicyPack`` stays unaffected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pulumi_policy
import pytest
import yaml
from venvs import make_venv

import tierguard
from tierguard.cli import main
from tierguard.crossguard.userpack import PolicyPack
from tierguard.evaluate.userpack import load_policy_pack
from tierguard.policies.base import honours_exemptions, rule_of
from tierguard.policies.exemptions import CLOCK_ENV, CONFIG_PROPERTIES, STACK_KEY

FIXTURES = Path(__file__).parent / "fixtures"
PACK = FIXTURES / "packs" / "user" / "exempting"
PROGRAM = FIXTURES / "programs" / "exempt-bucket"
SECRET = "reason-hunter2-plaintext"


def _item(**over: str) -> dict:
    return {"resource": "media", "reason": "EU data stays put until OPS-7", "expires": "2026-12-20", **over}


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CLOCK_ENV, "2026-12-01")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """exempt-bucket with its stack-config exemption moved to the user's policy bucket-team-label."""
    dest = tmp_path / "exempt-bucket"
    shutil.copytree(PROGRAM, dest)
    file = dest / "Pulumi.dev.yaml"
    doc = yaml.safe_load(file.read_text())
    doc["config"][STACK_KEY][0]["policy"] = "bucket-team-label"
    file.write_text(yaml.safe_dump(doc, sort_keys=False))
    return dest


def _pack(tmp_path: Path, route: str, plain: bool = False) -> Path:
    pack = tmp_path / f"pack-{route}"
    shutil.copytree(PACK, pack)
    if plain:
        main_py = pack / "__main__.py"
        main_py.write_text(main_py.read_text().replace("from tierguard import PolicyPack",
                                                       "from pulumi_policy import PolicyPack"))
    if route == "venv":  # its own virtualenv, which can import tierguard (as `pip install tierguard` gives)
        make_venv(pack / "venv")
    return pack


def _check(capsys, project: Path, pack: Path, config: dict | None = None, fmt: str = "json"):
    args = ["check", str(project), "--stack", "dev", "--policy-pack", str(pack), "--format", fmt]
    if config is not None:
        file = pack.parent / f"{pack.name}.json"
        file.write_text(json.dumps(config))
        args += ["--policy-pack-config", str(file)]
    code = main(args)
    out = capsys.readouterr().out
    return code, (json.loads(out) if fmt == "json" else out)


def _shown(doc: dict) -> tuple[set, set, set]:
    """(policy, resource name, level) of the violations, the notes, and the exempted findings (with entry)."""
    def name(urn: str) -> str:
        return urn.rsplit("::", 1)[-1] if urn else ""

    return (
        {(v["policy"], name(v["urn"]), v["enforcementLevel"]) for v in doc["violations"]},
        {(n["policy"], name(n["urn"]), n["message"].split("\n")[1][:40]) for n in doc["notes"]},
        {(e["policy"], name(e["urn"]), e["enforcementLevel"], e["exemption"]["entry"])
         for e in doc["exempted"]},
    )


ROUTES = ["in-process", "venv"]


def test_the_drop_in_is_a_pulumi_policy_pack_exported_from_the_package() -> None:
    assert tierguard.PolicyPack is PolicyPack and issubclass(PolicyPack, pulumi_policy.PolicyPack)
    pack = load_policy_pack(PACK)
    assert all(honours_exemptions(p) for p in pack.policies)
    location = next(p for p in pack.policies if p.name == "bucket-location")
    # the exemption schema is in the config schema (the CLI checks it) but not the policy's own config
    assert location.config_schema.properties == {**CONFIG_PROPERTIES, "allowed": {"type": "array"}}
    assert rule_of(location).config == {"allowed": {"type": "array"}}
    # categories stay as for any user policy: a tierguard category it is tagged with, else the pack's name
    assert {p.name: rule_of(p).category for p in pack.policies} == {
        "bucket-team-label": "deletion-protection",
        "bucket-location": "acme-buckets",
        "bucket-review": "acme-buckets",
    }


@pytest.mark.parametrize("route", ROUTES)
def test_stack_and_policy_config_exemptions(capsys, tmp_path: Path, project: Path, route: str) -> None:
    pack = _pack(tmp_path, route)
    config = {
        "bucket-location": {"allowed": ["US"], "exemptions": [_item()]},
        "all": {"enforcementLevel": "mandatory", "exemptions": [_item(policy="bucket-review", resource="*")]},
    }
    code, doc = _check(capsys, project, pack, config)
    assert code == 0, doc
    violations, notes, exempted = _shown(doc)
    assert violations == set() and notes == set()
    assert exempted == {
        ("bucket-team-label", "media", "mandatory", "tierguard:exemptions[0]"),
        ("bucket-location", "media", "mandatory", "bucket-location.exemptions[0]"),
        ("bucket-review", "", "mandatory", "all.exemptions[0]"),
    }
    by_policy = {e["policy"]: e for e in doc["exempted"]}
    assert by_policy["bucket-team-label"]["exemption"]["source"] == "stack"
    assert by_policy["bucket-team-label"]["exemption"]["file"].endswith("Pulumi.dev.yaml")
    assert by_policy["bucket-location"]["exemption"]["file"] == str(pack.parent / f"{pack.name}.json")
    assert by_policy["bucket-location"]["message"] == (
        "Buckets stay in allowed places.\nlocation EUROPE-WEST1 is not allowed"
    )
    # the same reports as the built-in packs': SARIF suppressions, the text summary
    _, sarif = _check(capsys, project, pack, config, fmt="sarif")
    results = json.loads(sarif)["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results if r.get("suppressions")) == [
        "bucket-location", "bucket-review", "bucket-team-label"]
    _, text = _check(capsys, project, pack, config, fmt="text")
    assert "3 exempted" in text.strip().splitlines()[-1]


@pytest.mark.parametrize("route", ROUTES)
def test_expired_blocks_again_and_stale_is_a_note(capsys, tmp_path, project, monkeypatch, route) -> None:
    monkeypatch.setenv(CLOCK_ENV, "2027-01-05")  # the stack's exemption expired on 2026-12-31
    pack = _pack(tmp_path, route)
    config = {"bucket-location": {"exemptions": [_item(resource="gone-bucket", expires="2027-02-01")]}}
    code, doc = _check(capsys, project, pack, config)
    assert code == 1
    violations, notes, exempted = _shown(doc)
    assert exempted == set()
    assert ("bucket-team-label", "media", "mandatory") in violations
    [label] = [v for v in doc["violations"] if v["policy"] == "bucket-team-label"]
    assert "exemption tierguard:exemptions[0] (bucket-team-label on media) expired on 2026-12-31" in (
        label["message"])
    root = "media-infra-dev"
    # the exemption that matches nothing is stale; the expired one still names its finding
    assert notes == {("bucket-location", root, "stale exemption bucket-location.exemptio")}
    assert all(n["kind"] == "note" and n["enforcementLevel"] == "advisory" for n in doc["notes"])


@pytest.mark.parametrize("route", ROUTES)
def test_a_secret_reason_is_never_printed(capsys, tmp_path, project, route) -> None:
    pack = _pack(tmp_path, route)
    file = project / "Pulumi.dev.yaml"
    doc = yaml.safe_load(file.read_text())
    doc["config"][STACK_KEY][0]["reason"] = {"secure": "v1:5yv7Jd1kWxYq:Zm9vYmFyLXNlY3JldC1yZWFzb24="}
    file.write_text(yaml.safe_dump(doc, sort_keys=False))
    for fmt in ("json", "sarif", "junit", "text", "markdown", "compact", "github"):
        code, out = _check(capsys, project, pack, fmt=fmt)
        text = json.dumps(out) if isinstance(out, dict) else out
        assert code == 1, fmt  # bucket-review's finding stands (mandatory by the pack's level)
        assert "Zm9vYmFy" not in text and SECRET not in text, fmt
    _, report = _check(capsys, project, pack)
    [ex] = report["exempted"]
    assert ex["exemption"]["reason"] == "[secret]" and ex["exemption"]["approvedBy"] == "[secret]"


@pytest.mark.parametrize("route", ROUTES)
def test_a_plain_pulumi_policy_pack_is_unaffected(capsys, tmp_path, project, route) -> None:
    pack = _pack(tmp_path, route, plain=True)
    code, doc = _check(capsys, project, pack, {"bucket-location": {"exemptions": [_item()]}})
    assert code == 1
    violations, notes, exempted = _shown(doc)
    # neither its stack-config nor its policy-config exemption is read: the findings stand, as under the CLI
    assert exempted == set() and notes == set()
    stand = {("bucket-team-label", "media", "mandatory"), ("bucket-location", "media", "mandatory")}
    assert stand <= violations
    assert not any(honours_exemptions(p) for p in load_policy_pack(pack).policies)


def test_all_exemptions_in_two_config_files_are_refused(capsys, tmp_path, project) -> None:
    # under the CLI each file's `all` reaches only its own pack; tierguard reads one list: exit 2, one line
    first, second = _pack(tmp_path, "first"), _pack(tmp_path, "second")
    main_py = second / "__main__.py"
    main_py.write_text(main_py.read_text().replace('name="acme-buckets"', 'name="acme-buckets-too"'))
    args = ["check", str(project), "-s", "dev"]
    for pack in (first, second):
        file = tmp_path / f"{pack.name}.json"
        file.write_text(json.dumps({"all": {"enforcementLevel": "advisory", "exemptions": [_item()]}}))
        args += ["--policy-pack", str(pack), "--policy-pack-config", str(file)]
    assert main(args) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "pack-second.json" in line and "exemption settings under `all` in two policy config files" in line
