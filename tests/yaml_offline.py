"""The real Pulumi YAML language host and the stand-in providers, for offline `tierguard check` of
`runtime: yaml` programs (tierguard/capture/languages/yaml.py).

The host is the one `make pulumi-cli` builds (or one on PATH), found by the launcher's own lookup
when this module is imported, before tests/conftest.py gives each test its own XDG_CACHE_HOME; the
`yaml_runtime` fixture puts its directory first on PATH, as an installed Pulumi CLI is. The providers
are tools/pulumi's stand-ins, written into a PULUMI_HOME as `pulumi plugin install` lays plugins
out, which is where the host looks for them (their schemas cached once per session). Without a
host the tests skip saying how to build one; with TIERGUARD_E2E=require (CI) they fail instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "pulumi"))

import pulumi_cli  # noqa: E402

from tierguard.capture.languages import yaml as yaml_launcher  # noqa: E402

HOST = yaml_launcher.find_host()


@pytest.fixture(scope="session")
def standin_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("pulumi-home")
    pulumi_cli.write_standin_plugins(home / "plugins", schema_cache=tmp_path_factory.mktemp("schemas"))
    return home


@pytest.fixture
def yaml_runtime(standin_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment a user with the Pulumi CLI and the providers installed has; the host's path."""
    if HOST is None:
        why = f"no {yaml_launcher.HOST}: {yaml_launcher.HOW_TO_GET}"
        if os.environ.get("TIERGUARD_E2E") == "require":
            pytest.fail(f"TIERGUARD_E2E=require: {why}", pytrace=False)
        pytest.skip(why)
    monkeypatch.setenv("PULUMI_HOME", str(standin_home))
    monkeypatch.setenv("PATH", os.pathsep.join([str(HOST.parent), os.environ["PATH"]]))
    return HOST
