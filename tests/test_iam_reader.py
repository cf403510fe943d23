"""The one GCP IAM reader: every IAM type of the installed pulumi-gcp turns into Grant records."""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from tierguard.model import wire
from tierguard.policies.iam_reader import Grant, iam_kind, read_grants, scope_of
from tierguard.policies.props import UNKNOWN, to_plain
from tierguard.testing import UNKNOWN as UNKNOWN_WIRE


def _registered_gcp_types() -> list[str]:
    """Every resource type token pulumi-gcp registers (read from its module registry, not imported)."""
    spec = importlib.util.find_spec("pulumi_gcp")
    assert spec and spec.origin
    text = Path(spec.origin).read_text(encoding="utf-8")
    return sorted(set(re.findall(r'"(gcp:[A-Za-z0-9/]+:[A-Za-z0-9]+)": "', text)))


GCP_TYPES = _registered_gcp_types()
IAM_TYPES = [t for t in GCP_TYPES if iam_kind(t)]


def proxied(inputs: dict) -> object:
    """Props exactly as a policy receives them from the analyzer."""
    return unknown_checking_proxy(deserialize_properties(inputs))


def test_all_474_iam_types_are_recognised_in_three_shapes() -> None:
    assert len(GCP_TYPES) > 1400
    assert len(IAM_TYPES) == 474
    assert Counter(iam_kind(t) for t in IAM_TYPES) == {"member": 158, "binding": 158, "policy": 158}


@pytest.mark.parametrize(
    "token",
    [
        "gcp:projects/iAMCustomRole:IAMCustomRole",
        "gcp:projects/iamMemberRemove:IamMemberRemove",
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        "gcp:organizations/iamAuditConfig:IamAuditConfig",
        "gcp:serviceaccount/key:Key",
        "gcp:storage/bucketACL:BucketACL",
        "aws:iam/policy:Policy",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    ],
)
def test_non_grant_types_are_not_iam_types(token: str) -> None:
    assert iam_kind(token) is None
    assert read_grants(token, {"role": "roles/owner", "member": "user:a@example.com"}) is None


VIEWER_BINDING = {"role": "roles/viewer", "members": ["user:a@example.com"]}


def test_every_iam_type_reads_into_one_shape() -> None:
    shapes = {
        "member": {"role": "roles/viewer", "member": "user:a@example.com"},
        "binding": {"role": "roles/viewer", "members": ["user:a@example.com", "group:g@example.com"]},
        "policy": {"policyData": json.dumps({"bindings": [VIEWER_BINDING]})},
    }
    scopes = Counter()
    for token in IAM_TYPES:
        kind = iam_kind(token)
        grants = read_grants(token, proxied(shapes[kind]))
        assert grants and all(g.role == "roles/viewer" for g in grants), token
        assert grants[0].members[0] == "user:a@example.com"
        assert grants[0].source_kind == kind and grants[0].authoritative == (kind != "member")
        scopes[grants[0].scope_kind] += 1
    # 3 types each for organizations, folder and projects; every other IAM type grants on one resource.
    assert scopes == {"organization": 3, "folder": 3, "project": 3, "resource": 465}


@pytest.mark.parametrize(
    ("token", "scope"),
    [
        ("gcp:organizations/iAMMember:IAMMember", "organization"),
        ("gcp:folder/iAMBinding:IAMBinding", "folder"),
        ("gcp:projects/iAMPolicy:IAMPolicy", "project"),
        ("gcp:serviceaccount/iAMMember:IAMMember", "resource"),
        ("gcp:storage/bucketIAMMember:BucketIAMMember", "resource"),
        ("gcp:bigquery/datasetIamMember:DatasetIamMember", "resource"),
    ],
)
def test_scope_comes_from_the_module(token: str, scope: str) -> None:
    assert token in GCP_TYPES
    assert scope_of(token) == scope


