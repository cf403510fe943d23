"""Every reader survives hostile input: the genuine CLI files, mutated (keys deleted, types swapped,
steps duplicated), go through every reader, `check` and `plan` in-process -- exit 0, 1 or 2, never a
traceback. Deterministic: hypothesis derandomized, no deadline, no example database.

`make fuzz` runs the same strategy 10,000 times and prints the counts (benchmarks/fuzz.py).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from benchmarks.fuzz import FIXTURE_FILES, dump, duplicated_steps, load_fixture, mutated, run_case
from tierguard.cli import main
from tierguard.model.records import InputError
from tierguard.readers import schema
from tierguard.readers.detect import read_plan_text, read_stack_text

DETERMINISTIC = settings(
    derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True
)


def deterministic(max_examples: int) -> settings:
    return settings(DETERMINISTIC, max_examples=max_examples)


@deterministic(250)
@given(mutated())
def test_mutated_cli_files_never_crash_a_reader_check_or_plan(tmp_path_factory, case) -> None:
    name, text, mutations = case
    outcome = run_case(text, tmp_path_factory.mktemp("fuzz"))
    assert not outcome.tracebacks, (name, [(m.kind, m.path) for m in mutations], outcome.tracebacks)
    for label in ("check", "plan"):
        assert outcome.results[label] in ("exit 0", "exit 1", "exit 2"), (label, outcome.results)


def _plan_exit(text: str, directory: Path, capsys) -> int:
    path = directory / "plan.json"
    path.write_text(text)
    code = main(["plan", str(path), "--format", "json"])
    capsys.readouterr()
    return code


@pytest.fixture(scope="module")
def blocking_originals(tmp_path_factory) -> dict[str, int]:
    """Plan exit code of each unmutated fixture."""
    directory = tmp_path_factory.mktemp("originals")
    codes = {}
    for name in FIXTURE_FILES:
        doc, lines = load_fixture(name)
        path = directory / name
        path.write_text(dump(doc, lines))
        codes[name] = main(["plan", str(path), "--format", "json"])
    return codes


@deterministic(60)
@given(duplicated_steps())
def test_a_duplicated_step_never_turns_a_blocked_plan_into_a_pass(
    tmp_path_factory, capsys, blocking_originals, case
) -> None:
    name, text = case
    code = _plan_exit(text, tmp_path_factory.mktemp("dup"), capsys)
    assert code in (0, 1, 2)
    if blocking_originals[name] == 1:
        assert code in (1, 2), name


@deterministic(150)
@given(mutated())
def test_the_fast_check_agrees_with_json_schema(case) -> None:
    """The readers decide with closures compiled from the schemas; jsonschema is the reference."""
    name, text, _ = case
    if name.endswith(".jsonl"):
        docs = [(json.loads(line), "event") for line in text.splitlines() if line.strip().startswith("{")]
    else:
        doc = json.loads(text)
        kind = "export" if isinstance(doc, dict) and ("deployment" in doc or "manifest" in doc) else "preview"
        docs = [(doc, kind)]
    for doc, kind in docs:
        reference = Draft202012Validator(schema.SCHEMAS[kind]).is_valid(doc)
        assert schema.fast_check(kind)(doc) == reference, (name, kind)


# -- the one-line errors name the JSON path ----------------------------------------------------------


def _mutate(name: str, edit) -> str:
    doc, lines = load_fixture(name)
    edit(doc)
    return dump(doc, lines)


@pytest.mark.parametrize(
    ("name", "edit", "expected"),
    [
        ("stratify_sample-preview-update.json", lambda d: d["steps"][3]["newState"].__setitem__("urn", [1]),
         "at $.steps[3].newState.urn: expected a string, got an array"),
        ("derived_gcp-large_preview.json", lambda d: d["steps"][26]["newState"].__setitem__("provider", 1.5),
         "at $.steps[26].newState.provider: expected a string or null, got a number"),
        ("stratify_sample-preview-update.json",
         lambda d: d["steps"][5]["oldState"]["propertyDependencies"].__setitem__("policyArn", 7),
         "at $.steps[5].oldState.propertyDependencies.policyArn: expected an array or null, got a number"),
        ("derived_gcp-protected-delete_preview.json", lambda d: d.__setitem__("steps", True),
         "at $.steps: expected an array or null, got a boolean"),
        ("derived_gcp-bucket-replace-steps_preview.json", lambda d: d.__setitem__("config", "x"),
         "at $.config: expected an object or null, got a string"),
        ("stratify_sample-preview-creates.json", lambda d: d["steps"][2].pop("op"),
         "at $.steps[2]: `op` is a required property"),
        ("derived_gcp-protected-delete_preview.json", lambda d: d["steps"][1].__setitem__("op", "purge"),
         'at $.steps[1].op: "purge" is not one of the operations the Pulumi engine reports'),
        ("pulumi-gcp_storage-bucket_stack-export.json",
         lambda d: d["deployment"]["resources"][2].__setitem__("dependencies", {"a": 1}),
         "at $.deployment.resources[2].dependencies: expected an array or null, got an object"),
        ("derived_k8s-pvc-delete_event-log.jsonl", lambda d: d[6]["diagnosticEvent"].__setitem__("urn", {}),
         ":7: not a valid engine event at $.diagnosticEvent.urn: expected a string or null, got an object"),
        ("stratify_sample-preview-creates.json",
         lambda d: d["steps"][13]["newState"]["inputs"]["code"].__setitem__(
             "4dabf18193072939515e22adb298388d", 0.0),
         "inputs.code: unknown Pulumi signature 0.0"),
    ],
)
def test_wrong_structure_is_one_line_naming_the_json_path(tmp_path, capsys, name, edit, expected) -> None:
    text = _mutate(name, edit)
    with pytest.raises(InputError) as err:
        read_stack_text(text, "doc.json")
    assert expected in str(err.value)
    if "export" not in name:
        with pytest.raises(InputError):
            read_plan_text(text, "doc.json")
    path = tmp_path / "doc.json"
    path.write_text(text)
    for command in ("check", "plan"):
        if command == "plan" and "export" in name:
            continue
        assert main([command, str(path)]) == 2
        err_lines = capsys.readouterr().err.strip().splitlines()
        assert len(err_lines) == 1 and expected in err_lines[0], (command, err_lines)


def test_the_genuine_files_are_valid() -> None:
    for name in FIXTURE_FILES:
        doc, lines = load_fixture(name)
        if lines:
            assert all(schema.fast_check("event")(e) for e in doc), name
        else:
            kind = "export" if "deployment" in doc else "preview"
            schema.validate(copy.deepcopy(doc), kind, name)
            assert Draft202012Validator(schema.SCHEMAS[kind]).is_valid(doc), name


def test_schemas_are_valid_json_schema() -> None:
    for body in schema.SCHEMAS.values():
        Draft202012Validator.check_schema(body)


def test_hypothesis_is_configured_deterministically() -> None:
    assert DETERMINISTIC.derandomize and DETERMINISTIC.deadline is None and DETERMINISTIC.database is None
