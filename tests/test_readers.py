"""The three CLI-file readers (preview document, engine-event stream, stack export) and detection,
on the genuine files and on the derived GCP/Kubernetes ones (tests/fixtures/SOURCES.md)."""

from __future__ import annotations

import io
import json
import sys

import pytest
from pulumi_json import (
    CREATES,
    EVENTS,
    EXPORT,
    K8S_EVENTS,
    PITFALL,
    PROTECTED,
    REPLACE,
    REPLACE_STEPS,
    UPDATE,
)

from tierguard.cli import main
from tierguard.model import wire
from tierguard.model.records import InputError, Location
from tierguard.readers.detect import read_file, read_plan
from tierguard.readers.export import parse_source_position, wire_inputs


def by_name(stack, name):
    return next(r for r in stack.resources if r.name == name)


# -- genuine previews -------------------------------------------------------------------------------


def test_pitfall_preview_update_with_secret_and_defaults():
    st = read_file(str(PITFALL))
    assert (st.kind, st.project, st.stack) == ("preview", "pitfall", "pit-stack-6f713df454ad4582")
    bucket = by_name(st, "pitfall-1174b83f846341908354ffc0")
    assert bucket.op == "update"
    assert bucket.type == "aws:s3/bucket:Bucket"
    # __defaults is dropped at every depth; the "[secret]" tag becomes a wire secret envelope
    assert "__defaults" not in bucket.inputs and "__defaults" not in bucket.inputs["tags"]
    assert bucket.inputs["tags"]["Customer"] == wire.secret("[secret]")
    assert wire.is_secret(bucket.inputs["tags"]["Customer"])
    assert bucket.step["diffReasons"] == ["tags"]
    assert bucket.old is not None and bucket.old.inputs["tags"]["BillingProject"] == "integration-testing"
    assert (
        bucket.parent == "urn:pulumi:pit-stack-6f713df454ad4582::pitfall::pulumi:pulumi:Stack::"
        "pitfall-pit-stack-6f713df454ad4582"
    )
    assert bucket.provider.startswith(
        "urn:pulumi:pit-stack-6f713df454ad4582::pitfall::pulumi:providers:aws::"
    )
    assert bucket.property_dependencies == {"tags": []}  # the CLI writes null for "no dependencies"


def test_stratify_creates_source_positions_unknowns_and_tags():
    st = read_file(str(CREATES))
    assert len(st.resources) == 16
    assert {r.op for r in st.resources} == {"create"}
    docs = by_name(st, "docs")
    assert docs.location == Location("index.ts", 5, 20)
    attachment = by_name(st, "docsHandler-a1de8170")
    assert wire.is_unknown(attachment.inputs["role"])  # the unknown sentinel is already the wire form
    assert attachment.dependencies  # dependencies kept for stack policies
    assert st.tags == {"pulumi:template": "aws-typescript"}  # from the pulumi:tags config
    assert st.dry_run is True


def test_stratify_show_sames_keeps_every_resource_and_its_op():
    st = read_file(str(UPDATE))
    ops = [r.op for r in st.resources]
    assert ops.count("same") == 15 and ops.count("update") == 1
    fn = next(r for r in st.resources if r.op == "update")
    assert fn.step["detailedDiff"] == {"code": {"kind": "update", "inputDiff": False}}
    # assets and archives keep their wire signatures
    assert fn.inputs["code"][wire.SIG_KEY] == wire.ARCHIVE_SIG


def test_export_reader():
    st = read_file(str(EXPORT))
    assert (st.kind, st.project, st.stack) == ("export", "test", "p-it-runner-storage-bu-777c28be")
    assert st.dry_run is False
    types = [r.type for r in st.resources]
    assert types == ["pulumi:pulumi:Stack", "pulumi:providers:gcp", "gcp:storage/bucket:Bucket"]
    bucket = st.resources[2]
    assert bucket.inputs["forceDestroy"] is True
    assert "__defaults" not in bucket.inputs and "__defaults" not in bucket.inputs["cors"][0]
    assert bucket.provider.endswith("::50477eee-9a99-43b6-a03a-08a2bef2d351")
    assert bucket.op is None and st.resources[1].is_provider


