"""The stand-in schemas (tools/pulumi/plugins/standin_schema.py) that let the real Pulumi YAML host
resolve types and properties against the stand-in providers.

They are read from the Python SDKs' source text, so they are checked here against the same SDKs
imported: every resource class of a module is in the schema under its `pulumi_type` token, with
its `*Args` getters' wire names as the inputs; secrets, constants, components, functions and the
provider come out as the SDK declares them; the disk cache is used once written.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from pathlib import Path

import pulumi
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "pulumi" / "plugins"))

import standin_schema  # noqa: E402

# (package, SDK module imported to compare with) -- small modules of each SDK
MODULES = [
    ("gcp", "pulumi_gcp.sql"),
    ("gcp", "pulumi_gcp.storage"),
    ("kubernetes", "pulumi_kubernetes.apps.v1"),
    ("aws", "pulumi_aws.dynamodb"),
    ("azure-native", "pulumi_azure_native.keyvault"),
]


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict]:
    return {package: standin_schema.generate(package) for package in {p for p, _ in MODULES}}


def _wire_names(cls: type) -> set[str]:
    """The names the SDK sends for a class's properties (`@pulumi.getter(name=...)`), by introspection."""
    return {
        value.fget._pulumi_name
        for value in vars(cls).values()
        if isinstance(value, property) and hasattr(value.fget, "_pulumi_name")
    }


@pytest.mark.parametrize(("package", "module_name"), MODULES)
def test_every_resource_of_a_module_with_its_input_names(schemas, package: str, module_name: str) -> None:
    module = importlib.import_module(module_name)
    getattr(module, "load", None)  # the SDKs' modules are lazy: an attribute access loads them
    resources = schemas[package]["resources"]
    compared = 0
    for name, cls in vars(module).items():
        token = getattr(cls, "pulumi_type", None)
        if not (inspect.isclass(cls) and issubclass(cls, pulumi.CustomResource) and token):
            continue
        args = getattr(module, f"{name}InitArgs", None) or getattr(module, f"{name}Args")
        assert set(resources[token]["inputProperties"]) == _wire_names(args), token
        assert set(resources[token]["properties"]) >= _wire_names(cls) - {"id", "urn"}, token
        compared += 1
    assert compared >= 2, module_name


def test_what_the_sdk_declares_beyond_names(schemas) -> None:
    gcp, k8s = schemas["gcp"], schemas["kubernetes"]
    sql = gcp["resources"]["gcp:sql/databaseInstance:DatabaseInstance"]
    assert sql["inputProperties"]["rootPassword"].get("secret") is True  # additional_secret_outputs
    assert "secret" not in sql["inputProperties"]["databaseVersion"]
    assert {"connectionName", "privateIpAddress"} <= set(sql["properties"])
    deployment = k8s["resources"]["kubernetes:apps/v1:Deployment"]
    assert deployment["properties"]["kind"] == {"type": "string", "const": "Deployment"}
    assert deployment["properties"]["apiVersion"] == {"type": "string", "const": "apps/v1"}
    assert {"type": "kubernetes:apps/v1beta1:Deployment"} in deployment["aliases"]
    assert k8s["resources"]["kubernetes:helm.sh/v4:Chart"].get("isComponent") is True
    assert "isComponent" not in deployment
    project = gcp["functions"]["gcp:organizations/getProject:getProject"]
    assert set(project["inputs"]["properties"]) == {"projectId"}
    assert {"number", "projectId"} <= set(project["outputs"]["properties"])
    assert {"project", "region"} <= set(gcp["provider"]["inputProperties"])
    assert gcp["name"] == "gcp" and gcp["version"] == standin_schema.sdk_version("gcp")


def test_the_schema_is_cached_on_disk_per_sdk_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = standin_schema.cache_path("kubernetes")
    assert path.is_relative_to(tmp_path) and standin_schema.sdk_version("kubernetes") in path.name
    first = standin_schema.schema_json("kubernetes")
    assert json.loads(path.read_text()) == json.loads(first)
    path.write_text('{"name": "kubernetes", "resources": {"marker": {}}}')  # a hit reads the file
    assert json.loads(standin_schema.schema_json("kubernetes"))["resources"] == {"marker": {}}
