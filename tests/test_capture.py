"""The offline preview engine: what a Pulumi Python program registers, captured as a preview would see it.

Fixture programs live in tests/fixtures/programs/; lines to check are marked ``# at: <name>`` there.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tierguard.model import wire
from tierguard.model.records import InputError, Resource, Stack
from tierguard.readers.program import read_program, run_info, run_program_outputs

PROGRAMS = Path(__file__).parent / "fixtures" / "programs"
BASIC = PROGRAMS / "capture-basic"
CIPHERTEXT = "AAABAJm3bU1m8yzR+ciphertext+never+shown=="


def read(path: Path, stack: str | None = "dev", **kwargs) -> list[Stack]:
    return read_program(
        path, stack=stack, references=kwargs.get("references"), mocks=kwargs.get("mocks"),
        siblings=kwargs.get("siblings", []),
    )


def marker_line(path: Path, name: str) -> int:
    """The line carrying ``# at: name``: where the test expects the declaration to be located."""
    lines = path.read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# at: {name}"))


def by_name(stack: Stack, name: str) -> Resource:
    return next(r for r in stack.resources if r.name == name)


@pytest.fixture(scope="module")
def dev() -> Stack:
    (stack,) = read(BASIC)
    return stack


# -- the stack and its config -------------------------------------------------------------------


def test_stack_fields(dev: Stack) -> None:
    assert (dev.project, dev.stack, dev.kind) == ("capture-basic", "dev", "program")
    assert dev.source == str(BASIC)
    assert dev.project_file == str(BASIC / "Pulumi.yaml")
    assert dev.dry_run is True
    assert dev.tags == {
        "pulumi:project": "capture-basic",
        "pulumi:runtime": "python",
        "pulumi:description": "Fixture program for the offline capture tests.",
    }
    root = dev.resources[0]
    assert root.is_stack
    assert root.urn == "urn:pulumi:dev::capture-basic::pulumi:pulumi:Stack::capture-basic-dev"
    assert root.location is None  # registered by the SDK, not by the user's code


def test_config_project_defaults_stack_values_and_secure(dev: Stack) -> None:
    assert dev.config == {
        "capture-basic:team": "payments",  # Pulumi.yaml default
        "capture-basic:replicas": "3",  # stack value over the project default, as a string
        "gcp:region": "europe-west1",  # Pulumi.yaml namespaced `value:`
        "capture-basic:suffix": "dev",
        "capture-basic:flags": json.dumps({"public": False, "zones": ["a", "b"]}),
        "capture-basic:dbPassword": "[secret]",
        "gcp:project": "shop-dev-1234",
    }
    assert dev.config_secret_keys == ["capture-basic:dbPassword"]
    # the program saw the same config: structured values arrive as JSON, numbers parse
    outputs = run_info(dev).outputs
    assert outputs["flags"] == {"public": False, "zones": ["a", "b"]}
    labels = by_name(dev, "labelled-dev").inputs["labels"]
    assert (labels["team"], labels["replicas"]) == ("payments", "3")


def test_every_stack_config_when_no_stack_is_given() -> None:
    stacks = read(BASIC, stack=None)
    assert [s.stack for s in stacks] == ["dev", "prod"]
    prod = stacks[1]
    assert prod.config["gcp:region"] == "europe-west4"  # the stack file beats Pulumi.yaml
    assert prod.config["capture-basic:replicas"] == "2"  # Pulumi.yaml default
    assert by_name(prod, "labelled-prod").urn.endswith("::labelled-prod")
    # get_client_config() answers from the stack's gcp:region
    assert by_name(prod, "assets-bucket").inputs["location"] == "europe-west4"


# -- resource options ----------------------------------------------------------------------------


def test_resource_options_are_captured(dev: Stack) -> None:
    db = by_name(dev, "db")
    assert db.type == "gcp:sql/databaseInstance:DatabaseInstance" and db.custom
    assert db.protect and db.retain_on_delete
    assert db.ignore_changes == ["settings"]
    assert db.custom_timeouts == {"create": 1800, "delete": 5400}
    assert "urn:pulumi:dev::capture-basic::gcp:sql/databaseInstance:DatabaseInstance::legacy-db" in (
        db.aliases
    )
    assert db.delete_before_replace is None
    assert "rootPassword" in db.additional_secret_outputs  # declared by the provider SDK
    # camelCase, as the provider receives them
    assert db.inputs == {
        "databaseVersion": "POSTGRES_15",
        "settings": {"tier": "db-custom-1-3840", "availabilityType": "REGIONAL"},
        "deletionProtection": True,
    }
    bucket = by_name(dev, "labelled-dev")
    assert bucket.delete_before_replace is True
    assert not bucket.protect and not bucket.retain_on_delete and bucket.custom_timeouts is None