def test_bare_deployment_and_encrypted_secret(tmp_path):
    doc = json.loads(EXPORT.read_text())["deployment"]
    doc["resources"][2]["inputs"]["labels"] = {wire.SIG_KEY: wire.SECRET_SIG, "ciphertext": "v1:abc"}
    doc["resources"].append(
        {**doc["resources"][2], "urn": doc["resources"][2]["urn"] + "-old", "delete": True}
    )
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps(doc))
    st = read_file(str(path))
    assert st.kind == "export" and len(st.resources) == 3  # the pending delete is not part of the stack
    assert st.resources[2].inputs["labels"] == wire.secret("[secret]")


# -- engine events ----------------------------------------------------------------------------------


def test_event_log_replace_folds_to_one_step():
    st, steps = read_plan(str(EVENTS))
    assert (st.kind, st.project, st.stack) == ("events", "aws-ts-webserver", "dev")
    instance = [s for s in steps if s.type == "aws:ec2/instance:Instance"]
    assert len(instance) == 1
    step = instance[0]
    assert step.op == "replace"
    assert step.ops == ["create-replacement", "replace", "delete-replaced"]
    assert step.replace_reasons == ["userData"]
    assert step.detailed_diff == {"userData": {"kind": "update-replace", "inputDiff": False}}
    assert "Hello, Pulumi!" in step.new.inputs["userData"] and "Hello, World!" in step.old.inputs["userData"]
    # the new state has the instance once
    assert [r.name for r in st.resources].count("web-server-www") == 1
    assert st.config == {"aws:region": "us-west-2"}


def test_k8s_event_log_delete_is_not_in_new_state():
    st, steps = read_plan(str(K8S_EVENTS))
    assert {s.op for s in steps} == {"same", "delete", "create", "update"}
    assert "orders-data" not in [r.name for r in st.resources]
    pvc = next(s for s in steps if s.op == "delete")
    assert pvc.old.retain_on_delete is True and pvc.new is None
    assert [d["severity"] for d in st.diagnostics] == ["warning"]
    deploy = by_name(st, "web")
    env = deploy.inputs["spec"]["template"]["spec"]["containers"][0]["env"][0]
    assert wire.is_secret(env["value"])
    crb = by_name(st, "ci-admin")
    assert wire.is_unknown(crb.inputs["metadata"]["name"])
    assert crb.provider.startswith("urn:pulumi:staging::shop-app::pulumi:providers:kubernetes::")


# -- derived GCP previews ---------------------------------------------------------------------------


def test_protected_delete_preview_keeps_delete_out_of_new_state_and_diagnostics():
    st, steps = read_plan(str(PROTECTED))
    assert "orders-db" not in [r.name for r in st.resources]
    delete = next(s for s in steps if s.op == "delete")
    assert delete.old.protect is True
    assert delete.location == Location("__main__.py", 14, 5)
    assert wire.is_secret(delete.old.inputs["rootPassword"])
    assert [d["severity"] for d in st.diagnostics] == ["error", "error"]
    assert "marked for protection" in st.diagnostics[0]["message"]
    assert st.config_secret_keys == ["orders-infra:dbPassword"]


@pytest.mark.parametrize("path", [REPLACE, REPLACE_STEPS])
def test_replace_counted_once_with_or_without_sub_steps(path):
    st, steps = read_plan(str(path))
    bucket_steps = [s for s in steps if s.type == "gcp:storage/bucket:Bucket"]
    assert len(bucket_steps) == 1
    step = bucket_steps[0]
    assert step.op == "replace" and step.forcing_properties() == ["location"]
    assert step.old.inputs["location"] == "EU" and step.new.inputs["location"] == "US"
    new_bucket = [r for r in st.resources if r.type == "gcp:storage/bucket:Bucket"]
    assert len(new_bucket) == 1 and new_bucket[0].op == "replace" and new_bucket[0].old is step.old


def test_sub_steps_recorded_when_shown():
    _, steps = read_plan(str(REPLACE_STEPS))
    bucket = next(s for s in steps if s.type == "gcp:storage/bucket:Bucket")
    assert bucket.ops == ["create-replacement", "replace", "delete-replaced"]


