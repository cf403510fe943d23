"""Every AWS and Azure type token the catalogs name exists in the SDK version the README pins, and every
top-level property a rule reads is an input of that type.

The SDKs are large, so the lists were generated from the pinned wheels by ``tools/sdk_tokens.py``
(``make sdk-tokens``) and committed under ``tests/fixtures/sdk-tokens/``; where the SDK is installed
too, the list is checked against the installed package (so a stale list fails)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tierguard.catalog import aws_iam, azure_iam, storage
from tierguard.policies.packs import all_packs

ROOT = Path(__file__).resolve().parents[1]
TOKENS = ROOT / "tests" / "fixtures" / "sdk-tokens"
README = ROOT / "README.md"

sys.path.insert(0, str(ROOT / "tools"))
import sdk_tokens  # noqa: E402

PREFIXES = {"aws": "pulumi-aws", "azure-native": "pulumi-azure-native", "azure": "pulumi-azure"}
TOKEN = re.compile(r"^(aws|azure-native|azure):[A-Za-z0-9/._-]*:[A-Za-z0-9]+$")


def _table(dist: str) -> dict[str, set[str]]:
    path = TOKENS / f"{dist}-{sdk_tokens.PINS[dist]}.tsv"
    out: dict[str, set[str]] = {}
    for line in path.read_text().splitlines():
        token, _, props = line.partition("\t")
        out[token] = set(filter(None, props.split(",")))
    return out


SDK = {prefix: _table(dist) for prefix, dist in PREFIXES.items()}


def _props_of(token: str) -> set[str]:
    return SDK[token.split(":", 1)[0]][token]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def catalog_strings() -> set[str]:
    return {s for pack in all_packs() for s in _strings(pack.catalogs)}


def test_the_lists_are_the_pinned_versions_named_in_the_readme() -> None:
    readme = README.read_text()
    for dist, version in sdk_tokens.PINS.items():
        assert (TOKENS / f"{dist}-{version}.tsv").is_file()
        assert f"{dist} {version}" in readme, f"README does not name {dist} {version}"
    assert len(SDK["aws"]) > 1500 and len(SDK["azure-native"]) > 2000 and len(SDK["azure"]) > 1000


def test_every_cloud_token_in_the_catalogs_exists_in_its_sdk() -> None:
    tokens = {s for s in catalog_strings() if TOKEN.match(s)}
    assert len(tokens) > 60  # the AWS and Azure rows of every pack's tables
    missing = sorted(t for t in tokens if t not in SDK[t.split(":", 1)[0]])
    assert missing == []


def test_every_cloud_pattern_in_the_catalogs_matches_a_token() -> None:
    from tierguard.policies.props import type_matches

    patterns = {
        s for s in catalog_strings() if s.split(":", 1)[0] in PREFIXES and ("*" in s or "?" in s) and ":" in s
    }
    dead = sorted(pat for pat in patterns if not any(type_matches(t, pat) for t in SDK[pat.split(":", 1)[0]]))
    assert dead == []


def _first(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _read_properties() -> list[tuple[str, str]]:
    """(type, top-level property) pairs the AWS/Azure rules read."""
    pairs = [(t, _first(path)) for t, docs in aws_iam.POLICY_DOCUMENTS.items() for path, _ in docs]
    pairs += [(t, key) for t, (key, _) in aws_iam.POLICY_ATTACHMENTS.items()]
    pairs += [(aws_iam.EKS_ACCESS_POLICY_ASSOCIATION, k) for k in ("policyArn", "accessScope")]
    pairs += [(t, k) for t, keys in azure_iam.ROLE_ASSIGNMENTS.items() for k in keys if k]
    pairs += [(t, k) for t in azure_iam.ROLE_ASSIGNMENTS for k in ("principalId",)]
    pairs += [(t, "permissions") for t in azure_iam.ROLE_DEFINITIONS]
    pairs += [(t, k) for t in azure_iam.FEDERATED_CREDENTIALS for k in ("issuer", "subject")]
    pairs += [
        (t, spec[0])
        for table in (azure_iam.AKS_LOCAL_ACCOUNTS, azure_iam.PUBLIC_BLOB_ACCESS)
        for t, spec in table.items()
    ]
    for cloud in ("aws", "azure"):
        specs = storage.CLOUD_STORAGE_SPECS[cloud]
        pairs += [(t, _first(g.path)) for t, spec in specs.items() for g in spec.guards]
    pairs += [(t, k) for t, keys in storage.AZURE_LOCK_TYPES.items() for k in keys.scope_properties]
    return pairs


def test_every_property_the_rules_read_is_an_input_of_its_type() -> None:
    pairs = _read_properties()
    assert len(pairs) > 40
    missing = sorted(f"{t}.{k}" for t, k in pairs if k not in _props_of(t))
    assert missing == []


@pytest.mark.parametrize(
    "dist", [d for d in sdk_tokens.PINS if importlib.util.find_spec(d.replace("-", "_"))]
)
def test_installed_sdk_registers_exactly_the_committed_tokens(dist: str) -> None:
    """Where an SDK is installed (`make` installs pulumi-aws and pulumi-azure-native, the `cloud`
    extra, for the examples), the committed list must be the one generated from that very version."""
    assert importlib.metadata.version(dist) == sdk_tokens.PINS[dist]
    package = Path(importlib.util.find_spec(dist.replace("-", "_")).origin).parent
    installed = sdk_tokens.tokens_of_directory(package)
    prefix = next(p for p, d in PREFIXES.items() if d == dist)
    assert installed == {t: sorted(props) for t, props in SDK[prefix].items()}
