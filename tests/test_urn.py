"""The one URN parser (tierguard.model.urn): every layer that reads a URN uses it."""

from __future__ import annotations

import pytest

from tierguard.model.urn import name_of_urn, names_from_urns, project_of_urn, split_urn, stack_of_urn

NESTED = "urn:pulumi:prod::shop-app::my:component:Thing$gcp:storage/bucket:Bucket::b"


def test_split_urn_drops_parent_qualifiers():
    assert split_urn(NESTED) == ("prod", "shop-app", "gcp:storage/bucket:Bucket", "b")


def test_name_may_contain_the_delimiter():
    # The engine splits a URN into at most four parts: the name keeps its own "::".
    urn = "urn:pulumi:dev::proj::kubernetes:core/v1:ConfigMap::ns::cm"
    assert split_urn(urn) == ("dev", "proj", "kubernetes:core/v1:ConfigMap", "ns::cm")
    assert name_of_urn(urn) == "ns::cm"


@pytest.mark.parametrize("text", ["not-a-urn", "urn:pulumi:dev::proj", "urn:other:a::b::c::d"])
def test_not_a_resource_urn(text: str):
    assert split_urn(text) == ("", "", "", text)
    assert name_of_urn(text) == text


def test_project_and_stack():
    assert project_of_urn(NESTED) == "shop-app"
    assert stack_of_urn(NESTED) == "prod"
    assert project_of_urn(None) is None and stack_of_urn("") is None
    assert project_of_urn("urn:pulumi:dev::::t::n") is None


def test_names_from_first_well_formed_urn():
    assert names_from_urns(["junk", NESTED]) == ("shop-app", "prod")
    assert names_from_urns(["junk"]) == ("unknown", "unknown")