def test_component_and_parent(dev: Stack) -> None:
    root = dev.resources[0]
    component = by_name(dev, "assets")
    assert component.type == "capture:index:Storage" and component.custom is False
    assert component.parent == root.urn
    child = by_name(dev, "assets-bucket")
    assert child.parent == component.urn
    assert child.urn == (
        "urn:pulumi:dev::capture-basic::capture:index:Storage$gcp:storage/bucket:Bucket::"
        "assets-bucket"
    )
    assert child.inputs == {"location": "europe-west1", "uniformBucketLevelAccess": True}


def test_dependencies_and_property_dependencies(dev: Stack) -> None:
    db, user, account = by_name(dev, "db"), by_name(dev, "app-user"), by_name(dev, "runner")
    assert user.dependencies == [db.urn]
    assert user.property_dependencies["instance"] == [db.urn]
    assert user.property_dependencies["password"] == []
    member = by_name(dev, "runner-viewer")
    assert member.property_dependencies["member"] == [account.urn]
    assert account.urn in by_name(dev, "labelled-dev").dependencies  # depends_on


# -- values a preview does not know, and secrets ------------------------------------------------


def test_outputs_of_other_resources_stay_unknown(dev: Stack) -> None:
    # db_instance.name was not set by the user: the provider computes it, a preview cannot know it
    assert by_name(dev, "app-user").inputs["instance"] == wire.UNKNOWN_STRING
    # a service account's email is computed too, so an IAM member built from it is unknown
    member = by_name(dev, "runner-viewer")
    assert member.inputs["member"] == wire.UNKNOWN_STRING
    assert member.inputs["role"] == "roles/viewer"
    assert member.inputs["project"] == "shop-dev-1234"  # get_project() answered from gcp:project
    assert run_info(dev).outputs["instanceName"] == wire.UNKNOWN_STRING
    assert run_info(dev).outputs["bucketLocation"] == "EU"  # an input the user set is known
    assert all(r.id is None for r in dev.resources if r.op is None)  # creates: no ids yet


def test_secrets_keep_the_secret_envelope(dev: Stack) -> None:
    user = by_name(dev, "app-user")
    assert user.inputs["password"] == wire.secret("[secret]")  # secure: config, never its ciphertext
    labels = by_name(dev, "labelled-dev").inputs["labels"]
    assert labels["token"] == wire.secret("s3cr3t-label")  # pulumi.Output.secret
    assert run_info(dev).outputs["password"] == wire.secret("[secret]")
    everything = json.dumps([r.inputs for r in dev.resources]) + json.dumps(dev.config)
    assert CIPHERTEXT not in everything


# -- source locations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "file", "marker"),
    [
        ("db", "__main__.py", "instance"),
        ("app-user", "__main__.py", "user"),
        ("runner", "__main__.py", "account"),
        ("runner-viewer", "__main__.py", "member"),
        ("assets", "__main__.py", "component"),
        ("labelled-dev", "__main__.py", "labelled"),
        ("assets-bucket", "helpers.py", "child"),
    ],
)
def test_source_line_of_each_declaration(dev: Stack, resource: str, file: str, marker: str) -> None:
    location = by_name(dev, resource).location
    assert location is not None
    assert (location.file, location.line) == (file, marker_line(BASIC / file, marker))


# -- invokes -----------------------------------------------------------------------------------------


def test_invoke_defaults() -> None:
    (stack,) = read(PROGRAMS / "invokes")
    outputs = run_info(stack).outputs
    assert outputs["clientProject"] == "acme-dev"  # from gcp:project
    assert outputs["clientRegion"] == "asia-east1"  # from gcp:region
    assert outputs["projectId"] == "acme-dev"
    assert outputs["thing"] == {}  # an invoke nobody knows answers empty
    policy = by_name(stack, "policy")
    assert json.loads(policy.inputs["policyData"]) == {
        "bindings": [{"role": "roles/storage.objectViewer", "members": ["group:data@acme.example"]}]
    }


def test_invoke_answers_from_the_mocks_file(tmp_path: Path) -> None:
    mocks = tmp_path / "mocks.json"
    mocks.write_text(json.dumps({
        "gcp:organizations/getProject:getProject": {"number": "987654321"},
        "acme:index:getThing": {"size": 3},
    }))
    (stack,) = read(PROGRAMS / "invokes", mocks=str(mocks))
    outputs = run_info(stack).outputs
    assert outputs["projectNumber"] == "987654321"  # overridden
    assert outputs["projectId"] == "acme-dev"  # the rest of the default answer stays
    assert outputs["thing"] == {"size": 3}  # extended


def test_bad_mocks_file(tmp_path: Path) -> None:
    mocks = tmp_path / "mocks.json"
    mocks.write_text('{"truncated": ')
    with pytest.raises(InputError) as err:
        read(PROGRAMS / "invokes", mocks=str(mocks))
    assert err.value.source == str(mocks) and "invalid JSON" in err.value.problem


# -- StackReference ----------------------------------------------------------------------------------


@pytest.fixture
def references(tmp_path: Path) -> Path:
    path = tmp_path / "refs.json"
    path.write_text(json.dumps({"acme/network/prod": {"region": "europe-west1", "token": "[secret]"}}))
    return path


