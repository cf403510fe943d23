"""`--policy-pack DIR` on check and plan, `tierguard policies --policy-pack`, and bad packs (exit 2,
one line naming the pack)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tierguard.cli import main

USER = Path(__file__).parent / "fixtures" / "packs" / "user"
GCP = USER / "gcp-python"
K8S = USER / "k8s-python"
PROJECT = "shop"
ROOT = f"urn:pulumi:dev::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-dev"


def _state(type_: str, name: str, inputs: dict, **extra) -> dict:
    urn = f"urn:pulumi:dev::{PROJECT}::{type_}::{name}"
    return {
        "urn": urn,
        "type": type_,
        "custom": True,
        "inputs": inputs,
        "outputs": inputs,
        "parent": ROOT,
        **extra,
    }


def _export(tmp_path: Path) -> Path:
    doc = {
        "version": 3,
        "deployment": {
            "manifest": {},
            "resources": [
                {"urn": ROOT, "type": "pulumi:pulumi:Stack", "custom": False, "outputs": {"bucket": "b"}},
                _state("gcp:storage/bucket:Bucket", "open", {"location": "US", "forceDestroy": True}),
                _state(
                    "gcp:storage/bucket:Bucket",
                    "good",
                    {"location": "EU", "uniformBucketLevelAccess": True},
                    protect=True,
                ),
            ],
        },
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    return path


def _json(capsys, *args: str) -> tuple[int, dict]:
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_check_runs_only_my_pack(tmp_path, capsys) -> None:
    code, doc = _json(capsys, "check", str(_export(tmp_path)), "--policy-pack", str(GCP))
    assert code == 1  # the pack's own MANDATORY level blocks
    assert {v["pack"] for v in doc["violations"]} == {"gcp-python"}
    assert sorted((v["policy"], v["urn"].rsplit("::", 1)[1]) for v in doc["violations"]) == [
        ("gcp-allowed-regions", "open"),
        ("gcp-bucket-no-force-destroy", "open"),
        ("gcp-bucket-uniform-access", "open"),
    ]
    assert {v["category"] for v in doc["violations"]} == {"gcp-python"}


def test_check_my_pack_beside_built_in_ones(tmp_path, capsys) -> None:
    _, doc = _json(
        capsys, "check", str(_export(tmp_path)), "--policy-pack", str(GCP), "--pack", "storage-protection"
    )
    assert {v["pack"] for v in doc["violations"]} == {"gcp-python", "storage-protection"}


def test_config_pairs_with_its_pack_by_position(tmp_path, capsys) -> None:
    gcp_cfg = tmp_path / "gcp.json"
    gcp_cfg.write_text(
        json.dumps({"all": "advisory", "gcp-allowed-regions": {"allowedRegions": ["US", "EU"]}})
    )
    k8s_cfg = tmp_path / "k8s.json"
    k8s_cfg.write_text(json.dumps({"k8s-max-load-balancers": {"max": 3}}))
    code, doc = _json(
        capsys,
        "check",
        str(_export(tmp_path)),
        "--policy-pack",
        str(GCP),
        "--policy-pack",
        str(K8S),
        "--policy-pack-config",
        str(gcp_cfg),
        "--policy-pack-config",
        str(k8s_cfg),
    )
    assert code == 0  # everything advisory now
    assert {v["policy"] for v in doc["violations"]} == {
        "gcp-bucket-uniform-access",
        "gcp-bucket-no-force-destroy",
    }
    # the wrong count is refused as the CLI refuses it
    code = main(
        [
            "check",
            str(_export(tmp_path)),
            "--policy-pack",
            str(GCP),
            "--policy-pack-config",
            str(gcp_cfg),
            "--policy-pack-config",
            str(k8s_cfg),
        ]
    )
    assert code == 2
    assert "must match the number of --policy-pack" in capsys.readouterr().err
    # a config for the wrong pack names a policy that pack lacks
    code = main(
        ["check", str(_export(tmp_path)), "--policy-pack", str(K8S), "--policy-pack-config", str(gcp_cfg)]
    )
    assert code == 2
    assert "no policy named 'gcp-allowed-regions'" in capsys.readouterr().err


def test_every_report_format_and_the_plan_verdict(tmp_path, capsys) -> None:
    export = _export(tmp_path)
    for fmt in ("text", "json", "sarif", "junit", "markdown"):
        code = main(["check", str(export), "--policy-pack", str(GCP), "--format", fmt])
        out = capsys.readouterr().out
        assert code == 1
        assert "gcp-bucket-uniform-access" in out, fmt
    preview = Path(__file__).parent / "fixtures" / "pulumi-json" / "derived_gcp-bucket-replace_preview.json"
    code = main(["plan", str(preview), "--policy-pack", str(GCP), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["verdict"] == "fail"
    assert doc["stacks"][0]["plan"]["packs"] == ["gcp-python"]
    assert {v["pack"] for v in doc["violations"]} == {"plan-guard", "gcp-python"}


def test_policies_lists_my_pack(capsys) -> None:
    code, doc = _json(capsys, "policies", "--policy-pack", str(GCP))
    assert code == 0
    (pack,) = doc["packs"]
    assert pack["name"] == "gcp-python"
    by = {p["name"]: p for p in pack["policies"]}
    assert by["gcp-allowed-regions"]["configSchema"]["properties"]["allowedRegions"]["default"] == [
        "EU",
        "europe-west1",
    ]
    assert by["gcp-bucket-uniform-access"]["enforcementLevel"] == "mandatory"
    assert by["gcp-bucket-uniform-access"]["category"] == "gcp-python"
    _, doc = _json(capsys, "policies", "--policy-pack", str(K8S))
    levels = {p["name"]: p["enforcementLevel"] for p in doc["packs"][0]["policies"]}
    # the default shown is the policy's level, else the pack's, with initial_config applied
    assert levels == {
        "k8s-no-privileged-containers": "mandatory",
        "k8s-no-cluster-admin-binding": "mandatory",
        "k8s-max-load-balancers": "advisory",
    }
    assert main(["policies", "--policy-pack", str(K8S)]) == 0
    text = capsys.readouterr().out
    assert "k8s-max-load-balancers" in text and "Drop securityContext.privileged." in text


# -- bad packs ------------------------------------------------------------------------------------


def _pack(tmp_path: Path, main_py: str | None, yaml: str | None = "runtime: python\n") -> Path:
    d = tmp_path / "my-pack"
    d.mkdir()
    if yaml is not None:
        (d / "PulumiPolicy.yaml").write_text(yaml)
    if main_py is not None:
        (d / "__main__.py").write_text(main_py)
    return d


def _error(tmp_path: Path, capsys, pack: Path) -> str:
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(pack)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_no_pulumipolicy_yaml(tmp_path, capsys) -> None:
    err = _error(tmp_path, capsys, _pack(tmp_path, "x = 1\n", yaml=None))
    assert "my-pack: not a policy pack: no PulumiPolicy.yaml" in err


def test_non_python_runtime(tmp_path, capsys) -> None:
    err = _error(tmp_path, capsys, _pack(tmp_path, None, yaml="runtime: nodejs\n"))
    assert "runtime 'nodejs'" in err and "the Pulumi CLI runs this one" in err


def test_main_that_raises(tmp_path, capsys) -> None:
    err = _error(
        tmp_path, capsys, _pack(tmp_path, "import pulumi_policy\n\nraise ValueError('bad rule table')\n")
    )
    assert "__main__.py:3: policy pack my-pack: ValueError: bad rule table" in err


def test_main_that_never_builds_a_pack(tmp_path, capsys) -> None:
    err = _error(tmp_path, capsys, _pack(tmp_path, "from pulumi_policy import PolicyPack\n"))
    assert "my-pack: __main__.py never constructs a PolicyPack" in err


def test_missing_import_names_package_and_venv_option(tmp_path, capsys) -> None:
    err = _error(tmp_path, capsys, _pack(tmp_path, "import acme_rules_nowhere\n"))
    assert "cannot import 'acme_rules_nowhere'" in err and "runtime.options.virtualenv" in err


def test_bad_policy_pack_call(tmp_path, capsys) -> None:
    src = "from pulumi_policy import PolicyPack\n\nPolicyPack(name='bad name!', policies=[])\n"
    err = _error(tmp_path, capsys, _pack(tmp_path, src))
    assert "__main__.py:3" in err and "Invalid policy pack name" in err


def test_missing_virtualenv(tmp_path, capsys) -> None:
    yaml = "runtime:\n  name: python\n  options:\n    virtualenv: venv\n"
    err = _error(tmp_path, capsys, _pack(tmp_path, "x = 1\n", yaml=yaml))
    assert "virtualenv" in err and "is missing" in err


@pytest.mark.parametrize("flag", ["--policy-pack"])
def test_unknown_directory(tmp_path, capsys, flag) -> None:
    code = main(["check", str(_export(tmp_path)), flag, str(tmp_path / "nope")])
    assert code == 2
    assert "no such policy pack directory" in capsys.readouterr().err


README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_file(name: str) -> str:
    """The fenced block of the README whose first line names ``name``."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Your own policy packs") :]
    for block in section.split("```")[1::2]:
        body = block.split("\n", 1)[1]
        if body.startswith(f"# {name}\n"):
            return body
    raise AssertionError(f"no README block for {name}")


