"""`tierguard pack build` makes a pack that runs with no checkout of this repository (issue 7 §4).

The proof is the way Pulumi Cloud and the CLI use a published pack: a fresh virtual environment
that has only the pack's requirements.txt installed, the pack started as the CLI's Python policy
host starts it, and its policies listed over the analyzer gRPC protocol.

pip installs the requirements with the machine's own pip configuration (PyPI or the local index);
set TIERGUARD_WHEELHOUSE=DIR to install from a local wheel directory with no index instead.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest
import yaml

from tierguard.cli import main
from tierguard.crossguard import packbuild
from tierguard.crossguard.analyzer_host import launch_pack
from tierguard.model.records import InputError
from tierguard.policies.base import rule_of
from tierguard.policies.exemptions import CONFIG_PROPERTIES
from tierguard.policies.packs import PACK_MODULES, load_pack

PACKS = sorted(PACK_MODULES)
# Modules a published pack must never carry: they need the provider SDKs, the CLI or the reporters.
FORBIDDEN = ("tierguard/readers", "tierguard/capture", "tierguard/cli", "tierguard/report", "tierguard/plan",
             "tierguard/evaluate", "tierguard/integrations", "tierguard/testing")


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with only a built pack's requirements.txt installed."""
    root = tmp_path_factory.mktemp("fresh-env")
    requirements = root / "requirements.txt"
    requirements.write_text("\n".join(packbuild.runtime_requirements()) + "\n", encoding="utf-8")
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(root / "venv")
    python = root / "venv" / "bin" / "python"
    command = [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)]
    wheelhouse = os.environ.get("TIERGUARD_WHEELHOUSE")
    if wheelhouse:
        command += ["--no-index", "--find-links", wheelhouse]
    subprocess.run(command, check=True, cwd=root, env=_clean_env())
    return python


def _clean_env() -> dict[str, str]:
    """The environment without anything that could put this checkout on the fresh env's path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return env


def test_fresh_environment_has_no_tierguard_and_no_provider_sdks(fresh_python: Path, tmp_path: Path) -> None:
    """Guards the proof below: the pack can only run on what it vendors."""
    probe = (
        "import importlib.util as u; "
        "print([m for m in ('tierguard', 'pulumi_gcp', 'pulumi_kubernetes', 'click') if u.find_spec(m)])"
    )
    out = subprocess.run([str(fresh_python), "-c", probe], cwd=tmp_path, env=_clean_env(),
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("pack", PACKS)
def test_built_pack_lists_its_policies_over_grpc_from_a_fresh_environment(
    pack: str, fresh_python: Path, tmp_path: Path
) -> None:
    out = tmp_path / pack
    assert main(["pack", "build", pack, "--output", str(out)]) == 0

    assert yaml.safe_load((out / "PulumiPolicy.yaml").read_text())["runtime"] == "python"
    assert (out / "requirements.txt").read_text().split() == packbuild.runtime_requirements()
    vendored = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.py") if p.parent != out)
    assert "tierguard/crossguard/serve.py" in vendored and "tierguard/policies/packs.py" in vendored
    assert not [v for v in vendored if v.startswith(FORBIDDEN)], vendored

    expected = load_pack(pack)
    with launch_pack(out, python=str(fresh_python), project="shop-app", stack="dev",
                     extra_env={"PYTHONPATH": ""}) as client:
        info = client.get_info()
    assert info.name == pack
    assert [p.name for p in info.policies] == [p.name for p in expected.policies]
    for served, policy in zip(info.policies, expected.policies, strict=True):
        rule = rule_of(policy)
        assert served.tags == [rule.category]
        assert served.displayName == rule.title
        # every policy's schema also takes the exemption keys, so the CLI validates them
        assert set(served.configSchema.properties) == set(rule.config) | set(CONFIG_PROPERTIES)


def test_vendored_modules_are_the_import_closure_of_the_pack() -> None:
    pack = PACKS[0]
    modules = packbuild.vendored_modules(pack)
    assert {"tierguard", "tierguard.crossguard.serve", "tierguard.policies.packs", "tierguard.model.records",
            "tierguard.policies", "tierguard.policies.base", *PACK_MODULES[pack]} <= set(modules)
    assert not [m for m in modules if m.startswith(packbuild.NEVER_VENDORED)], modules


def test_a_policy_importing_a_provider_sdk_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pack that would break in Pulumi Cloud (no pulumi_gcp there) breaks at build time instead."""
    lib = tmp_path / "tierguard"
    (lib / "policies").mkdir(parents=True)
    (lib / "__init__.py").write_text("")
    (lib / "serve.py").write_text("from tierguard.policies import leaky\n")
    (lib / "policies" / "__init__.py").write_text("")
    (lib / "policies" / "leaky.py").write_text("import json\n\ndef f():\n    import pulumi_gcp\n")
    monkeypatch.setattr(packbuild, "CHECKOUT", tmp_path)
    monkeypatch.setitem(packbuild.PACK_MODULES, "leaky", ("tierguard.policies.leaky",))
    with pytest.raises(InputError, match="pulumi_gcp"):
        packbuild.vendored_modules("leaky")