def test_policy_data_with_several_bindings_and_a_condition() -> None:
    document = {
        "bindings": [
            {"role": "roles/owner", "members": ["group:admins@example.com"]},
            {
                "role": "roles/storage.admin",
                "members": ["serviceAccount:ci@p.iam.gserviceaccount.com", "user:b@example.com"],
                "condition": {
                    "title": "expires",
                    "expression": 'request.time < timestamp("2030-01-01T00:00:00Z")',
                },
            },
            {"role": "roles/viewer", "members": []},
        ],
        "auditConfigs": [{"service": "allServices"}],
    }
    props = proxied({"project": "p", "policyData": json.dumps(document)})
    grants = read_grants("gcp:projects/iAMPolicy:IAMPolicy", props)
    assert [g.role for g in grants] == ["roles/owner", "roles/storage.admin", "roles/viewer"]
    assert grants[1].members == ("serviceAccount:ci@p.iam.gserviceaccount.com", "user:b@example.com")
    assert [g.conditional for g in grants] == [False, True, False]
    assert grants[2].members == () and not grants[2].has_unknown_members
    assert all(g.scope_kind == "project" and g.authoritative and g.source_kind == "policy" for g in grants)


def test_secret_policy_data_is_parsed() -> None:
    document = json.dumps({"bindings": [{"role": "roles/editor", "members": ["user:a@example.com"]}]})
    inputs = {"policyData": wire.secret(document)}
    for props in (inputs, proxied(inputs)):  # wire form and analyzer form
        (grant,) = read_grants("gcp:folder/iAMPolicy:IAMPolicy", props)
        assert grant.role == "roles/editor" and grant.scope_kind == "folder"


@pytest.mark.parametrize("document", [UNKNOWN_WIRE, "{not json", json.dumps(["bindings"])])
def test_unknown_or_unreadable_policy_data_is_one_unknown_grant(document: str) -> None:
    (grant,) = read_grants("gcp:projects/iAMPolicy:IAMPolicy", proxied({"policyData": document}))
    assert grant.role is UNKNOWN and grant.members is UNKNOWN and grant.has_unknown_members


def test_unknown_members_and_roles_do_not_raise() -> None:
    props = proxied({"role": "roles/owner", "member": UNKNOWN_WIRE})
    (member,) = read_grants("gcp:projects/iAMMember:IAMMember", props)
    assert member.role == "roles/owner" and member.has_unknown_members and member.known_members == ()
    (binding,) = read_grants(
        "gcp:projects/iAMBinding:IAMBinding",
        proxied({"role": UNKNOWN_WIRE, "members": ["user:a@example.com", UNKNOWN_WIRE]}),
    )
    assert binding.role is UNKNOWN and binding.known_members == ("user:a@example.com",)
    assert binding.has_unknown_members
    (whole,) = read_grants(
        "gcp:projects/iAMBinding:IAMBinding", proxied({"role": "roles/editor", "members": UNKNOWN_WIRE})
    )
    assert whole.members is UNKNOWN and whole.has_unknown_members


@pytest.mark.parametrize(
    ("condition", "conditional"),
    [
        (None, False),
        ({"title": "always", "expression": "true"}, False),
        ({"title": "prefix", "expression": 'resource.name.startsWith("projects/_/buckets/logs")'}, True),
        ({"title": "computed", "expression": UNKNOWN_WIRE}, True),
        (UNKNOWN_WIRE, True),
    ],
)
def test_condition(condition: object, conditional: bool) -> None:
    inputs = {"role": "roles/owner", "member": "user:a@example.com"}
    if condition is not None:
        inputs["condition"] = condition
    (grant,) = read_grants("gcp:projects/iAMMember:IAMMember", proxied(inputs))
    assert grant.conditional is conditional


def test_thaw_turns_proxies_into_plain_data() -> None:
    props = proxied({"a": [1, UNKNOWN_WIRE, {"b": UNKNOWN_WIRE}], "s": wire.secret("x")})
    assert to_plain(props) == {"a": [1, UNKNOWN, {"b": UNKNOWN}], "s": "x"}
    assert isinstance(read_grants("gcp:projects/iAMMember:IAMMember", {"role": "r", "member": "m"})[0], Grant)
