"""benchmarks/languages.py writes one program shape in every offline runtime: each declares exactly
the ConfigMaps its stack config asks for, captured offline through that runtime's launcher (so the
per-language rows of `make bench` compare like with like)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from yaml_offline import standin_home, yaml_runtime  # noqa: F401  (fixtures)

from benchmarks import languages
from tierguard.readers import load_stacks

GO = shutil.which("go")
GOCACHE = subprocess.run([GO, "env", "GOCACHE"], capture_output=True, text=True).stdout.strip() if GO else ""


@pytest.mark.parametrize("runtime", sorted(languages.WRITERS))
def test_each_runtimes_program_declares_exactly_the_configured_configmaps(
    runtime: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if runtime == "yaml":
        request.getfixturevalue("yaml_runtime")
    if runtime == "go" and GOCACHE:  # conftest gives each test its own cache home: keep Go's build cache
        monkeypatch.setenv("GOCACHE", GOCACHE)
    project = languages.WRITERS[runtime](tmp_path, 7)
    (stack,) = load_stacks([project], stack=languages.STACK, use_cache=False)
    maps = sorted(r.name for r in stack.resources if r.type == "kubernetes:core/v1:ConfigMap")
    assert maps == sorted(f"settings-{i}" for i in range(7))
    namespaces = {r.inputs["metadata"]["namespace"] for r in stack.resources if r.name in maps}
    assert namespaces == {languages.NAMESPACE}
