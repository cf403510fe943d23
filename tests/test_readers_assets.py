"""Assets and archives of a hostile shape: refused where the readers refuse the rest (exit 2, one line
with the file and the property path), not left for pulumi-policy's deserializer to raise TypeError.

Each bad row is one pulumi-policy or the engine refuses, checked here against the deserializer itself
(``pulumi_policy.deserialize``) or, for the fields pulumi-policy never reads (``hash``), named after the
engine's own refusal (sdk/go/common/resource/asset.Deserialize, archive.Deserialize). The mutations
start from the genuine preview's Lambda code archive (stratify_sample-preview-creates.json).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi_json import CREATES, EXPORT, K8S_EVENTS
from pulumi_policy.deserialize import deserialize_properties

from tierguard.cli import main
from tierguard.evaluate.evaluator import evaluate
from tierguard.model import wire
from tierguard.model.records import InputError
from tierguard.policies.base import Pack, Rule, resource_policy
from tierguard.readers.detect import read_file, read_plan_text, read_stack_text

SIG, ASSET, ARCHIVE = wire.SIG_KEY, wire.ASSET_SIG, wire.ARCHIVE_SIG
STEP = 13  # the step of CREATES whose newState.inputs.code is an archive of one text asset
MEMBER = "__index.js"
PROGRAM = Path(__file__).parent / "fixtures" / "programs" / "capture-assets"


def genuine_code() -> dict[str, Any]:
    doc = json.loads(CREATES.read_text())
    return doc["steps"][STEP]["newState"]["inputs"]["code"]


def asset(**fields: Any) -> dict[str, Any]:
    return {SIG: ASSET, **fields}


def archive(**fields: Any) -> dict[str, Any]:
    return {SIG: ARCHIVE, **fields}


def _member(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda code: edit(code["assets"][MEMBER])


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.__setitem__(key, value)


def _replace(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """The member's content field swapped for another (``text`` -> ``path``, ...)."""
    return lambda d: (d.pop("text"), d.__setitem__(key, value))


