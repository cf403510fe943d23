"""The installed wheel works, not only the checkout (issue 22 §3).

Everything here runs ``tierguard`` from the wheel built from this working tree and installed into a
fresh virtualenv outside the repository (``tests/installed_wheel.py``), in a directory outside it,
with nothing of the repository on any path. The examples' programs run in their own virtualenv (a
`virtualenv` option in the copy's Pulumi.yaml), which sees the provider SDKs but no tierguard.
The real CLI's preview with a pack built from the wheel is in tests/e2e/test_e2e_wheel.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from installed_wheel import ROOT, Installed, installed_tierguard
from venvs import make_venv

from tierguard import __version__
from tierguard.cli import main
from tierguard.policies.packs import PACK_MODULES

EXAMPLE = "aws-dynamodb-in-app-stack"  # a violation example with a compliant twin
CORE = {"pulumi", "pulumi-policy", "click", "rich", "pyyaml", "jsonschema"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return installed_tierguard(tmp_path_factory)


def with_own_venv(example: Path, dest: Path) -> Path:
    """A copy of an example whose Pulumi.yaml names a virtualenv that has the SDKs, not tierguard."""
    project = dest / example.name
    shutil.copytree(example, project, ignore=shutil.ignore_patterns("__pycache__"))
    text = (project / "Pulumi.yaml").read_text()
    assert "runtime: python\n" in text
    runtime = "runtime:\n  name: python\n  options:\n    virtualenv: venv\n"
    (project / "Pulumi.yaml").write_text(text.replace("runtime: python\n", runtime))
    make_venv(project / "venv", exclude=("tierguard", "__editable__"))
    return project


def violations(stdout: str) -> set[tuple[str, str, str, int | None]]:
    report = json.loads(stdout)
    return {
        (v["policy"], v["urn"], v["enforcementLevel"], (v.get("location") or {}).get("line"))
        for v in report["violations"]
    }


def test_the_wheel_is_what_runs(wheel: Installed, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(wheel.bin / "python"), "-c", "import sys, tierguard; print(tierguard.__file__, sys.path)"],
        cwd=tmp_path, env=wheel.env(), capture_output=True, text=True, check=True,
    ).stdout
    assert where.startswith(str(wheel.venv)), where
    assert str(ROOT) not in where
    out = wheel.run("--version", cwd=tmp_path)
    assert out.returncode == 0 and __version__ in out.stdout, out


def test_the_core_install_is_lean(wheel: Installed) -> None:
    """The library's dependencies only: the provider SDKs are the `reference`/`cloud` extras'."""
    with zipfile.ZipFile(wheel.wheel) as zf:
        metadata = zf.read(f"tierguard-{__version__}.dist-info/METADATA").decode()
    required = [line.split(":", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    core = {re.split(r"[<>=;\s]", r.strip())[0].lower() for r in required if "extra ==" not in r}
    assert core == CORE
    listed = subprocess.run(
        [str(wheel.bin / "python"), "-m", "pip", "list", "--format", "json"],
        env=wheel.env(), capture_output=True, text=True, check=True,
    ).stdout
    names = {p["name"].lower() for p in json.loads(listed)}
    sdks = ("pulumi-gcp", "pulumi-kubernetes", "pulumi-aws", "pulumi-azure")
    assert not [n for n in names if n.startswith(sdks)], names


def test_policies_lists_every_pack(wheel: Installed, tmp_path: Path) -> None:
    out = wheel.run("policies", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert {p["name"] for p in json.loads(out.stdout)["packs"]} >= set(PACK_MODULES)


def test_check_an_example_with_its_own_virtualenv(
    wheel: Installed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = with_own_venv(ROOT / "examples" / "violations" / EXAMPLE, tmp_path / "violation")
    out = wheel.run("check", str(project), "--format", "json", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    found = violations(out.stdout)
    assert any(level == "mandatory" for _, _, level, _ in found)
    # the very findings the checkout gives for the same example
    assert main(["check", str(ROOT / "examples" / "violations" / EXAMPLE), "--format", "json"]) == 1
    assert found == violations(capsys.readouterr().out)

    twin = with_own_venv(ROOT / "examples" / "compliant" / EXAMPLE, tmp_path / "compliant")
    out = wheel.run("check", str(twin), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_check_that_finds_nothing_fails_closed(wheel: Installed, tmp_path: Path) -> None:
    """The wheel ships no stacks: with no PATH in a directory without a project, exit 2 -- never a
    pass over nothing."""
    empty = tmp_path / "empty"
    empty.mkdir()
    out = wheel.run("check", cwd=empty)
    assert (out.returncode, out.stdout) == (2, ""), out
    assert out.stderr == f"tierguard: {empty}: no Pulumi project (Pulumi.yaml) under it\n"


def test_check_at_a_repository_root_finds_the_projects(wheel: Installed, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    with_own_venv(ROOT / "examples" / "violations" / EXAMPLE, root / "stacks")
    with_own_venv(ROOT / "examples" / "compliant" / EXAMPLE, root / "more" / "compliant")
    out = wheel.run("check", "--format", "json", cwd=root)
    assert out.returncode == 1, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert sorted(s["source"] for s in report["stacks"]) == [
        f"more/compliant/{EXAMPLE}", f"stacks/{EXAMPLE}"
    ], report["stacks"]


def test_without_a_virtualenv_the_python_on_the_path_runs_it(wheel: Installed, tmp_path: Path) -> None:
    """As the CLI: the activated virtualenv's python3, which has tierguard's few dependencies and no
    AWS SDK -- so the check is bad input, in one line that says how to fix it."""
    project = tmp_path / EXAMPLE
    shutil.copytree(ROOT / "examples" / "violations" / EXAMPLE, project)
    out = wheel.run("check", str(project), cwd=tmp_path)
    assert out.returncode == 2, out
    python3 = wheel.bin / "python3"
    assert out.stderr == (
        f"tierguard: {project}: `pulumi_aws` is not installed for {python3} (the Python on the PATH, which "
        f"the Pulumi CLI runs this program with): run `{wheel.bin / 'pip'} install -r requirements.txt`, "
        "or give the project a `virtualenv` option\n"
    )


def test_pack_build_from_the_wheel(wheel: Installed, tmp_path: Path) -> None:
    out = wheel.run("pack", "build", "tier-boundaries", "-o", str(tmp_path / "pack"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    pack = tmp_path / "pack"
    files = {p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()}
    assert {"PulumiPolicy.yaml", "__main__.py", "requirements.txt", "tierguard/__init__.py"} <= files
    assert not [f for f in files if f.startswith(("tierguard/cli", "tierguard/readers", "tierguard/capture"))]


def test_the_pytest_plugin_loads_from_the_wheel(wheel: Installed, tmp_path: Path) -> None:
    violation = with_own_venv(ROOT / "examples" / "violations" / EXAMPLE, tmp_path / "violation")
    twin = with_own_venv(ROOT / "examples" / "compliant" / EXAMPLE, tmp_path / "compliant")
    (tmp_path / "test_stacks.py").write_text(
        "import pytest, tierguard\n\n"
        f"def test_from_the_wheel():\n    assert tierguard.__file__.startswith({str(wheel.venv)!r})\n\n"
        f"def test_twin_is_clean(tierguard_check):\n    tierguard_check({str(twin)!r}).assert_clean()\n\n"
        "def test_violation_is_caught(tierguard_check):\n"
        f"    with pytest.raises(AssertionError, match='mandatory'):\n"
        f"        tierguard_check({str(violation)!r}).assert_clean()\n"
    )
    out = subprocess.run(
        [str(wheel.bin / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_stacks.py"],
        cwd=tmp_path, env=wheel.env(), capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0 and "3 passed" in out.stdout, out.stdout + out.stderr


def test_the_wheel_holds_every_package_file_and_no_test(wheel: Installed) -> None:
    """Every file of the package in the tree (modules, the runner, py.typed: all the code reads at
    run time), and nothing of tests/, fixtures, examples or reference stacks."""
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "tierguard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()
    with zipfile.ZipFile(wheel.wheel) as zf:
        names = set(zf.namelist())
    assert set(tracked) <= names, set(tracked) - names
    foreign = [n for n in names if not n.startswith(("tierguard/", f"tierguard-{__version__}.dist-info/"))]
    assert foreign == []
    assert not [n for n in names if "fixtures" in n or "/tests/" in n or n.endswith("conftest.py")]
