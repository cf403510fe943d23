"""One glob matcher, one case rule: type tokens ignore case, everything else is exact."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from tierguard.catalog.datastores import DATASTORE_PATTERNS
from tierguard.model import globs
from tierguard.plan.kinds import is_storage
from tierguard.policies.exemptions import Exemption
from tierguard.policies.skip import skipped as resource_allowed

BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"


@pytest.mark.parametrize(
    ("token", "pattern", "expected"),
    [
        (BINDING, "gcp:storage/bucketIamBinding:BucketIamBinding", True),  # exact, other case
        (BINDING, "gcp:storage/bucket*:*", True),
        (BINDING, "GCP:STORAGE/*", True),
        (BINDING, "gcp:sql/*", False),
        (BINDING, "gcp:storage/bucketIAMBinding", False),  # no glob: the whole token
    ],
)
def test_type_tokens_match_whatever_the_case(token: str, pattern: str, expected: bool) -> None:
    assert globs.type_matches(token, pattern) is expected


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("group:admins@example.com", "group:*@example.com", True),
        ("group:admins@example.com", "GROUP:*@example.com", False),
        ("roles/owner", "roles/owner", True),
        ("roles/owner", "roles/Owner", False),
        ("roles/[o]wner", "roles/[o]wner", False),  # a pattern with a glob is a glob
    ],
)
def test_names_roles_and_members_match_exactly(value: str, pattern: str, expected: bool) -> None:
    assert globs.matches(value, pattern) is expected


def test_unknown_or_missing_values_never_match() -> None:
    assert not globs.matches_any(None, ["*"])
    assert not globs.matches_any("x", None)
    assert not globs.type_matches_any(BINDING, [])


def test_allowlisted_resources_follow_the_rule() -> None:
    """``allowedResources`` takes names, URNs and type tokens: the type part ignores case."""
    args = SimpleNamespace(name="site", urn=f"urn:pulumi:dev::web::{BINDING}::site", resource_type=BINDING)
    assert resource_allowed(args, ["gcp:storage/bucketiambinding:*"])
    assert resource_allowed(args, ["site"])
    assert not resource_allowed(args, ["SITE"])


def _exemption(resource: str) -> Exemption:
    return Exemption(
        policy="gcp-*", resource=resource, reason="r", expires=date(2099, 1, 1), source="stack", where="w"
    )


def test_exemptions_follow_the_rule() -> None:
    urn = f"urn:pulumi:dev::web::{BINDING}::site"
    assert _exemption("type:gcp:storage/bucketiam*").matches_resource(urn)
    assert _exemption("site").matches_resource(urn)
    assert not _exemption("SITE").matches_resource(urn)
    assert _exemption("site").matches_policy("gcp-no-basic-roles")
    assert not _exemption("site").matches_policy("GCP-no-basic-roles")


def test_the_plan_guard_matches_datastore_types_as_the_packs_do() -> None:
    """`tierguard plan` weighs as storage exactly what the tier-boundaries pack calls a datastore."""
    token = "gcp:oracledatabase/autonomousDatabase:AutonomousDatabase"
    for spelled in (token, token.upper(), token.lower()):
        assert globs.first_match(spelled, DATASTORE_PATTERNS) is not None
        assert is_storage(spelled)
    assert is_storage("gcp:sql/databaseinstance:databaseinstance")
    assert not is_storage("gcp:compute/network:Network")
