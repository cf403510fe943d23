"""TypeScript and JavaScript programs (``runtime: nodejs``) captured offline as the Node language host
runs them (tierguard/capture/languages/nodejs.py): their source lines, ES modules included; every
kind of bad input as one line naming the project; and the capture cache keyed on the lockfile, the
installed @pulumi/* packages and the node version.

Each program is written into the test's own directory beside a ``node_modules`` link to the examples'
one (``make node-examples``: examples/package-lock.json), found as Node finds it, upward.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tierguard.capture import engine_host
from tierguard.capture.languages import nodejs
from tierguard.cli import main
from tierguard.model.records import InputError
from tierguard.readers import load_stacks, program

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
NODE_MODULES = EXAMPLES / "node_modules"

BUCKET_TS = """\
import * as gcp from "@pulumi/gcp";

// a comment, so that compiled and source lines differ
const assets = new gcp.storage.Bucket("assets", { location: "EU" });

export const name = assets.name;
"""


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    assert (NODE_MODULES / "@pulumi" / "pulumi" / "package.json").is_file(), (
        "examples/node_modules is missing: run `make node-examples`"
    )


def node_project(root: Path, files: dict[str, str], options: dict[str, Any] | None = None,
                 name: str = "web-app", **extra: Any) -> Path:
    """``root/<name>`` with ``root/node_modules`` (a link) and ``root/package-lock.json`` above it."""
    if not (root / "node_modules").exists():
        (root / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
        shutil.copy(EXAMPLES / "package-lock.json", root / "package-lock.json")
    directory = root / name
    directory.mkdir()
    runtime: Any = {"name": "nodejs", "options": options} if options else "nodejs"
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump({"name": name, "runtime": runtime, **extra}))
    (directory / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": {"gcp:project": "demo"}}))
    for relative, text in files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(textwrap.dedent(text))
    return directory


def read(directory: Path, **options: Any) -> list:
    program._RUNS.clear()  # as a fresh process reads it
    return load_stacks([directory], **options)


def locations(stacks: list) -> dict[str, tuple[str, int | None] | None]:
    return {r.name: (r.location.file, r.location.line) if r.location else None
            for st in stacks for r in st.resources if not r.type.startswith("pulumi:")}


def one_line_error(directory: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["check", str(directory), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "", captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


# -- running as the host runs it ---------------------------------------------------------------------


def test_the_launch_is_the_hosts_command_line_and_environment(tmp_path: Path) -> None:
    app = node_project(tmp_path, {"src/index.ts": BUCKET_TS},
                       {"nodeargs": "--max-old-space-size=512 --no-warnings", "tsconfig": "tsconfig.ci.json"},
                       main="src/index.ts")
    tool = nodejs.toolchain(app, "src/index.ts", {"nodeargs": "--max-old-space-size=512 --no-warnings",
                                                  "tsconfig": "tsconfig.ci.json"})
    request = {"project": "web-app", "stack": "dev", "project_dir": str(app), "main": "src/index.ts",
               "config": {"gcp:project": "demo", "web-app:size": "2"}, "secret_keys": ["web-app:size"]}
    launch = tool.start(request, "127.0.0.1:1234")
    run = NODE_MODULES.resolve() / "@pulumi" / "pulumi" / "cmd" / "run" / "index.js"
    assert launch.args[1:4] == ["--max-old-space-size=512", "--no-warnings", str(run)]
    flags = dict(zip(launch.args[4:-4:2], launch.args[5:-4:2], strict=True))
    assert flags == {"--monitor": "127.0.0.1:1234", "--engine": "127.0.0.1:1234",
                     "--organization": "organization", "--project": "web-app",
                     "--root-directory": str(app), "--stack": "dev", "--pwd": str(app / "src")}
    assert launch.args[-4:-2] == ["--dry-run", "--parallel"] and launch.args[-1] == "index.ts"
    assert launch.cwd == app / "src"
    # config keys as the host hands them to the SDK: <namespace>:config:<key>
    assert json.loads(launch.env["PULUMI_CONFIG"]) == {
        "gcp:config:project": "demo", "web-app:config:size": "2",
    }
    assert json.loads(launch.env["PULUMI_CONFIG_SECRET_KEYS"]) == ["web-app:size"]
    assert launch.env["PULUMI_NODEJS_TYPESCRIPT"] == "true"
    assert launch.env["PULUMI_NODEJS_TSCONFIG_PATH"] == "tsconfig.ci.json"
    assert str(nodejs.POSITIONS) in launch.env["NODE_OPTIONS"]
    plain = nodejs.toolchain(app, "src/index.ts", {"typescript": False}).start(request, "127.0.0.1:1")
    assert "PULUMI_NODEJS_TYPESCRIPT" not in plain.env


def test_a_typescript_program_gives_each_resource_its_line(tmp_path: Path) -> None:
    stacks = read(node_project(tmp_path, {"index.ts": BUCKET_TS}), use_cache=False)
    assert locations(stacks) == {"assets": ("index.ts", 4)}
    by_type = {r.type: r for r in stacks[0].resources}
    assert by_type["gcp:storage/bucket:Bucket"].inputs == {"location": "EU"}
    assert by_type["pulumi:providers:gcp"].name.startswith("default_")  # as the engine registers it
    assert stacks[0].outputs == {"name": engine_host.UNKNOWN_ID}  # unknown in a preview


def test_an_es_module_keeps_its_lines_source_mapped(tmp_path: Path) -> None:
    """V8 prints an ES module's top-level frame without parentheses, which the SDK's frame pattern
    skips (an empty sourcePosition), and its frames are not mapped through the module's source map
    by source-map-support: node_positions.cjs reads the frame and maps it with Node's map cache.
    The program is TypeScript compiled to an ES module with an inline map, as ts-node's ESM loader
    hands it to Node."""
    app = node_project(tmp_path, {"index.ts": BUCKET_TS, "package.json": '{"type": "module"}'},
                       {"typescript": False}, main="index.js")
    tsc = NODE_MODULES / "typescript" / "bin" / "tsc"
    subprocess.run(["node", str(tsc), "--module", "es2022", "--target", "es2022", "--moduleResolution",
                    "node", "--inlineSourceMap", "--skipLibCheck", "index.ts"], cwd=app, check=True)
    assert "sourceMappingURL=data:" in (app / "index.js").read_text()
    assert locations(read(app, use_cache=False)) == {"assets": ("index.ts", 4)}
    # a plain JavaScript ES module, no map: its own line
    (app / "index.js").write_text(BUCKET_TS.replace("import * as gcp", "import gcp"))
    assert locations(read(app, use_cache=False)) == {"assets": ("index.js", 4)}


# -- bad input: exit 2, one line naming the project --------------------------------------------------


def test_a_program_that_throws_names_its_message_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = node_project(tmp_path, {"index.ts": """\
        import * as gcp from "@pulumi/gcp";

        function replicas(n: number): number {
            if (n > 1) {
                throw new Error(`too many replicas: ${n}`);
            }
            return n;
        }
        new gcp.storage.Bucket("assets", { location: "EU" });
        replicas(3);
        """})
    line = one_line_error(app, capsys)
    assert line == f"tierguard: {app / 'index.ts'}:5: the program raised Error: too many replicas: 3"


def test_a_typescript_compile_error_names_the_diagnostic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = node_project(tmp_path, {"index.ts": """\
        import * as gcp from "@pulumi/gcp";
        const size: number = "large";
        new gcp.storage.Bucket("assets", { location: 3 });
        """})
    line = one_line_error(app, capsys)
    assert line.startswith(f"tierguard: {app / 'index.ts'}:2: the program raised TSError: ")
    assert "index.ts(2): error TS2322: Type 'string' is not assignable to type 'number'. (and 1 more)" in line


def test_a_javascript_syntax_error_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = node_project(tmp_path, {"index.js": "// one\nconst x = ;\n"}, {"typescript": False})
    line = one_line_error(app, capsys)
    assert line == f"tierguard: {app / 'index.js'}:2: the program raised SyntaxError: Unexpected token ';'"


def test_a_program_that_hangs_is_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(engine_host.TIMEOUT_ENV, "2")
    app = node_project(tmp_path, {"index.js": "setInterval(() => {}, 1000);\n"}, {"typescript": False})
    line = one_line_error(app, capsys)
    assert line.startswith(f"tierguard: {app}: the program could not run under node v")
    assert line.endswith("the program did not finish within 2 s and was stopped "
                         f"(set {engine_host.TIMEOUT_ENV} to allow longer)")


def test_without_node_on_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = node_project(tmp_path, {"index.ts": BUCKET_TS})
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(InputError) as err:
        read(app, use_cache=False)
    assert err.value.source == str(app.resolve()) and "`node` is not on the PATH" in err.value.problem


@pytest.mark.parametrize(("lockfile", "install"), [(None, "npm install"), ("yarn.lock", "yarn install"),
                                                  ("pnpm-lock.yaml", "pnpm install")])
def test_without_node_modules_the_install_command_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lockfile: str | None, install: str
) -> None:
    app = tmp_path / "web-app"
    app.mkdir()
    (app / "Pulumi.yaml").write_text("name: web-app\nruntime: nodejs\n")
    (app / "index.ts").write_text(BUCKET_TS)
    if lockfile:
        (tmp_path / lockfile).write_text("")
    line = one_line_error(app, capsys)
    assert line == (f"tierguard: {app.resolve()}: @pulumi/pulumi is not installed (no node_modules with it "
                    f"at or above {app.resolve()}): run `{install}` in {app.resolve()}")


def test_a_wrong_runtime_option_names_pulumi_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = node_project(tmp_path, {"index.ts": BUCKET_TS}, {"typescript": "yes"})
    assert one_line_error(app, capsys) == (
        f"tierguard: {app.resolve() / 'Pulumi.yaml'}: runtime option 'typescript' must be a boolean"
    )


# -- the capture cache ---------------------------------------------------------------------------------


def test_the_cache_serves_an_unchanged_program_and_a_new_lockfile_or_source_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []
    real = engine_host.capture

    def counting(tool, request, resolve, timeout=None):  # type: ignore[no-untyped-def]
        ran.append(request["project"])
        return real(tool, request, resolve, timeout)

    monkeypatch.setattr(engine_host, "capture", counting)
    app = node_project(tmp_path, {"index.ts": BUCKET_TS})

    def cached() -> bool:
        return program.run_info(read(app)[0]).cached

    assert not cached() and ran == ["web-app"]
    assert cached() and ran == ["web-app"]  # unchanged: served from the cache, nothing ran
    lock = tmp_path / "package-lock.json"  # outside the project, the nearest lockfile upward
    lock.write_text(lock.read_text() + "\n")
    assert not cached() and len(ran) == 2
    assert cached() and len(ran) == 2
    (app / "index.ts").write_text(BUCKET_TS.replace('"EU"', '"US"'))
    assert not cached() and len(ran) == 3
    assert cached() and len(ran) == 3


def test_the_toolchain_identity_names_node_the_lockfile_and_the_pulumi_packages(tmp_path: Path) -> None:
    app = node_project(tmp_path, {"index.ts": BUCKET_TS})
    identity = nodejs.toolchain(app, ".", {}).identity
    assert identity["node"].startswith("v") and identity["lockfile"] == str(tmp_path / "package-lock.json")
    lock = json.loads((EXAMPLES / "package-lock.json").read_text())["packages"]
    assert identity["packages"] == {
        name: lock[f"node_modules/{name}"]["version"]
        for name in ("@pulumi/gcp", "@pulumi/kubernetes", "@pulumi/pulumi")
    }
    assert os.path.isabs(identity["run"])
