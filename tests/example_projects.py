"""The example projects under examples/, by runtime, and what each one says it must trigger.

A Python example states its expectations in `__main__.py`, a Pulumi YAML example (`runtime: yaml`,
its program in Pulumi.yaml) in Pulumi.yaml, a Go example in `main.go` (`//` comments; the Go examples
share one module, examples/go.mod), as comment lines: `# tierguard-expect: <policy>` for a
policy that must block it (mandatory), `# tierguard-expect-advisory: <policy>` for an advisory one.
Offline `tierguard check` runs Python programs only (today); tests that run it take PYTHON_RUNTIME
projects, and the YAML projects are judged under the real CLI (tests/e2e/test_e2e_yaml.py).
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
GO_RUNTIME = "go"
# the file that holds each runtime's program (and so its expectation lines)
PROGRAM_FILE = {PYTHON_RUNTIME: "__main__.py", YAML_RUNTIME: "Pulumi.yaml", GO_RUNTIME: "main.go"}
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


def expectations(project: Path) -> set[tuple[str, str]]:
    """(policy, enforcement level) pairs the project's program file names."""
    text = (project / PROGRAM_FILE[runtime_of(project)]).read_text(encoding="utf-8")
    return {(m["policy"], "advisory" if m["advisory"] else "mandatory") for m in EXPECT.finditer(text)}
