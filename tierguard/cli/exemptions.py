"""``tierguard exemptions [PATH...]``: every exemption in force, who approved it, and the days left.

PATHs are Pulumi project directories (every ``Pulumi.<stack>.yaml`` in them), stack config files,
or policy config files (``--policy-pack-config`` JSON, e.g. ``ci/policy-groups/<tier>/<pack>.json``).
Exit 1 when an exemption has expired or expires within ``--warn-days``, so a scheduled CI job
reminds owners before the guardrail comes back on; exit 2 on a malformed one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tierguard.model.files import load_json_object
from tierguard.model.records import InputError
from tierguard.policies.exemptions import DEFAULT_MAX_DAYS, Exemption, ExemptionError, build, today
from tierguard.readers.discover import find_projects


def _from_project(path: Path, only: str | None, max_days: int) -> list[Exemption]:
    from tierguard.readers.program import load_project, load_stack_config

    project = load_project(path)
    names = [only] if only else sorted(
        f.name[len("Pulumi.") : -len(f.suffix)]
        for ext in ("yaml", "yml")
        for f in project.stack_config_dir.glob(f"Pulumi.*.{ext}")
    )
    out: list[Exemption] = []
    for name in names:
        config, secret_keys = load_stack_config(project, name)
        out.extend(_checked(config, secret_keys, {}, str(project.stack_file(name)), None, max_days))
    return out


def _checked(
    config: dict[str, str],
    secret_keys: list[str],
    policy_config: dict[str, dict],
    stack_file: str | None,
    policy_file: str | None,
    max_days: int,
) -> list[Exemption]:
    everywhere = policy_config.get("all") or {}
    if max_days != DEFAULT_MAX_DAYS and "maxExemptionDays" not in everywhere:
        policy_config = {**policy_config, "all": {**everywhere, "maxExemptionDays": max_days}}
    try:
        book = build(
            stack_config=config,
            secret_keys=secret_keys,
            policy_config=policy_config,
            stack_file=stack_file,
            policy_file=policy_file,
        )
    except ExemptionError as exc:
        raise InputError(exc.file or stack_file or policy_file, f"{exc.where}: {exc.problem}") from None
    return book.all()


def collect(paths: list[Path], stack: str | None, max_days: int) -> list[Exemption]:
    out: list[Exemption] = []
    for path in paths:
        if path.is_dir():  # a project, or every project beneath it (as `tierguard check` finds them)
            for project in find_projects(path):
                out.extend(_from_project(project, stack, max_days))
        elif path.suffix == ".json":
            entries = load_json_object(path, "policy pack config (policy names to settings)")
            props = {k: v for k, v in entries.items() if isinstance(v, dict)}
            out.extend(_checked({}, [], props, None, str(path), max_days))
        elif path.name.startswith("Pulumi.") and path.suffix in (".yaml", ".yml"):
            name = path.name[len("Pulumi.") : -len(path.suffix)]
            out.extend(_from_project(path.parent, name, max_days))
        else:
            raise InputError(
                str(path), "not a project directory, a Pulumi.<stack>.yaml or a policy config .json"
            )
    return out


def status(ex: Exemption, warn_days: int) -> str:
    left = ex.days_left()
    if left < 0:
        return "expired"
    return "expires soon" if left <= warn_days else "in force"


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--stack", "-s", help="Only this stack's config (Pulumi.<stack>.yaml) in project directories.")
@click.option(
    "--warn-days", type=click.IntRange(min=0), default=14, show_default=True,
    help="Exit 1 when an exemption expires within this many days.",
)
@click.option(
    "--max-days", type=click.IntRange(min=1), default=DEFAULT_MAX_DAYS, show_default=True,
    help="maxExemptionDays for stack configs (a policy config file's own `all` value wins for it).",
)
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def exemptions(paths, stack, warn_days, max_days, fmt) -> int:
    """List every exemption (stack configs and policy configs), its approver and the days left.

    A directory stands for the projects in it, as for ``check``; with no PATH, the current one.
    Exit 1 when one has expired or expires within --warn-days.
    """
    found = collect(list(paths) or [Path(".")], stack, max_days)
    on = today()
    rows = sorted(found, key=lambda e: (e.expires, e.file or "", e.where))
    failing = [e for e in rows if status(e, warn_days) != "in force"]
    if fmt == "json":
        doc = {
            "today": on.isoformat(),
            "warnDays": warn_days,
            "exemptions": [{**e.to_json(on), "status": status(e, warn_days)} for e in rows],
            "attention": len(failing),
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        console = Console(
            file=sys.stdout, width=160, force_terminal=False, color_system=None, highlight=False
        )
        table = Table(show_lines=False, expand=False, pad_edge=False)
        columns = ("status", "expires", "days left", "policy", "resource", "approved by", "ticket", "reason")
        for col in (*columns, "where"):
            table.add_column(col, overflow="fold")
        for e in rows:
            table.add_row(
                status(e, warn_days),
                e.expires.isoformat(),
                str(e.days_left(on)),
                escape(e.policy),
                escape(e.resource),
                escape(e.shown(e.approved_by) or ""),
                escape(e.shown(e.ticket) or ""),
                escape(e.shown_reason),
                escape(f"{e.file or ''} {e.where}".strip()),
            )
        if rows:
            console.print(table)
        console.print(
            f"tierguard: {len(rows)} exemption(s); "
            f"{len(failing)} expired or expiring within {warn_days} days",
            markup=False,
        )
    return 1 if failing else 0