def test_stack_reference_from_file_and_from_a_sibling_run(references: Path) -> None:
    (stack,) = read(PROGRAMS / "ref-app", references=str(references))
    bucket = by_name(stack, "data")
    assert bucket.inputs["location"] == "europe-west1"  # from the --stack-references file
    labels = bucket.inputs["labels"]
    assert labels["namespace"] == "shop"  # from the offline run of ../ref-base
    assert labels["key"] == wire.secret("[secret]")  # a secret output stays secret
    assert labels["email"] == wire.UNKNOWN_STRING  # unknown in ref-base's run stays unknown
    refs = [r for r in stack.resources if r.type == "pulumi:pulumi:StackReference"]
    assert sorted(r.inputs["name"] for r in refs) == ["acme/network/prod", "acme/ref-base/dev"]
    assert all(r.op == "read" for r in refs)
    ref_urns = {r.urn for r in refs}
    assert set(bucket.dependencies) == ref_urns


def test_stack_reference_file_key_without_organization(tmp_path: Path) -> None:
    path = tmp_path / "refs.json"
    path.write_text(json.dumps({"network/prod": {"region": "us-east1"}}))
    (stack,) = read(PROGRAMS / "ref-app", references=str(path))
    assert by_name(stack, "data").inputs["location"] == "us-east1"


def test_stack_reference_found_through_siblings(tmp_path: Path, references: Path) -> None:
    """A referenced project elsewhere is found among the directories checked together."""
    app = tmp_path / "stacks" / "app"
    shutil.copytree(PROGRAMS / "ref-app", app)
    (stack,) = read(app, references=str(references), siblings=[PROGRAMS / "ref-base"])
    assert by_name(stack, "data").inputs["labels"]["namespace"] == "shop"


def test_unresolvable_stack_reference(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read(PROGRAMS / "ref-app")
    assert "acme/network/prod" in err.value.problem
    assert "--stack-references" in err.value.problem


def test_outputs_of_a_run() -> None:
    outputs = run_program_outputs(PROGRAMS / "ref-base", "dev")
    assert outputs == {
        "namespace": "shop",
        "accountEmail": wire.UNKNOWN_STRING,
        "apiKey": wire.secret("[secret]"),
    }


def test_explicit_provider_and_reads(dev: Stack) -> None:
    provider = by_name(dev, "europe")
    assert provider.is_provider and provider.type == "pulumi:providers:gcp"
    assert provider.inputs["region"] == "europe-west4"
    assert provider.location is not None
    assert provider.location.line == marker_line(BASIC / "__main__.py", "provider")
    # the engine's provider reference: "<provider urn>::<provider id>", the id unknown before a create
    assert by_name(dev, "archive").provider == f"{provider.urn}::{wire.UNKNOWN_STRING}"
    existing = by_name(dev, "existing")
    assert (existing.op, existing.id) == ("read", "existing-bucket")
    assert existing.location is not None
    assert existing.location.line == marker_line(BASIC / "__main__.py", "read")


def test_a_referenced_stack_checked_together_runs_once(
    monkeypatch: pytest.MonkeyPatch, references: Path, captures: list[tuple[str, str]]
) -> None:
    from tierguard.readers import load_stacks

    monkeypatch.chdir(PROGRAMS)  # relative paths on the command line, absolute ones for the sibling
    stacks = load_stacks([Path("ref-base"), Path("ref-app")], stack="dev", references=str(references))
    assert [s.project for s in stacks] == ["ref-base", "ref-app"]
    # captured concurrently: either may start first
    assert sorted(project for project, _ in captures) == ["ref-app", "ref-base"]


def test_an_edited_program_is_run_again(tmp_path: Path) -> None:
    project = tmp_path / "invokes"
    shutil.copytree(PROGRAMS / "invokes", project)
    (first,) = read(project)
    main_py = project / "__main__.py"
    main_py.write_text(main_py.read_text().replace('"acme-data"', '"acme-data-2"'))
    (second,) = read(project)
    assert by_name(first, "policy").inputs["bucket"] == "acme-data"
    assert by_name(second, "policy").inputs["bucket"] == "acme-data-2"


# -- inputs whose output has another type -------------------------------------------------------------


def test_policy_document_objects_are_echoed_as_the_provider_would() -> None:
    """A pulumi-aws policy document given as an object (output type: JSON text) must not break the
    program; policies still see the object, with unknown parts unknown."""
    program = PROGRAMS / "capture-aws-documents"
    (stack,) = read(program)
    known = by_name(stack, "known").inputs["assumeRolePolicy"]
    assert known["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    partly = by_name(stack, "partly-unknown").inputs["assumeRolePolicy"]
    assert wire.is_unknown(partly["Statement"][0]["Principal"]["Federated"])
    assert {r.name for r in stack.resources} >= {"known-ssm", "partly-ssm"}
    # The role's own output is the JSON text the provider would return.
    outputs = run_program_outputs(program, "dev")
    assert json.loads(outputs["knownPolicy"])["Statement"][0]["Action"] == "sts:AssumeRole"
