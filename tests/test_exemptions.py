"""Exemptions: the shape, expiry on both sides of the date, matching, each source, stale, malformed,
secrets, and parity between the in-process evaluator and the pack served over the analyzer protocol."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import grpc
import pytest

from tierguard.crossguard.analyzer_host import analyze_over_grpc, comparable, launch_pack
from tierguard.crossguard.packconfig import PackConfig
from tierguard.evaluate.evaluator import Evaluator
from tierguard.model.records import Finding, InputError
from tierguard.policies import exemptions as exm
from tierguard.policies.packs import load_pack
from tierguard.report import FORMATS, render
from tierguard.testing import resource, stack, urn

REPO = Path(__file__).resolve().parents[1]
TODAY = "2026-12-01"
BUCKET_URN = urn("gcp:storage/bucket:Bucket", "media", "shop", "dev")


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(exm.CLOCK_ENV, TODAY)


def _item(**over: object) -> dict:
    base = {
        "policy": "storage-deletion-guards",
        "resource": "media",
        "reason": "CI teardown empties the dev bucket",
        "expires": "2026-12-31",
        "approvedBy": "platform-team",
        "ticket": "OPS-42",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def _stack(exemptions: list | None = None, *, secret: bool = False, name: str = "dev"):
    """A dev stack with an unguarded bucket (a storage-deletion-guards finding), a guarded one, and
    a Cloud SQL instance without its deletion protections."""
    st = stack(
        [
            resource("gcp:storage/bucket:Bucket", {"location": "EU", "forceDestroy": True}, "media",
                     project="shop", stack=name),
            resource("gcp:storage/bucket:Bucket", {"location": "EU", "forceDestroy": False}, "logs",
                     project="shop", stack=name),
            resource(
                "gcp:sql/databaseInstance:DatabaseInstance",
                {"databaseVersion": "POSTGRES_16", "deletionProtection": False,
                 "settings": {"tier": "db-f1-micro", "deletionProtectionEnabled": False}},
                "orders-db",
                project="shop",
                stack=name,
            ),
        ],
        project="shop",
        name=name,
    )
    st.config = {"gcp:project": "acme-dev"}
    if exemptions is not None:
        st.config[exm.STACK_KEY] = json.dumps(exemptions)
        if secret:
            st.config_secret_keys = [exm.STACK_KEY]
    st.config_file = "Pulumi.dev.yaml"
    return st


def _evaluate(st, entries: dict | None = None, packs=("storage-protection",)):
    config = PackConfig(entries=entries or {}, source="policy.json")
    return Evaluator([load_pack(p) for p in packs], config).evaluate(st)


def _blocking(result) -> list[tuple[str, str]]:
    return sorted((f.policy, f.urn.rsplit("::", 1)[-1]) for f in result.findings if f.blocking)


# -- the shape ------------------------------------------------------------------------------------


def test_schema_and_dates() -> None:
    [ex] = exm.parse_list([_item()], source="stack", prefix=exm.STACK_KEY)
    assert ex.expires == date(2026, 12, 31) and ex.days_left() == 30 and not ex.expired()
    assert ex.where == "tierguard:exemptions[0]" and ex.approved_by == "platform-team"
    # the day itself is still covered, the day after is not
    assert not ex.expired(date(2026, 12, 31)) and ex.expired(date(2027, 1, 1))
    # YAML's unquoted date and an ISO timestamp are read as the date they name
    [a, b] = exm.parse_list([_item(expires=date(2026, 12, 31)), _item(expires="2026-12-31T00:00:00Z")],
                            source="stack", prefix="x")
    assert a.expires == b.expires == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (_item(reason=None), "reason' is required"),
        (_item(reason="   "), "reason"),
        (_item(expires=None), "expires' is required"),
        (_item(expires="next year"), "expires"),
        (_item(expires="2026-02-30"), "not an ISO date"),
        (_item(expires="2027-12-31"), "395 days ahead; the limit is 180"),
        (_item(policy=None), "'policy' is required"),
        (_item(colour="red"), "Additional properties"),
        (_item(resource=""), "resource"),
    ],
)
def test_malformed_exemptions_name_the_entry(item: dict, problem: str) -> None:
    with pytest.raises(exm.ExemptionError) as err:
        exm.parse_list([_item(), item], source="stack", prefix=exm.STACK_KEY, file="Pulumi.dev.yaml")
    assert err.value.where == "tierguard:exemptions[1]"
    assert err.value.file == "Pulumi.dev.yaml"
    assert problem in err.value.problem


def test_max_days_is_configurable_and_per_policy_entries_imply_their_policy() -> None:
    far = _item(expires="2027-06-01", policy=None)
    book = exm.build(
        stack_config={},
        secret_keys=[],
        policy_config={"all": {"maxExemptionDays": 400}, "storage-deletion-guards": {"exemptions": [far]}},
    )
    assert [e.policy for e in book.per_policy["storage-deletion-guards"]] == ["storage-deletion-guards"]
    with pytest.raises(exm.ExemptionError, match="does not name the policy"):
        exm.parse_list([_item(policy="other")], source="policy", prefix="p.exemptions", policy="p")


@pytest.mark.parametrize(
    ("pattern", "hits"),
    [
        ("media", {"media"}),
        ("m*", {"media"}),
        (BUCKET_URN, {"media"}),
        ("type:gcp:storage/bucket:Bucket", {"media", "logs"}),
        ("type:gcp:storage/*", {"media", "logs"}),
        ("*", {"media", "logs", ""}),
    ],
)
def test_resource_patterns(pattern: str, hits: set[str]) -> None:
    [ex] = exm.parse_list([_item(resource=pattern)], source="stack", prefix="x")
    candidates = {"media": BUCKET_URN, "logs": urn("gcp:storage/bucket:Bucket", "logs", "shop"), "": ""}
    assert {k for k, u in candidates.items() if ex.matches_resource(u)} == hits


# -- each source, in-process ----------------------------------------------------------------------


def test_stack_config_exemption_in_force_and_expired() -> None:
    result = _evaluate(_stack([_item()]))
    assert ("storage-deletion-guards", "media") not in _blocking(result)
    assert ("storage-deletion-guards", "orders-db") in _blocking(result)  # everything else still judged
    [exempted] = result.exempted
    assert exempted.finding.enforcement_level == "mandatory" and exempted.finding.urn.endswith("::media")
    assert "exempted until 2026-12-31: CI teardown empties the dev bucket" in exempted.advisory_message


def test_expired_exemption_fails_again_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(exm.CLOCK_ENV, "2027-01-01")
    result = _evaluate(_stack([_item()]))
    assert result.exempted == []
    [media] = [f for f in result.findings if f.blocking and f.urn.endswith("::media")]
    assert "exemption tierguard:exemptions[0] (storage-deletion-guards on media) expired on 2026-12-31" in (
        media.message
    )


@pytest.mark.parametrize("where", ["policy", "all"])
def test_policy_config_exemptions(where: str) -> None:
    if where == "policy":
        entries = {"storage-deletion-guards": {"exemptions": [_item(policy=None)]}}
        entry = "storage-deletion-guards.exemptions[0]"
    else:
        listed = [_item(policy="storage-deletion-*")]
        entries = {"all": {"enforcementLevel": "mandatory", "exemptions": listed}}
        entry = "all.exemptions[0]"
    result = _evaluate(_stack(), entries)
    assert ("storage-deletion-guards", "media") not in _blocking(result)
    assert [e.exemption.where for e in result.exempted] == [entry]
    assert all(e.exemption.source == "policy" for e in result.exempted)


def test_all_with_settings_but_no_level_is_refused_as_the_cli_does() -> None:
    with pytest.raises(InputError, match="need an `enforcementLevel`"):
        _evaluate(_stack(), {"all": {"exemptions": [_item()]}})


def test_stale_exemption_is_an_advisory_note_of_its_pack_only() -> None:
    stale = _item(resource="gone-bucket")
    result = _evaluate(_stack([_item(), stale]), packs=("storage-protection", "tier-boundaries"))
    notes = [f for f in result.findings if "stale exemption" in f.message]
    assert [(n.pack, n.policy, n.enforcement_level) for n in notes] == [
        ("storage-protection", "storage-deletion-guards", "advisory")
    ]
    assert "tierguard:exemptions[1] (storage-deletion-guards on gone-bucket)" in notes[0].message


def test_malformed_stack_exemption_is_bad_input_naming_file_and_entry() -> None:
    with pytest.raises(InputError) as err:
        _evaluate(_stack([_item(), _item(reason=None)]))
    assert err.value.source == "Pulumi.dev.yaml"
    assert err.value.problem.startswith("tierguard:exemptions[1]: ")


def test_a_secret_reason_is_never_printed() -> None:
    plaintext = "reason-hunter2-plaintext"
    st = _stack([_item(reason=plaintext, approvedBy="secret-approver")], secret=True)
    result = _evaluate(st)
    assert len(result.exempted) == 1
    for fmt in sorted(FORMATS):  # every report format
        out = render(fmt, [result], show_exempted=True)
        assert plaintext not in out and "secret-approver" not in out, fmt
    assert "[secret]" in result.exempted[0].advisory_message
    # a malformed secret entry is reported without echoing its values
    with pytest.raises(InputError) as err:
        _evaluate(_stack([_item(reason=plaintext, expires="soon")], secret=True))
    assert plaintext not in str(err.value) and "soon" not in str(err.value)


def test_exempted_resource_is_not_remediated() -> None:
    result = _evaluate(_stack([_item()]), {"storage-deletion-guards": "remediate"})
    assert [r.urn.rsplit("::", 1)[-1] for r in result.remediations] == ["orders-db"]


# -- parity: the pack served over the analyzer protocol decides the same --------------------------


def _over_grpc(st, entries: dict, pack_name: str = "storage-protection"):
    pack = load_pack(pack_name)
    config = PackConfig(entries=entries)
    with launch_pack(REPO / "policypacks" / pack_name, project=st.project, stack=st.stack) as client:
        remote = analyze_over_grpc(client, st, config.as_sent([pack]))
    return [Finding(d.policy, d.pack, "", d.enforcement_level, d.message, urn=d.urn) for d in remote]


def _local_as_cli_shows(result) -> list[tuple[str, str, str, str]]:
    shown = list(result.findings)
    shown += [Finding(e.finding.policy, e.finding.pack, "", "advisory", e.advisory_message, urn=e.finding.urn)
              for e in result.exempted]
    return comparable(shown)


@pytest.mark.parametrize("today", ["2026-12-01", "2027-01-01"])
def test_parity_through_the_analyzer_protocol(monkeypatch: pytest.MonkeyPatch, today: str) -> None:
    monkeypatch.setenv(exm.CLOCK_ENV, today)
    st = _stack([_item(), _item(resource="gone-bucket"), _item(resource="orders-db", reason="s3cr3t-why")],
                secret=True)
    entries = {
        "all": {
            "enforcementLevel": "mandatory",
            "exemptions": [_item(policy="storage-protect-*", resource="*")],
        },
        "kubernetes-storage-retain": {"exemptions": [_item(policy=None, resource="type:kubernetes:*")]},
    }
    local = _evaluate(st, entries)
    remote = _over_grpc(st, entries)
    assert _local_as_cli_shows(local) == comparable(remote)
    assert not any("s3cr3t-why" in f.message for f in remote)
    if today == "2026-12-01":
        advisories = [f.message.split("\n")[1] for f in remote if f.enforcement_level == "advisory"]
        assert any(line.startswith("exempted until 2026-12-31: [secret]") for line in advisories)
        assert not any(f.enforcement_level == "mandatory" for f in remote)
    else:
        assert any("expired on 2026-12-31" in f.message for f in remote if f.enforcement_level == "mandatory")


def test_malformed_exemptions_are_config_errors_under_the_protocol() -> None:
    pack = load_pack("storage-protection")
    st = _stack([_item(reason=None)])
    with launch_pack(REPO / "policypacks" / "storage-protection", project="shop", stack="dev") as client:
        with pytest.raises(grpc.RpcError) as err:
            client.configure_stack(st)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "Pulumi.dev.yaml: tierguard:exemptions[0]: 'reason' is required" in err.value.details()
    too_far = PackConfig(entries={"storage-deletion-guards": {"exemptions": [_item(expires="2027-12-31")]}})
    with launch_pack(REPO / "policypacks" / "storage-protection", project="shop", stack="dev") as client:
        client.configure_stack(_stack())
        with pytest.raises(grpc.RpcError) as err:
            client.configure(too_far.as_sent([pack]))
        expected = "storage-deletion-guards.exemptions[0]: expires 2027-12-31 is 395 days ahead"
        assert expected in err.value.details()


def test_the_packs_small_schema_reader_agrees_with_jsonschema() -> None:
    import jsonschema

    validator = jsonschema.Draft7Validator(exm.ITEM_SCHEMA)
    cases = [
        _item(), _item(policy=None), _item(reason=None), _item(reason=""), _item(reason=" \t"),
        _item(expires="2026-1-1"), _item(expires="2026-12-31T10:00:00Z"), _item(resource=7),
        _item(ticket=""), _item(extra=True), "not a mapping", [], _item(approvedBy=None, ticket=None),
    ]
    for item in cases:
        assert (exm.schema_problem(item) is None) == validator.is_valid(item), item