def _whole(value: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda code: (code.clear(), code.update(value))


M = f"inputs.code.assets[{MEMBER!r}]"
NOT_STR = "must be a string, got"
# (id, edit of the genuine code archive, "where: problem" in the error, who refuses it)
BAD = [
    ("text-list", _member(_set("text", ["x"])),
     f"{M}.text: an asset's text {NOT_STR} an array", "pulumi-policy"),
    ("text-null", _member(_set("text", None)),
     f"{M}.text: an asset's text {NOT_STR} null", "pulumi-policy"),
    # pulumi-policy reads path first (FileAsset), whatever text holds
    ("path-int", _member(_set("path", 7)),
     f"{M}.path: an asset's path {NOT_STR} a number", "pulumi-policy"),
    ("uri-dict", _member(_replace("uri", {})),
     f"{M}.uri: an asset's uri {NOT_STR} an object", "pulumi-policy"),
    ("asset-without-content", _member(lambda d: d.pop("text")),
     f"{M}: an asset needs path, text or uri", "pulumi-policy"),
    ("asset-hash-int", _member(_set("hash", 1)),
     f"{M}.hash: an asset's hash {NOT_STR} a number", "engine"),
    ("assets-list", lambda code: code.__setitem__("assets", list(code["assets"])),
     "inputs.code.assets: an archive's assets must be an object, got an array", "pulumi-policy"),
    ("archive-path-int", _whole(archive(path=3)),
     f"inputs.code.path: an archive's path {NOT_STR} a number", "pulumi-policy"),
    ("archive-uri-list", _whole(archive(uri=["x"])),
     f"inputs.code.uri: an archive's uri {NOT_STR} an array", "pulumi-policy"),
    ("archive-without-content", _whole(archive(hash="00")),
     "inputs.code: an archive needs assets (an object), path or uri", "pulumi-policy"),
    ("archive-hash-int", _set("hash", 1),
     f"inputs.code.hash: an archive's hash {NOT_STR} a number", "engine"),
    ("member-not-an-asset", lambda code: code["assets"].__setitem__(MEMBER, "exports.handler = 1"),
     f"{M}: an archive's assets must be assets or archives", "pulumi-policy"),
    ("nested-asset-bad", lambda c: c["assets"].__setitem__("lib", archive(assets={"x.js": asset(uri=1)})),
     f"inputs.code.assets.lib.assets['x.js'].uri: an asset's uri {NOT_STR} a number", "pulumi-policy"),
]

# (id, edit, the pulumi class a policy sees): shapes both pulumi-policy and the engine accept.
GOOD = [
    ("genuine", lambda code: None, pulumi.AssetArchive),
    # both text and path: pulumi-policy takes the path (FileAsset), the engine keeps both
    ("text-and-path", _member(_set("path", "index.js")), pulumi.AssetArchive),
    ("secret-placeholder-text", _member(_set("text", "[secret]")), pulumi.AssetArchive),
    ("nested", lambda code: code["assets"].update(
        lib=archive(assets={"a.js": asset(path="a.js"), "b.js": asset(uri="https://example.com/b.js")}),
        vendor=archive(path="vendor.zip"),
    ), pulumi.AssetArchive),
    ("empty-assets", _set("assets", {}), pulumi.AssetArchive),
    ("path-archive", _whole(archive(path="bundle.zip", hash="00")), pulumi.FileArchive),
    # a non-empty path is read first and alone, by the engine and (without assets) by pulumi-policy
    ("path-archive-stray-uri", _whole(archive(path="bundle.zip", uri=5)), pulumi.FileArchive),
    ("uri-archive", _whole(archive(uri="https://example.com/b.zip")), pulumi.RemoteArchive),
]


def edited(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    code = genuine_code()
    edit(code)
    return code


def preview_text(code: Any) -> str:
    doc = json.loads(CREATES.read_text())
    doc["steps"][STEP]["newState"]["inputs"]["code"] = code
    return json.dumps(doc)


def export_text(code: Any, where: str) -> str:
    doc = json.loads(EXPORT.read_text())
    doc["deployment"]["resources"][-1].setdefault(where, {})["code"] = code
    return json.dumps(doc)


def events_text(code: Any) -> str:
    events = [json.loads(line) for line in K8S_EVENTS.read_text().splitlines() if line.strip()]
    metas = [e["resourcePreEvent"]["metadata"] for e in events if "resourcePreEvent" in e]
    meta = next(m for m in metas if (m.get("new") or {}).get("inputs"))
    meta["new"]["inputs"]["code"] = code
    return "".join(json.dumps(e) + "\n" for e in events)


def refused_as_the_cli_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str,
                            commands: tuple[str, ...] = ("check", "plan")) -> None:
    path = tmp_path / "preview.json"
    path.write_text(text)
    for command in commands:
        assert main([command, str(path)]) == 2, command
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1, (command, captured.err)
        assert lines[0].startswith(f"tierguard: {path}: resource urn:pulumi:"), lines[0]
        assert lines[0].endswith(expected), (command, lines[0])
        assert "Traceback" not in captured.err + captured.out


# -- the rows are what pulumi-policy (or the engine) refuses -----------------------------------------


@pytest.mark.parametrize(("edit", "by"), [pytest.param(e, by, id=i) for i, e, _, by in BAD])
def test_each_bad_shape_is_one_the_sdk_refuses(edit, by) -> None:
    props = {"code": edited(edit)}
    if by == "pulumi-policy":
        with pytest.raises((TypeError, AssertionError)):
            deserialize_properties(props)
    else:  # pulumi-policy never reads the field; the engine's Deserialize errors ("unexpected ... hash")
        deserialize_properties(props)


@pytest.mark.parametrize(("edit", "kind"), [pytest.param(e, k, id=i) for i, e, k in GOOD])
def test_each_good_shape_is_one_the_sdk_accepts(edit, kind) -> None:
    assert isinstance(deserialize_properties({"code": edited(edit)})["code"], kind)


# -- through the readers and the CLI ----------------------------------------------------------------


@pytest.mark.parametrize(("edit", "expected"), [pytest.param(e, x, id=i) for i, e, x, _ in BAD])
def test_a_bad_asset_or_archive_is_one_line_naming_the_file_and_property_path(
    tmp_path, capsys, edit, expected
) -> None:
    text = preview_text(edited(edit))
    for read in (read_stack_text, read_plan_text):
        with pytest.raises(InputError) as err:
            read(text, "preview.json")
        assert str(err.value).endswith(expected)
    refused_as_the_cli_runs(tmp_path, capsys, text, expected)


def test_a_bad_asset_in_an_event_stream(tmp_path, capsys) -> None:
    _, edit, expected, _ = BAD[0]
    refused_as_the_cli_runs(tmp_path, capsys, events_text(edited(edit)), expected)


@pytest.mark.parametrize("where", ["inputs", "outputs"])
def test_a_bad_asset_in_a_stack_export(tmp_path, capsys, where) -> None:
    _, edit, expected, _ = BAD[0]
    expected = expected.replace("inputs.", f"{where}.", 1)
    refused_as_the_cli_runs(tmp_path, capsys, export_text(edited(edit), where), expected, ("check",))


# -- good shapes still reach the policies as pulumi-policy's objects ----------------------------------

PROBE = Rule(name="probe-code", title="Probe", description="Records the code a policy sees.", category="iam",
             severity="low", enforcement="advisory", remediation="-")


def seen_code(stack) -> dict[str, Any]:
    """name -> the ``code`` property as a policy receives it."""
    seen: dict[str, Any] = {}

    def validate(args, report) -> None:
        if "code" in args.props:
            seen[args.name] = args.props["code"]

    evaluate(stack, [Pack("probe", "Probe.", (resource_policy(PROBE, validate),))])
    return seen


@pytest.mark.parametrize(("edit", "kind"), [pytest.param(e, k, id=i) for i, e, k in GOOD])
def test_good_shapes_pass_and_policies_see_assets_and_archives(tmp_path, capsys, edit, kind) -> None:
    text = preview_text(edited(edit))
    path = tmp_path / "preview.json"
    path.write_text(text)
    for command in ("check", "plan"):
        assert main([command, str(path)]) in (0, 1), command
        captured = capsys.readouterr()
        assert f"{path}:" not in captured.err and "Traceback" not in captured.err, captured.err
    (code,) = seen_code(read_file(str(path))).values()
    assert isinstance(code, kind)
    if isinstance(code, pulumi.AssetArchive):
        assert all(isinstance(a, (pulumi.Asset, pulumi.Archive)) for a in code.assets.values())


def test_the_genuine_text_asset_reaches_the_policy_as_a_string_asset() -> None:
    (code,) = seen_code(read_file(str(CREATES))).values()
    member = code.assets[MEMBER]
    assert isinstance(member, pulumi.StringAsset)
    assert member.text.startswith("exports.handler = __f0;")


# -- a program's own registrations (the capture) --------------------------------------------------------


def test_captured_assets_and_archives_reach_policies_as_the_sdk_built_them(capsys) -> None:
    assert main(["check", str(PROGRAM)]) == 0
    capsys.readouterr()
    from tierguard.readers.program import read_program

    (stack,) = read_program(PROGRAM, stack="dev", references=None, mocks=None, siblings=[])
    seen = seen_code(stack)
    assert {name: type(code) for name, code in seen.items()} == {
        "text": pulumi.AssetArchive, "nested": pulumi.AssetArchive, "file": pulumi.FileArchive,
        "remote": pulumi.RemoteArchive,
    }
    nested = seen["nested"].assets
    assert isinstance(nested["app.py"], pulumi.FileAsset)
    assert isinstance(nested["lib"].assets["remote.py"], pulumi.RemoteAsset)
    assert isinstance(nested["vendor"], pulumi.FileArchive)


def test_a_program_passing_a_hand_made_bad_asset_is_refused_at_its_line(tmp_path, capsys) -> None:
    """The SDK serializes any dict, one carrying the asset signature too; the engine would refuse the
    registration (plugin.UnmarshalPropertyValue -> asset.Deserialize), pulumi-policy would raise."""
    project = tmp_path / "capture-assets"
    shutil.copytree(PROGRAM, project)
    main_py = project / "__main__.py"
    bad = archive(assets={"app.py": asset(text=["x"])})
    lines = main_py.read_text().splitlines()
    lines.append(f'aws.lambda_.Function("bad", runtime="python3.12", handler="a.h", role=ROLE, code={bad!r})')
    main_py.write_text("\n".join(lines) + "\n")
    assert main(["check", str(project)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1, captured.err
    assert err[0] == (
        f"tierguard: __main__.py:{len(lines)}: resource urn:pulumi:dev::capture-assets-app::"
        "aws:lambda/function:Function::bad: inputs.code.assets['app.py'].text: "
        "an asset's text must be a string, got an array"
    )
    assert "Traceback" not in captured.err + captured.out