def test_unknown_pack_is_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "build", "no-such-pack", "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tierguard: ") and "no-such-pack" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_non_empty_output_needs_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("user data")
    assert main(["pack", "build", PACKS[0], "--output", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "keep.txt").exists()

    assert main(["pack", "build", PACKS[0], "--output", str(out), "--force"]) == 0
    assert not (out / "keep.txt").exists()
    assert (out / "__main__.py").is_file()


def test_unreadable_pulumipolicy_yaml_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "policypacks" / PACKS[0]
    source.mkdir(parents=True)
    (source / "PulumiPolicy.yaml").write_text("runtime: python\ndescription: Limits: per tier\n")
    monkeypatch.setattr(packbuild, "POLICYPACKS", tmp_path / "policypacks")
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous-build.txt").write_text("kept")
    assert main(["pack", "build", PACKS[0], "--output", str(out), "--force"]) == 2
    assert (out / "previous-build.txt").exists()  # a failed build leaves the old one alone
    err = capsys.readouterr().err
    assert "PulumiPolicy.yaml: invalid YAML at line 2" in err and len(err.strip().splitlines()) == 1


def test_empty_existing_output_is_fine(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert main(["pack", "build", PACKS[0], "--output", str(out)]) == 0
    assert (out / "requirements.txt").is_file()


def test_requirements_follow_pyproject() -> None:
    """The pins come from tierguard's own declared ranges, so a published pack runs what we test."""
    import tomllib

    declared = tomllib.loads((packbuild.CHECKOUT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert packbuild.runtime_requirements() == [
        next(d for d in declared if d.startswith("pulumi>")),
        next(d for d in declared if d.startswith("pulumi-policy")),
    ]


@pytest.mark.parametrize("pack", PACKS)
def test_entry_files_without_a_checkout_equal_the_checkouts(
    pack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed tierguard (no policypacks/ beside it) builds the same pack as a checkout does."""
    from_checkout = packbuild._entry_files(pack)
    monkeypatch.setattr(packbuild, "POLICYPACKS", tmp_path / "absent")
    from_template = packbuild._entry_files(pack)
    assert from_template["__main__.py"] == from_checkout["__main__.py"]
    generated, committed = (yaml.safe_load(f["PulumiPolicy.yaml"]) for f in (from_template, from_checkout))
    assert generated == committed


# -- a pack directory as well as a name (issue 11) ---------------------------------------------------


def test_pack_build_takes_the_pack_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = packbuild.POLICYPACKS / "plan-size"
    assert main(["pack", "build", str(directory), "--output", str(tmp_path / "by-dir")]) == 0
    assert main(["pack", "build", "plan-size", "--output", str(tmp_path / "by-name")]) == 0
    capsys.readouterr()
    by_dir = sorted(p.relative_to(tmp_path / "by-dir").as_posix() for p in (tmp_path / "by-dir").rglob("*"))
    by_name = sorted(
        p.relative_to(tmp_path / "by-name").as_posix() for p in (tmp_path / "by-name").rglob("*")
    )
    assert by_dir == by_name and "tierguard/policies/plan_size.py" in by_dir


def test_a_copied_pack_directory_is_recognised_by_what_it_serves(tmp_path: Path) -> None:
    copy = tmp_path / "my-tier-pack"
    copy.mkdir()
    for name in ("PulumiPolicy.yaml", "__main__.py"):
        (copy / name).write_text((packbuild.POLICYPACKS / "tier-boundaries" / name).read_text())
    assert packbuild.resolve_pack(str(copy)) == "tier-boundaries"
    assert packbuild.resolve_pack("tier-boundaries") == "tier-boundaries"


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda d: None, "no such directory"),
        (lambda d: d.mkdir(), "no PulumiPolicy.yaml"),
        (lambda d: (d.mkdir(), (d / "PulumiPolicy.yaml").write_text("runtime: python\n"),
                    (d / "__main__.py").write_text("from pulumi_policy import PolicyPack\n")),
         "does not serve one tierguard pack"),
    ],
)
def test_a_directory_that_is_not_a_tierguard_pack_is_exit_2(tmp_path, capsys, make, problem) -> None:
    target = tmp_path / "pack"
    make(target)
    assert main(["pack", "build", str(target), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and problem in err[0]
    assert not (tmp_path / "out").exists()
    assert main(["pack", "build", "no-such-pack", "--output", str(tmp_path / "out")]) == 2
    assert "unknown policy pack 'no-such-pack'" in capsys.readouterr().err
