"""Users' own packs under the real CLI and under `tierguard check`, side by side (issue 25).

- what a pack sees of its stack (config at load and inside a policy, a secret config value,
  project/stack/organization, dry-run, root directory, the stack's tags, its policy config):
  the pack reports it as advisory findings, and tierguard must report the same findings on the
  same program and on that run's `pulumi preview --json` document;
- a pack that fails (raises at load, raises inside a policy, reports or remediates what the SDK
  rejects, prints to stdout before serving) fails the preview under the CLI, and the check with
  exit 2 and one line under tierguard.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pulumi_cli
import pytest
from conftest import copy_project
from e2e_support import tierguard

HERE = Path(__file__).resolve().parent
PROGRAM = HERE / "programs" / "orders-infra"
SECRET = "yours-s3cret-value"
PROJECT = "orders-infra"
ROOT = f"urn:pulumi:dev::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-dev"

SEEING = '''
import json
import os

import pulumi
from pulumi_policy import PolicyConfigSchema, PolicyPack, ResourceValidationPolicy


def view(stage):
    """What the pack sees of its stack; secret values only as whether they are there."""
    own, named = pulumi.Config(), pulumi.Config("orders-infra")
    return {
        "stage": stage,
        "scenario": own.get("scenario"),
        "named_scenario": named.get("scenario"),
        "secret_there": named.get("dbPassword") is not None,
        "gcp_project": pulumi.Config("gcp").get("project"),
        "project": pulumi.get_project(),
        "stack": pulumi.get_stack(),
        "organization": pulumi.get_organization(),
        "dry_run": pulumi.runtime.is_dry_run(),
        "root_directory": pulumi.runtime.get_root_directory(),
        "env": sorted(k for k in os.environ if k in ("PULUMI_CONFIG", "PULUMI_PROJECT", "PULUMI_STACK")),
    }


AT_LOAD = view("load")


def report(args, report_violation):
    if args.resource_type == "pulumi:pulumi:Stack":
        report_violation(json.dumps(AT_LOAD, sort_keys=True))
        seen = view("policy")
        seen["policy_config"] = dict(args.get_config())
        seen["tags"] = sorted(args.stack_tags)
        report_violation(json.dumps(seen, sort_keys=True))


PolicyPack(
    name="what-a-pack-sees",
    policies=[
        ResourceValidationPolicy(
            name="report-the-view",
            description="What the pack sees.",
            validate=report,
            config_schema=PolicyConfigSchema({"note": {"type": "string"}}),
        )
    ],
)
'''


def _pack(root: Path, name: str, source: str) -> Path:
    pack = root / name
    pack.mkdir(parents=True)
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text(source)
    return pack


def _stack(ws: pulumi_cli.Workspace, tmp_path: Path) -> Path:
    project = copy_project(PROGRAM, tmp_path)
    ws.run("stack", "init", "dev", cwd=project).check()
    ws.run("config", "set", "scenario", "3", cwd=project).check()
    ws.run("config", "set", "--secret", "dbPassword", SECRET, cwd=project).check()
    return project


def _views(messages: list[str]) -> list[dict]:
    """The JSON views in the findings' messages (each is the description, a newline, the view)."""
    return sorted(
        (json.loads(m.split("\n", 1)[1]) for m in messages if "\n{" in m), key=lambda v: v["stage"]
    )