def test_the_readme_pack_works_as_documented(tmp_path, tierguard_check) -> None:
    pack = tmp_path / "my-pack"
    pack.mkdir()
    for name in ("PulumiPolicy.yaml", "__main__.py"):
        (pack / name).write_text(_readme_file(f"my-pack/{name}"))
    stack = Path(__file__).parent / "fixtures" / "plugin_stack"
    result = tierguard_check(stack, stack="violating", policy_packs=[pack])
    (found,) = result.assert_violates("required-labels", level="mandatory")
    assert found.urn.endswith("::orders") and found.category == "my-pack"
    assert "orders lacks the labels team" in found.message
    assert tierguard_check(stack, stack="dev", policy_packs=[pack]).findings == []


def test_a_built_in_pack_directory_loads_as_a_policy_pack(tmp_path, capsys) -> None:
    # tierguard's own pack directories are CrossGuard packs too: same policies, same categories
    from tierguard.evaluate.userpack import load_policy_pack
    from tierguard.policies.packs import load_pack

    repo = Path(__file__).resolve().parents[1]
    pack = load_policy_pack(repo / "policypacks" / "storage-protection")
    assert pack.policies == load_pack("storage-protection").policies
    _, doc = _json(
        capsys,
        "check",
        str(_export(tmp_path)),
        "--policy-pack",
        str(repo / "policypacks" / "storage-protection"),
    )
    assert {v["pack"] for v in doc["violations"]} == {"storage-protection"}
    assert {v["category"] for v in doc["violations"]} == {"deletion-protection"}
