"""A pack in its own virtualenv (PulumiPolicy.yaml `runtime.options.virtualenv`) with a dependency
tierguard does not have: tierguard starts it there, as the CLI does, and drives it over the analyzer
protocol. The virtualenv is built here from a tiny local package, so no network is needed."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tierguard.cli import main
from tierguard.evaluate.userpack import load_policy_pack

MAIN = """
from acme_rules import FORBIDDEN_ROLES
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def no_forbidden_roles(args, report_violation):
    if args.resource_type.endswith("/iAMMember:IAMMember") and args.props.get("role") in FORBIDDEN_ROLES:
        report_violation(f"{args.props['role']} is forbidden by acme-rules")


PolicyPack(
    name="acme-iam",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="acme-no-forbidden-roles",
            description="No grant of a role acme forbids.",
            validate=no_forbidden_roles,
            tags=["iam"],
        )
    ],
)
"""

VENV_YAML = "runtime:\n  name: python\n  options:\n    virtualenv: venv\n"


def _tiny_wheel(root: Path) -> Path:
    """A one-module wheel written by hand (pip installs it with no build backend and no network)."""
    wheel = root / "acme_rules-0.1.0-py3-none-any.whl"
    files = {
        "acme_rules/__init__.py": 'FORBIDDEN_ROLES = ("roles/owner", "roles/editor")\n',
        "acme_rules-0.1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: acme-rules\nVersion: 0.1.0\n",
        "acme_rules-0.1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [f"{name},," for name in files] + ["acme_rules-0.1.0.dist-info/RECORD,,"]
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
        zf.writestr("acme_rules-0.1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


@pytest.fixture(scope="module")
def venv_pack(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("venv-pack")
    wheel = _tiny_wheel(root)
    pack = root / "acme-iam"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text(VENV_YAML)
    (pack / "__main__.py").write_text(MAIN)
    venv = pack / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # the pack's venv sees pulumi and pulumi-policy from tierguard's environment (offline) ...
    (site / "sdk.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # ... and acme-rules, installed by pip from the local package, only there
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    return pack


def _export(tmp_path: Path) -> Path:
    def member(name: str, role: str) -> dict:
        type_ = "gcp:projects/iAMMember:IAMMember"
        return {
            "urn": f"urn:pulumi:dev::shop::{type_}::{name}",
            "type": type_,
            "custom": True,
            "inputs": {"project": "p", "role": role, "member": "group:devs@example.com"},
        }

    doc = {
        "version": 3,
        "deployment": {"resources": [member("owners", "roles/owner"), member("ok", "roles/viewer")]},
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    return path


def test_pack_runs_in_its_own_venv(venv_pack: Path, tmp_path, capsys) -> None:
    assert importlib.util.find_spec("acme_rules") is None  # tierguard itself cannot import it
    pack = load_policy_pack(venv_pack)
    assert pack.runner is not None and [p.name for p in pack.policies] == ["acme-no-forbidden-roles"]
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(venv_pack), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [
        (v["policy"], v["urn"].rsplit("::", 1)[1], v["enforcementLevel"], v["category"])
        for v in doc["violations"]
    ] == [("acme-no-forbidden-roles", "owners", "mandatory", "iam")]
    assert "roles/owner is forbidden by acme-rules" in doc["violations"][0]["message"]
    # the pack's config and levels still come from tierguard's reconciliation
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"all": "advisory"}))
    code = main(
        ["check", str(_export(tmp_path)), "--policy-pack", str(venv_pack), "--policy-pack-config", str(cfg)]
    )
    assert code == 0
    capsys.readouterr()


def test_missing_import_in_the_venv_names_it(venv_pack: Path, tmp_path, capsys) -> None:
    broken = tmp_path / "broken-pack"
    broken.mkdir()
    (broken / "PulumiPolicy.yaml").write_text(
        f"runtime:\n  name: python\n  options:\n    virtualenv: {venv_pack / 'venv'}\n"
    )
    (broken / "__main__.py").write_text("import acme_rules_v2\n")
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(broken)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "cannot import 'acme_rules_v2' in the pack's virtualenv" in err and str(venv_pack / "venv") in err


def test_a_venv_directory_is_the_default_virtualenv(venv_pack: Path, tmp_path, capsys) -> None:
    # no `virtualenv` option, but a `venv` beside __main__.py: the CLI's Python host runs the pack
    # there (it defaults a plugin's virtualenv to `venv`), and so does tierguard
    pack = tmp_path / "acme-default"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text((venv_pack / "__main__.py").read_text())
    (pack / "venv").symlink_to(venv_pack / "venv", target_is_directory=True)
    loaded = load_policy_pack(pack)
    assert loaded.runner is not None
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(pack)])
    assert code == 1
    assert "acme-no-forbidden-roles" in capsys.readouterr().out


PRINTING_MAIN = MAIN.replace(
    "def no_forbidden_roles(args, report_violation):\n",
    "import sys\nprint('ACME-SAYS loading', file=sys.stderr)\n\n\n"
    "def no_forbidden_roles(args, report_violation):\n    print('ACME-SAYS looking at', args.name)\n",
)


def _venv_pack_with(venv_pack: Path, tmp_path: Path, name: str, source: str) -> Path:
    pack = tmp_path / name
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text(
        f"runtime:\n  name: python\n  options:\n    virtualenv: {venv_pack / 'venv'}\n"
    )
    (pack / "__main__.py").write_text(source)
    return pack


def test_what_a_venv_pack_prints_goes_to_stderr_under_its_name(venv_pack: Path, tmp_path) -> None:
    # a process of its own: tierguard reads its pipes, as the engine does, and shows every line
    pack = _venv_pack_with(venv_pack, tmp_path, "printing", PRINTING_MAIN)
    proc = subprocess.run(
        [sys.executable, "-m", "tierguard", "check", str(_export(tmp_path)), "--policy-pack", str(pack),
         "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert [v["policy"] for v in json.loads(proc.stdout)["violations"]] == ["acme-no-forbidden-roles"]
    said = proc.stderr.splitlines()
    assert "tierguard: pack acme-iam: ACME-SAYS loading" in said
    assert {"tierguard: pack acme-iam: ACME-SAYS looking at owners",
            "tierguard: pack acme-iam: ACME-SAYS looking at ok"} <= set(said)


def test_a_venv_pack_printing_to_stdout_before_serving_fails(venv_pack: Path, tmp_path, capsys) -> None:
    source = PRINTING_MAIN.replace(", file=sys.stderr)", ")", 1)
    pack = _venv_pack_with(venv_pack, tmp_path, "stdout-first", source)
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(pack), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    (line,) = captured.err.splitlines()
    assert "policy pack stdout-first: prints to stdout while it loads ('ACME-SAYS loading')" in line


def test_a_venv_pack_that_raises_exits_2_with_one_line(venv_pack: Path, tmp_path, capsys) -> None:
    source = PRINTING_MAIN.replace(
        "    print('ACME-SAYS looking at', args.name)\n",
        "    print('ACME-SAYS looking at', args.name)\n    raise KeyError('no table for ' + args.name)\n",
    )
    pack = _venv_pack_with(venv_pack, tmp_path, "raising", source)
    code = main(["check", str(_export(tmp_path)), "--policy-pack", str(pack), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    said = [ln for ln in captured.err.splitlines() if not ln.startswith("tierguard: pack ")]
    (line,) = said
    assert "Traceback" not in captured.err
    assert f"{pack / '__main__.py'}:" in line
    owners = "urn:pulumi:dev::shop::gcp:projects/iAMMember:IAMMember::owners"
    assert f"policy pack acme-iam: resource {owners}: " in line
    assert "KeyError: 'no table for owners' (in no_forbidden_roles) (traceback: " in line
    trace = Path(line.rsplit("(traceback: ", 1)[1].rstrip(")")).read_text()
    assert "Traceback (most recent call last)" in trace and "no_forbidden_roles" in trace
