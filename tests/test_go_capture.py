"""`runtime: go` offline: the program built with `go build` and run against the offline engine with the
environment Pulumi's Go host gives it (tierguard/capture/languages/go.py).

Every Go example is caught by the policies its main.go names and every compliant twin passes, each
finding on the user's `main.go:<line>`; default providers are registered at the Go SDK's plugin
version; the binary is kept in tierguard's cache (never the project's tree) and a re-run is served
from the capture cache; go.mod/go.sum above the project are in its cache key; `binary:` and
`buildTarget:` are honoured; and each kind of bad input — no Go toolchain, a compile error, a
missing go.sum entry, a module that cannot be downloaded, a panic, a returned error, a hang — is
exit 2 with one line naming the project. These tests need `go` on the PATH (CI has it: it builds
the Pulumi CLI); the Go build cache makes all but the first build of the examples a link.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from example_projects import COMPLIANT, GO_RUNTIME, PROGRAM_FILE, VIOLATIONS, expectations, projects

from tierguard.capture import engine_host, languages
from tierguard.capture.languages import go as golang
from tierguard.cli import main
from tierguard.readers import load_stacks, program

ROOT = Path(__file__).resolve().parent.parent
GO_EXAMPLES = projects(VIOLATIONS, GO_RUNTIME)
GO_TWINS = projects(COMPLIANT, GO_RUNTIME)
GO = shutil.which("go")
# Go keeps its build cache under $XDG_CACHE_HOME, which each test makes private (tests/conftest.py):
# the tests keep the machine's, so that only the first build of the examples compiles.
GOCACHE = subprocess.run([GO, "env", "GOCACHE"], capture_output=True, text=True).stdout.strip() if GO else ""
pytestmark = pytest.mark.skipif(GO is None, reason="no `go` on the PATH (CI builds the CLI with it)")
SDK_ONLY = """package main

