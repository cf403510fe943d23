"""The example projects under examples/, by runtime, and what each one says it must trigger.

A Python example states its expectations in `__main__.py`, a Pulumi YAML example (`runtime: yaml`,
its program in Pulumi.yaml) in Pulumi.yaml, a Go example in `main.go` (`//` comments; the Go examples
share one module, examples/go.mod), as comment lines: `# tierguard-expect: <policy>` for a
policy that must block it (mandatory), `# tierguard-expect-advisory: <policy>` for an advisory one.
A TypeScript or JavaScript example (`runtime: nodejs`) states them in its program (`main`, else
index.ts) as `// tierguard-expect: <policy>` lines.
Offline `tierguard check` runs all of them: the Python ones under the SDK's mocks, the nodejs ones
through their @pulumi/pulumi run entry, the YAML ones through the real YAML language host
(tests/yaml_offline.py); tests/e2e compares each with the real CLI.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
VIOLATIONS = ROOT / "examples" / "violations"
COMPLIANT = ROOT / "examples" / "compliant"
PYTHON_RUNTIME = "python"
YAML_RUNTIME = "yaml"
NODEJS_RUNTIME = "nodejs"
GO_RUNTIME = "go"
# the file that holds each runtime's program (and so its expectation lines)
PROGRAM_FILE = {
    PYTHON_RUNTIME: "__main__.py", YAML_RUNTIME: "Pulumi.yaml", NODEJS_RUNTIME: "index.ts",
    GO_RUNTIME: "main.go",
}
EXPECT = re.compile(
    r"^(?:#|//)\s*tierguard-expect(?P<advisory>-advisory)?:\s*(?P<policy>[A-Za-z0-9_.-]+)\s*$", re.M
)


def runtime_of(project: Path) -> str:
    """The runtime a Pulumi.yaml names (`runtime: yaml` or `runtime: {name: yaml, options: ...}`)."""
    runtime = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8")).get("runtime")
    return runtime.get("name") if isinstance(runtime, dict) else runtime


def projects(root: Path, runtime: str | None = None) -> list[Path]:
    """The project directories directly under `root`, of one runtime when given."""
    found = sorted(p for p in root.iterdir() if (p / "Pulumi.yaml").is_file())
    return [p for p in found if runtime is None or runtime_of(p) == runtime]


def program_file(project: Path) -> Path:
    """The file holding the project's program: its runtime's, or a Node project's `main`."""
    runtime = runtime_of(project)
    if runtime == NODEJS_RUNTIME:
        main = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8")).get("main")
        if main:
            return project / main
    return project / PROGRAM_FILE[runtime]


def expectations(project: Path) -> set[tuple[str, str]]:
    """(policy, enforcement level) pairs the project's program file names."""
    text = program_file(project).read_text(encoding="utf-8")
    return {(m["policy"], "advisory" if m["advisory"] else "mandatory") for m in EXPECT.finditer(text)}