def test_source_positions():
    assert parse_source_position("project:///index.ts#5,20") == Location("index.ts", 5, 20)
    assert parse_source_position("project:///infra/__main__.py#12") == Location("infra/__main__.py", 12, None)
    assert parse_source_position("file:///home/u/p/x.py#3,1") == Location("/home/u/p/x.py", 3, 1)
    assert parse_source_position("") is None
    assert parse_source_position("https://example.com/x#1") is None


def test_wire_inputs_drops_defaults_and_wraps_secrets_at_depth():
    assert wire_inputs({"__defaults": ["a"], "a": [{"__defaults": [], "b": "[secret]"}]}) == {
        "a": [{"b": wire.secret("[secret]")}]
    }


def test_read_file_from_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PITFALL.read_bytes())))
    st = read_file("-")
    assert st.kind == "preview" and st.source == "<stdin>"


# -- bad input --------------------------------------------------------------------------------------

BAD = {
    "empty": ("", "empty file"),
    "blank": ("\n  \n", "empty file"),
    "truncated": (None, "truncated JSON"),
    "malformed": ('{"steps": [}', "invalid JSON at line 1 column 12"),
    "unknown-object": ('{"name": "x"}', "unknown kind of JSON object"),
    "array": ("[1, 2]", "unknown kind of JSON"),
    "no-steps": ('{"config": {}, "duration": 5, "changeSummary": {"create": 2}}', "no steps"),
    "events-bad-line": (
        '{"sequence":0,"timestamp":1,"preludeEvent":{"config":{}}}\n{"sequence":1,',
        "line 2",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_inputs_raise_one_line_input_error(tmp_path, case):
    text, expected = BAD[case]
    if text is None:
        text = PITFALL.read_text()[:2000]
    path = tmp_path / "in.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_file(str(path))
    assert err.value.source == str(path)
    assert expected in err.value.problem
    assert "\n" not in err.value.problem


def test_failed_preview_without_steps_names_the_engine_error(tmp_path):
    path = tmp_path / "failed.json"
    path.write_text(
        json.dumps(
            {
                "config": {},
                "diagnostics": [
                    {
                        "message": "error: Program failed with an unhandled exception:\nKeyError: 'x'\n",
                        "severity": "error",
                    }
                ],
            }
        )
    )
    with pytest.raises(InputError, match="it failed: error: Program failed"):
        read_file(str(path))


def test_empty_steps_with_no_changes_is_an_empty_plan(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"steps": [], "changeSummary": {"same": 3}}))
    st, steps = read_plan(str(path))
    assert st.resources == [] and steps == []


def test_event_line_that_is_not_an_event(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(EVENTS.read_text().splitlines()[0] + '\n{"hello": 1}\n')
    with pytest.raises(InputError, match="line 2 is not an engine event"):
        read_file(str(path))


def test_missing_file():
    with pytest.raises(InputError, match="cannot read"):
        read_file("/nonexistent/preview.json")


# -- `tierguard check` on CLI files -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind", "resources"), [(CREATES, "preview", 15), (EXPORT, "export", 2), (EVENTS, "events", 2)]
)
def test_check_reads_cli_files(path, kind, resources, capsys):
    rc = main(["check", "--pack", "least-privilege-iam", "--format", "json", str(path)])
    doc = json.loads(capsys.readouterr().out)
    assert rc in (0, 1)  # read and evaluated (the pack's verdict is the pack's business)
    assert doc["stacks"][0]["kind"] == kind
    assert doc["resources"] == resources


def test_check_does_not_evaluate_deleted_resources(capsys):
    # judged as an app stack, the deleted Cloud SQL instance would be a datastore in the app tier:
    # its absence from the exact findings is what shows it was not evaluated
    rc = main(["check", "--pack", "tier-boundaries", "--tier", "app", "--format", "json", str(PROTECTED)])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert sorted((v["policy"], v["urn"].rsplit("::", 1)[-1]) for v in doc["violations"]) == [
        ("resource-in-its-tier", "api-key"),
        ("resource-in-its-tier", "orders-sql-client"),
    ]
    assert doc["resources"] == 2  # the secret version and the IAM member; not the deleted instance


def test_check_bad_input_exits_2(tmp_path, capsys):
    path = tmp_path / "empty.json"
    path.write_text("")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tierguard: {path}: empty file") and err.count("\n") == 1