def test_what_a_pack_sees_under_the_cli_and_under_tierguard(ws, tmp_path: Path) -> None:
    project = _stack(ws, tmp_path)
    pack = _pack(tmp_path, "seeing", SEEING)
    config = tmp_path / "seeing.json"
    config.write_text(json.dumps({"report-the-view": {"note": "from the policy config"}}))
    events = tmp_path / "events.jsonl"
    preview = ws.preview(
        project, "dev", "--json", "--event-log", str(events),
        "--policy-pack", str(pack), "--policy-pack-config", str(config),
    )
    assert preview.returncode == 0, preview.stderr[-3000:]
    logged = [e["policyEvent"] for e in pulumi_cli.read_events(events) if "policyEvent" in e]
    under_cli = _views([e["message"] for e in logged if e.get("resourceUrn") == ROOT])
    assert len(under_cli) == 2, logged
    # what the real CLI gives a pack (v3.276, pulumi-policy 1.21): no stack config at all, the
    # SDK's default project/stack/organization/root directory, not a dry run; only the policy
    # config (Configure) and the stack's tags (ConfigureStack) arrive
    load, policy = under_cli
    assert load == {
        "stage": "load", "scenario": None, "named_scenario": None, "secret_there": False,
        "gcp_project": None, "project": "project", "stack": "stack", "organization": "organization",
        "dry_run": False, "root_directory": "root_directory", "env": [],
    }
    assert {k: v for k, v in policy.items() if k not in ("stage", "policy_config", "tags")} == {
        k: v for k, v in load.items() if k != "stage"
    }
    assert policy["policy_config"] == {"note": "from the policy config"}

    document = tmp_path / "preview.json"
    document.write_text(preview.stdout)
    for target in (project, document):
        args = ["check", str(target), "--policy-pack", str(pack), "--policy-pack-config", str(config),
                "--format", "json"]
        if target == project:
            args += ["--stack", "dev"]
        out = tierguard(*args, cwd=project)
        assert out.returncode == 0, out.stderr[-3000:]
        mine = _views([v["message"] for v in json.loads(out.stdout)["violations"] if v["urn"] == ROOT])
        tags = mine[1].pop("tags")
        assert mine == [under_cli[0], {k: v for k, v in under_cli[1].items() if k != "tags"}], target.name
        # the one difference (README, "Your own policy packs"): a local backend has no stack tags of
        # its own; tierguard gives a program the tags Pulumi Cloud adds to every stack
        assert under_cli[1]["tags"] == []
        cloud = ["pulumi:description", "pulumi:project", "pulumi:runtime"]
        assert tags == (cloud if target == project else [])
        assert SECRET not in out.stdout + out.stderr


FAILING = '''
import sys
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

{at_load}


def judge(args, report_violation):
    if args.resource_type == "gcp:compute/network:Network":
        {body}


def fix(args):
    if args.resource_type == "gcp:compute/network:Network":
        return {returned}


PolicyPack(
    name="failing-pack",
    enforcement_level=EnforcementLevel.{level},
    policies=[ResourceValidationPolicy(name="judge-networks", description="Judge networks.",
                                       validate=judge, remediate=fix)],
)
'''
NETWORK = f"urn:pulumi:dev::{PROJECT}::gcp:compute/network:Network::vpc"