import (
{imports}	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {{
	pulumi.Run(func(ctx *pulumi.Context) error {{
{body}
	}})
}}
"""


@pytest.fixture(autouse=True)
def machine_go_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    if GOCACHE:
        monkeypatch.setenv("GOCACHE", GOCACHE)


def check(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict | None, str]:
    code = main(["check", *args, "--format", "json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


def line_of(project: Path, needle: str) -> int:
    lines = (project / PROGRAM_FILE[GO_RUNTIME]).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if needle in text)


def go_project(tmp_path: Path, body: str, imports: str = "", name: str = "probe-go-app") -> Path:
    """A project of one package main in a module of its own (the examples' go.mod and go.sum: every
    module it needs is already downloaded and built)."""
    module = tmp_path / "module"
    module.mkdir(exist_ok=True)
    shutil.copy(ROOT / "examples" / "go.mod", module / "go.mod")
    shutil.copy(ROOT / "examples" / "go.sum", module / "go.sum")
    project = module / name
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: {name}\nruntime: go\n")
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (project / "main.go").write_text(SDK_ONLY.format(imports=imports, body=body))
    return project


# -- the examples ---------------------------------------------------------------------------------


def test_go_examples_cover_the_four_kinds_and_have_twins() -> None:
    kinds = {policy for example in GO_EXAMPLES for policy, _ in expectations(example)}
    assert {"no-datastore-in-app-tier", "aws-iam-no-wildcard-actions", "storage-deletion-guards",
            "stack-size-limit"} <= kinds
    assert {p.name for p in GO_TWINS} == {p.name for p in GO_EXAMPLES}
    for twin in GO_TWINS:  # the same project (and so the same tier) as the violation it corrects
        violation = VIOLATIONS / twin.name / "Pulumi.yaml"
        assert (twin / "Pulumi.yaml").read_text().splitlines()[0] == violation.read_text().splitlines()[0]


@pytest.mark.parametrize("example", GO_EXAMPLES, ids=lambda p: p.name)
def test_go_example_is_caught_on_its_main_go_lines(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = check(str(example), capsys=capsys)
    assert code == 1, err
    assert report is not None
    blocking = {v["policy"] for v in report["violations"] if v["enforcementLevel"] == "mandatory"}
    assert {p for p, level in expectations(example) if level == "mandatory"} <= blocking
    # a resource's finding on its main.go line (a stack's, the plan size, is on Pulumi.yaml)
    located = [v for v in report["violations"] if "::pulumi:pulumi:Stack::" not in v["urn"]]
    for v in located:
        assert v.get("location") and v["location"]["file"] == "main.go", v
        name = v["urn"].rsplit("::", 1)[1]
        text = (example / "main.go").read_text().splitlines()[v["location"]["line"] - 1]
        assert f'"{name}"' in text or "Sprintf" in text, (v["urn"], text)


@pytest.mark.parametrize("twin", GO_TWINS, ids=lambda p: p.name)
def test_go_compliant_twin_passes(twin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = check(str(twin), capsys=capsys)
    assert code == 0, err
    assert report is not None and report["resources"] >= 1
    assert [v for v in report["violations"] if v["enforcementLevel"] == "mandatory"] == []


def test_the_engine_registers_default_providers_at_the_go_sdks_version() -> None:
    example = VIOLATIONS / "go-aws-dynamodb-in-app-stack"
    program._RUNS.clear()
    (stack,) = load_stacks([example])
    by_type = {r.type: r for r in stack.resources}
    provider = by_type["pulumi:providers:aws"]
    assert provider.name == "default_6_83_4"  # pulumi-aws/sdk/v6 v6.83.4's pulumi-plugin.json version
    assert provider.inputs == {"region": "eu-west-1", "version": "6.83.4"}
    table = by_type["aws:dynamodb/table:Table"]
    assert table.provider == f"{provider.urn}::{engine_host.UNKNOWN_ID}"
    assert table.location is not None and table.location.file == "main.go"
    assert table.location.line == line_of(example, 'dynamodb.NewTable(ctx, "cart"')
    assert table.parent == by_type["pulumi:pulumi:Stack"].urn
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"


def test_the_binary_is_kept_in_tierguards_cache_and_a_rerun_comes_from_the_capture_cache(
    tmp_path: Path,
) -> None:
    project = go_project(tmp_path, '\t\tctx.Export("ok", pulumi.String("yes"))\n\t\treturn nil')
    before = sorted(p.name for p in project.parent.rglob("*"))
    program._RUNS.clear()
    (cold,) = load_stacks([project])
    assert not program.run_info(cold).cached and cold.outputs == {"ok": "yes"}
    assert sorted(p.name for p in project.parent.rglob("*")) == before  # nothing written beside it
    binary = golang.build_dir(project.resolve()) / "program"
    assert binary.is_file() and str(binary).startswith(os.environ["XDG_CACHE_HOME"])
    program._RUNS.clear()  # as a new `tierguard check` process
    (warm,) = load_stacks([project])
    assert program.run_info(warm).cached and warm.outputs == cold.outputs
    (project / "main.go").write_text((project / "main.go").read_text().replace('"yes"', '"no"'))
    program._RUNS.clear()
    (edited,) = load_stacks([project])
    assert not program.run_info(edited).cached and edited.outputs == {"ok": "no"}


def test_go_mod_and_go_sum_above_the_project_are_in_its_cache_key(tmp_path: Path) -> None:
    project = go_project(tmp_path, "\t\treturn nil")
    identity = languages.toolchain("go", project, ".", {}).identity
    module_files = {Path(f).name: digest for f, digest in identity["modules"].items()}
    assert set(module_files) == {"go.mod", "go.sum"} and all(module_files.values())
    assert identity["go"].startswith("go1.")
    with (project.parent / "go.sum").open("a") as sums:
        sums.write("example.com/other v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
    golang._go_env_cached.cache_clear()
    assert languages.toolchain("go", project, ".", {}).identity != identity


def test_a_prebuilt_binary_option_runs_that_binary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = go_project(tmp_path, '\t\t_, err := pulumi.NewStackReference(ctx, "acme/net/prod", nil)\n'
                         "\t\treturn err")
    subprocess.run([GO, "build", "-o", "prebuilt"], cwd=project, check=True, env={**os.environ})
    (project / "main.go").write_text("package main\n\nfunc main() { this does not compile }\n")
    (project / "Pulumi.yaml").write_text("name: probe-go-app\nruntime:\n  name: go\n  options:\n"
                                         "    binary: prebuilt\n")
    refs = tmp_path / "refs.json"
    refs.write_text(json.dumps({"acme/net/prod": {"vpc": "vpc-1"}}))
    code, report, err = check(str(project), "--stack-references", str(refs), capsys=capsys)
    assert code == 0, err
    assert report is not None and report["resources"] >= 1


def test_build_target_is_where_the_binary_goes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = go_project(tmp_path, "\t\treturn nil")
    (project / "Pulumi.yaml").write_text("name: probe-go-app\nruntime:\n  name: go\n  options:\n"
                                         "    buildTarget: bin/program\n")
    assert check(str(project), capsys=capsys)[0] == 0
    assert os.access(project / "bin" / "program", os.X_OK)


# -- bad input ------------------------------------------------------------------------------------


def one_line(err: str, project: Path) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(project) in lines[0] and "Traceback" not in err, err
    return lines[0]


def test_no_go_on_the_path_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = go_project(tmp_path, "\t\treturn nil")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _, err = check(str(project), capsys=capsys)
    assert code == 2
    assert "put `go` on the PATH" in one_line(err, project)


def test_both_binary_and_build_target_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = go_project(tmp_path, "\t\treturn nil")
    (project / "Pulumi.yaml").write_text("name: probe-go-app\nruntime:\n  name: go\n  options:\n"
                                         "    binary: x\n    buildTarget: y\n")
    code, _, err = check(str(project), capsys=capsys)
    assert code == 2 and "binary and buildTarget cannot both be specified" in one_line(err, project)


def test_a_compile_error_is_its_first_line_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = go_project(tmp_path, "\t\tundefinedThing(ctx)\n\t\treturn nil")
    code, _, err = check(str(project), capsys=capsys)
    assert code == 2
    line = one_line(err, project)
    expected = line_of(project, "undefinedThing(ctx)")
    assert f"`go build` failed: main.go:{expected}: undefined: undefinedThing" in line, line


def test_a_missing_go_sum_entry_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = go_project(tmp_path, "\t\treturn nil")
    (project.parent / "go.sum").write_text("")
    code, _, err = check(str(project), capsys=capsys)
    assert code == 2
    assert "missing go.sum entry" in one_line(err, project)


def test_a_module_that_cannot_be_downloaded_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = go_project(tmp_path, "\t\tnope.Thing()\n\t\treturn nil", imports='\t"example.invalid/nope"\n')
    monkeypatch.setenv("GOPROXY", "off")
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    code, _, err = check(str(project), capsys=capsys)
    assert code == 2
    line = one_line(err, project)
    assert "example.invalid/nope" in line and "GOPROXY=off" in line, line


def test_a_panic_is_its_panic_line_and_the_users_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = go_project(tmp_path, '\t\tpanic("the table name is empty")')
    code, _, err = check(str(project), capsys=capsys)
    assert code == 2
    line = one_line(err, project)
    assert f"panic: the table name is empty (at main.go:{line_of(project, 'panic(')})" in line, line


def test_a_returned_error_is_the_logged_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = go_project(tmp_path, '\t\treturn errors.New("no region configured")', imports='\t"errors"\n')
    code, _, err = check(str(project), capsys=capsys)
    assert code == 2
    assert re.search(r"the program logged an error: .*no region configured", one_line(err, project)), err


def test_a_hang_is_stopped_after_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = go_project(tmp_path, "\t\tselect {}")
    assert check(str(project), capsys=capsys)[0] == 2  # built (and then stopped) under the default limit
    monkeypatch.setenv(engine_host.TIMEOUT_ENV, "3")
    code, _, err = check(str(project), capsys=capsys)
    assert code == 2
    assert "did not finish within 3 s" in one_line(err, project)

