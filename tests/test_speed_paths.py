"""The shortcuts the plan guard takes for speed (issue 15) answer exactly what the long way answers.

* the evaluator builds a policy's ``props`` in one walk (:func:`tierguard.evaluate.evaluator._view`)
  instead of deserialising, then proxying, then scanning for secrets: the result must be what pulumi-policy's
  analyzer server builds (``deserialize_properties`` + ``unknown_checking_proxy``, after the protobuf
  ``Struct`` turned integers into floats) -- the same proxy classes and property paths -- and the
  secrets must be exactly what :func:`tierguard.model.wire.secret_strings` finds;
* a built-in policy left at its schema defaults skips the JSON-schema check: every default must pass
  that check, or the shortcut would hide an error;
* ``tierguard`` exits without tearing objects down, yet prints everything and runs exit handlers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, _DictProxy, _ListProxy, unknown_checking_proxy

from benchmarks import generate
from tierguard.evaluate.evaluator import _as_received, _view
from tierguard.model import wire
from tierguard.policies.packs import all_packs
from tierguard.readers.detect import read_file

ROOT = Path(__file__).resolve().parents[1]
CLI_FILES = sorted((ROOT / "tests" / "fixtures" / "pulumi-json").glob("*.json*"))


def _shape(value: Any) -> Any:
    """A proxy tree as plain data, keeping each proxy's class and the property path it reports."""
    if isinstance(value, _DictProxy):
        return ("dict", tuple(value._DictProxy__props_acc),  # type: ignore[attr-defined]
                {k: _shape(v) for k, v in value["__target"].items()})
    if isinstance(value, _ListProxy):
        return ("list", tuple(value._ListProxy__props_acc),  # type: ignore[attr-defined]
                [_shape(v) for v in value["__target"]])
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if hasattr(value, "__dict__"):  # an asset or archive the SDK rebuilt
        return (type(value).__name__, _shape(dict(vars(value))))
    return (type(value).__name__, value)


def _analyzer(inputs: dict[str, Any]) -> Any:
    return unknown_checking_proxy(deserialize_properties(_as_received(inputs)))


SECRET = wire.secret
UNKNOWN = wire.UNKNOWN_STRING
CRAFTED: list[dict[str, Any]] = [
    {},
    {"n": 10, "f": 1.5, "b": True, "none": None, "s": "x", "u": UNKNOWN},
    {"password": SECRET("hunter22"), "port": SECRET(5432), "flag": SECRET(True), "empty": SECRET("")},
    {"nested": {"list": [1, {"deep": SECRET({"k": "v-secret", "n": 7})}, [UNKNOWN, "a"]]}},
    {"placeholder": SECRET(wire.SECRET_PLACEHOLDER), "inner": SECRET([SECRET("twice"), 3.25])},
    {"asset": {wire.SIG_KEY: wire.ASSET_SIG, "text": "print(1)"}},
    {"archive": {wire.SIG_KEY: wire.ARCHIVE_SIG, "assets": {"a.txt": {wire.SIG_KEY: wire.ASSET_SIG,
                                                                      "text": "hello"}}}},
    {"weird keys": {"a.b": 1, "0": [True, False], "": "empty key"}},
]


def _fixture_inputs() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in CLI_FILES:
        stack = read_file(str(path))
        out.extend(r.inputs for r in stack.resources)
        out.extend(r.outputs for r in stack.resources if r.outputs)
    out.extend(r.inputs for r in generate.to_stack(generate.specs(60)).resources)
    return out


@pytest.mark.parametrize("inputs", CRAFTED + _fixture_inputs())
def test_one_walk_builds_what_the_analyzer_builds_and_finds_every_secret(inputs: dict[str, Any]) -> None:
    secrets: set[str] = set()
    view = _view(inputs, [], False, secrets)
    assert _shape(view) == _shape(_analyzer(inputs))
    assert secrets == set(wire.secret_strings(inputs))


def test_an_unknown_read_through_the_view_names_its_path() -> None:
    view = _view({"a": [{"b": UNKNOWN}]}, [], False, set())
    with pytest.raises(UnknownValueError) as caught:
        view["a"][0]["b"]
    assert ".a.0.b can't be known during preview" in caught.value.message
    assert caught.value.props == ["a", "0", "b"]


def test_every_builtin_policy_default_passes_its_own_config_schema() -> None:
    """What lets packconfig skip jsonschema for a built-in policy left at its defaults."""
    checked = 0
    for pack in all_packs():
        for policy in pack.policies:
            schema = policy.config_schema
            properties = dict(schema.properties or {}) if schema else {}
            defaults = {k: v["default"] for k, v in properties.items() if "default" in v}
            validator = jsonschema.Draft7Validator({"type": "object", "properties": properties})
            errors = list(validator.iter_errors(json.loads(json.dumps(defaults))))
            assert not errors, f"{policy.name}: {[e.message for e in errors]}"
            assert not (schema and schema.required), f"{policy.name}: a required property has no default"
            checked += 1
    assert checked > 40


def test_a_bad_config_is_still_refused_and_defaults_need_no_jsonschema(tmp_path: Path) -> None:
    """In a fresh process: a plan without config never imports jsonschema; a wrong value is exit 2."""
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps(generate.preview_document(generate.specs(30), "bench-app")))
    args = ["plan", str(preview), "--format", "json", "--output", str(tmp_path / "o.json")]
    probe = (
        "import sys\n"
        "from tierguard.cli import main\n"
        f"code = main({args!r})\n"
        "print(code, 'jsonschema' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.stdout.split() == ["1", "False"], done.stderr[-2000:]
    bad = tmp_path / "policy.json"
    bad.write_text(json.dumps({"stack-size-limit": {"warnRatio": "high"}}))
    done = subprocess.run(
        [sys.executable, "-m", "tierguard", "plan", str(preview), "--policy-pack-config", str(bad)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert "warnRatio" in done.stderr and "Traceback" not in done.stderr


def test_the_command_prints_everything_before_its_fast_exit(tmp_path: Path) -> None:
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps(generate.preview_document(generate.specs(120), "bench-app")))
    done = subprocess.run(
        [sys.executable, "-m", "tierguard", "plan", str(preview), "--format", "json"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    report = json.loads(done.stdout)  # the whole document arrived: it parses
    assert report["resources"] > 100 and report["violations"]