# case -> (the pack's parts, what the CLI says, what tierguard's one line says)
CASES = {
    "raises-at-load": (
        {"at_load": "raise RuntimeError('rules table is broken')"},
        "rules table is broken",
        "__main__.py:5: policy pack failing: RuntimeError: rules table is broken (traceback: ",
    ),
    "raises-in-a-policy": (
        {"body": "raise ValueError('no rule for ' + args.name)"},
        "no rule for vpc",
        f"policy pack failing-pack: policy judge-networks: resource {NETWORK}: ValueError: no rule for vpc",
    ),
    "reports-a-number": (
        {"body": "report_violation(42)"},
        "Expected message to be a string",
        f"policy judge-networks: resource {NETWORK}: TypeError: Expected message to be a string",
    ),
    "remediates-to-a-string": (
        {"returned": "'not properties'", "level": "REMEDIATE"},
        "'str' object has no attribute 'items'",
        f"policy judge-networks: resource {NETWORK}: TypeError: remediate returned a str, not a dict",
    ),
    # as pulumi-policy's own integration packs do: under today's CLI no stack config reaches a pack
    "requires-config-at-load": (
        {"at_load": "import pulumi\nSCENARIO = pulumi.Config().require_int('scenario')"},
        "Missing required configuration variable 'project:scenario'",
        "policy pack failing: ConfigMissingError: Missing required configuration variable 'project:scenario'",
    ),
    "prints-to-stdout-at-load": (
        {"at_load": "print('hello from the pack')"},
        "wrote an invalid port to stdout",
        "policy pack failing-pack: prints to stdout while it loads ('hello from the pack')",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_failing_pack_fails_the_preview_and_the_check(ws, tmp_path: Path, case: str) -> None:
    parts, cli_says, tierguard_says = CASES[case]
    defaults = {"at_load": "", "body": "pass", "returned": "None", "level": "ADVISORY"}
    source = FAILING.format(**{**defaults, **parts})
    pack = _pack(tmp_path / "packs", "failing", source)
    project = _stack(ws, tmp_path)
    preview = ws.preview(project, "dev", "--policy-pack", str(pack))
    assert preview.returncode != 0, preview.stdout[-3000:]
    assert cli_says in preview.stdout + preview.stderr, (preview.stdout + preview.stderr)[-3000:]

    for fmt in ("json", "sarif", "junit", "text"):
        out = tierguard("check", str(project), "--stack", "dev", "--policy-pack", str(pack), "--format", fmt,
                        cwd=project)
        assert out.returncode == 2, out.stdout[-2000:] + out.stderr[-2000:]
        assert out.stdout == ""  # never a partial document
        said = [ln for ln in out.stderr.splitlines() if not ln.startswith("tierguard: pack ")]
        assert len(said) == 1 and "Traceback" not in out.stderr, out.stderr
        assert tierguard_says in said[0], said[0]
        trace = re.search(r"\(traceback: (\S+)\)$", said[0])
        if trace:
            assert "Traceback (most recent call last)" in Path(trace[1]).read_text()


NAMING = '''
from pulumi_policy import PolicyPack, ResourceValidationPolicy


def named(args, report_violation):
    if args.resource_type == "gcp:compute/network:Network":
        report_violation("networks need a team label")


PolicyPack(name="my-naming", policies=[
    ResourceValidationPolicy(name="network-team-label", description="Networks carry a team.", validate=named),
])
'''


def test_a_users_pack_reads_no_tierguard_exemption_under_the_cli_nor_under_tierguard(
    ws, tmp_path: Path, monkeypatch
) -> None:
    # tierguard's exemptions are read by tierguard's own packs (its server keeps ConfigureStack's
    # config); a plain pulumi-policy pack runs on pulumi-policy's server, which never sees them, so
    # its finding stands under the CLI -- and tierguard gives the same verdict, not a kinder one
    monkeypatch.setenv("TIERGUARD_TODAY", "2026-12-01")
    project = _stack(ws, tmp_path)
    entry = {"policy": "network-team-label", "resource": "vpc", "reason": "legacy", "expires": "2026-12-31"}
    for key, value in entry.items():
        ws.run("config", "set", "--path", f"tierguard:exemptions[0].{key}", value, cwd=project).check()
    pack = _pack(tmp_path, "naming", NAMING)
    events = tmp_path / "events.jsonl"
    preview = ws.preview(project, "dev", "--json", "--event-log", str(events), "--policy-pack", str(pack))
    assert preview.returncode == 0, preview.stderr[-3000:]
    logged = [e["policyEvent"] for e in pulumi_cli.read_events(events) if "policyEvent" in e]
    assert [(e["policyName"], e["resourceUrn"]) for e in logged] == [("network-team-label", NETWORK)]
    document = tmp_path / "preview.json"
    document.write_text(preview.stdout)
    for target in (str(project), str(document)):
        out = tierguard("check", target, "--policy-pack", str(pack), "--format", "json", cwd=project)
        assert out.returncode == 0, out.stderr[-3000:]
        report = json.loads(out.stdout)
        assert [(v["policy"], v["urn"]) for v in report["violations"]] == [("network-team-label", NETWORK)]
        assert report["exempted"] == []


# -- the analyzer's view, one row per property -------------------------------------------------------

VIEW = '''
import json

from pulumi_policy import PolicyPack, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UnknownValueError

HIDDEN = {"password"}  # a secret: its plaintext reaches the pack, so only its shape is reported


def item(container, key, name=""):
    """One value, or "<unknown>" where reading it raises (unknown during preview)."""
    try:
        return shape(container[key], name)
    except UnknownValueError:
        return "<unknown>"


def shape(value, key=""):
    if key in HIDDEN:
        return f"<{type(value).__name__} of {len(value)}>"
    if isinstance(value, dict) or hasattr(value, "keys"):
        return {k: item(value, k, k) for k in sorted(value.keys())}
    if isinstance(value, (list, tuple)) or (hasattr(value, "__len__") and not isinstance(value, str)):
        return [item(value, i) for i in range(len(value))]
    return value


def row(report_violation, urn, name, value):
    report_violation(json.dumps({"row": name, "value": value}, sort_keys=True), urn)


def each(args, report_violation):
    o = args.opts
    rows = {
        "resource_type": args.resource_type,
        "name": args.name,
        "props": shape(args.props),
        "opts.protect": o.protect,
        "opts.ignore_changes": list(o.ignore_changes),
        "opts.delete_before_replace": o.delete_before_replace,
        "opts.aliases": list(o.aliases),
        "opts.custom_timeouts": [o.custom_timeouts.create_seconds, o.custom_timeouts.update_seconds,
                                 o.custom_timeouts.delete_seconds] if o.custom_timeouts else None,
        "opts.additional_secret_outputs": list(o.additional_secret_outputs),
        "opts.parent": o.parent,
        "provider": None if args.provider is None else {
            "type": args.provider.resource_type, "urn": args.provider.urn, "name": args.provider.name,
            "props": shape(args.provider.props)},
    }
    for name, value in rows.items():
        row(report_violation, args.urn, name, value)


def whole(args, report_violation):
    for r in args.resources:
        row(report_violation, r.urn, "stack.props", shape(r.props))
        row(report_violation, r.urn, "stack.parent", r.parent.urn if r.parent else None)
        row(report_violation, r.urn, "stack.dependencies", sorted(d.urn for d in r.dependencies))
        row(report_violation, r.urn, "stack.property_dependencies",
            {k: sorted(d.urn for d in v) for k, v in sorted(r.property_dependencies.items())})


PolicyPack(name="the-view", policies=[
    ResourceValidationPolicy(name="each-resource", description="Each resource.", validate=each),
    StackValidationPolicy(name="the-stack", description="The stack.", validate=whole),
])
'''

ROWS = (
    "resource_type", "name", "props", "opts.protect", "opts.ignore_changes", "opts.delete_before_replace",
    "opts.aliases", "opts.custom_timeouts", "opts.additional_secret_outputs", "opts.parent", "provider",
    "stack.props", "stack.parent", "stack.dependencies", "stack.property_dependencies",
)


def _rows(messages: list[tuple[str, str]]) -> dict[str, dict[str, object]]:
    """row -> {urn: value} from (urn, message) pairs of the view pack's findings."""
    out: dict[str, dict[str, object]] = {}
    for urn, message in messages:
        if "\n{" not in message:
            continue
        found = json.loads(message.split("\n", 1)[1])
        out.setdefault(found["row"], {})[urn] = found["value"]
    return out


@pytest.fixture(scope="module")
def views(cli, tmp_path_factory) -> dict[str, dict[str, dict[str, dict[str, object]]]]:
    """source ("cli", "program", "preview") -> row -> urn -> value, from one preview of one stack."""
    tmp = tmp_path_factory.mktemp("view")
    ws = pulumi_cli.Workspace(cli=cli, root=tmp / "pulumi")
    project = _stack(ws, tmp)
    pack = _pack(tmp, "view", VIEW)
    events = tmp / "events.jsonl"
    preview = ws.preview(project, "dev", "--json", "--event-log", str(events), "--policy-pack", str(pack))
    assert preview.returncode == 0, preview.stderr[-3000:]
    logged = [e["policyEvent"] for e in pulumi_cli.read_events(events) if "policyEvent" in e]
    found = {"cli": _rows([(e.get("resourceUrn", ""), e["message"]) for e in logged])}
    document = tmp / "preview.json"
    document.write_text(preview.stdout)
    for source, target in (("program", project), ("preview", document)):
        out = tierguard("check", str(target), "--policy-pack", str(pack), "--format", "json", cwd=project)
        assert out.returncode == 0, out.stderr[-3000:]
        assert SECRET not in out.stdout + out.stderr
        found[source] = _rows([(v["urn"], v["message"]) for v in json.loads(out.stdout)["violations"]])
    return found


DEFAULT_PROVIDER = f"urn:pulumi:dev::{PROJECT}::pulumi:providers:gcp::default_"
ABSENT = object()


def _as_tierguard_sees(source: str, row: str, urn: str, value: object) -> object:
    """What tierguard hands the pack where the CLI hands it ``value``: the same, but for the
    differences the README lists ("Your own policy packs"), each a rule here, so that a new
    difference fails this test and a fixed one does too."""
    if urn.startswith(DEFAULT_PROVIDER):
        return ABSENT  # the engine's default provider is no resource of a program's capture or a preview
    if row == "provider" and isinstance(value, dict) and value["urn"].startswith(DEFAULT_PROVIDER):
        return None  # ... so a resource that uses it has no provider
    if row == "stack.props" and isinstance(value, dict):
        if source == "preview" and urn == ROOT:
            return {}  # a preview document carries no stack outputs
        # outputs only the provider computes (unknown during the preview) are not there at all
        value = {k: v for k, v in value.items() if v != "<unknown>"}
    if row in ("props", "stack.props") and isinstance(value, dict) and "password" in value:
        # a secret's plaintext never reaches tierguard: the pack gets the placeholder
        value = {**value, "password": "<str of 8>"}
    return value


@pytest.mark.parametrize("row", ROWS)
@pytest.mark.parametrize("source", ["program", "preview"])
def test_the_analyzers_view_row_by_row(views, row: str, source: str) -> None:
    under_cli, mine = views["cli"].get(row), views[source].get(row)
    assert under_cli, f"the CLI run reported no {row!r}"
    expected = {urn: _as_tierguard_sees(source, row, urn, v) for urn, v in under_cli.items()}
    assert mine == {urn: v for urn, v in expected.items() if v is not ABSENT}
