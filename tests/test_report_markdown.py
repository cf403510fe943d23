"""Markdown reporter: verdict first, one table per stack, the plan summary when there is one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tierguard.model.records import Finding, Location, Resource, Result, Stack
from tierguard.report import markdown


@pytest.fixture(autouse=True)
def repo_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Locations are shown relative to the working directory (the repository root in CI)."""
    monkeypatch.chdir(tmp_path)
    for var in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        monkeypatch.delenv(var, raising=False)


def finding(
    level: str = "mandatory", kind: str = "violation", message: str = "Datastores live in infra.\nbad",
    name: str = "orders",
) -> Finding:
    return Finding(
        policy="no-datastore-in-app-tier", pack="tier-boundaries", category="tier-boundary", severity="high",
        enforcement_level=level, message=message,
        urn=f"urn:pulumi:dev::shop-app::gcp:sql/databaseInstance:DatabaseInstance::{name}",
        type="gcp:sql/databaseInstance:DatabaseInstance", location=Location("__main__.py", 12),
        stack="shop-app/dev", kind=kind,
    )


def stack(name: str = "dev", resources: int = 2) -> Stack:
    res = [
        Resource(urn=f"urn:pulumi:{name}::shop-app::t::r{i}", type="t", name=f"r{i}")
        for i in range(resources)
    ]
    return Stack(project="shop-app", stack=name, resources=res, kind="program", source="stacks/app")


def test_blocked_verdict_is_the_first_line() -> None:
    text = markdown.render(
        [Result(stack(), [finding(), finding(name="carts"), finding(), finding("advisory")])]
    )
    assert text.splitlines()[0] == "## ❌ tierguard: blocked — 3 mandatory findings (1 advisory finding)"


def test_passed_verdict_is_the_first_line_even_with_advisory_findings() -> None:
    text = markdown.render([Result(stack(), [finding("advisory")]), Result(stack("prod"), [])])
    lines = text.splitlines()
    assert lines[0] == "## ✅ tierguard: passed (1 advisory finding)"
    assert "2 stacks, 4 resources checked." in lines
    assert "### ✅ shop-app/prod" in lines and "No findings." in lines


def test_a_blocked_plan_without_policy_findings_is_still_blocked() -> None:
    class BlockedResult(Result):
        @property
        def blocked(self) -> bool:
            return True

    assert markdown.render([BlockedResult(stack(), [])]).startswith("## ❌ tierguard: blocked — plan blocked")


def test_findings_table_escapes_pipes_and_html_and_keeps_rows_on_one_line() -> None:
    text = markdown.render([Result(stack(), [finding(message="desc\nvalue a|b <script>\nsecond line")])])
    rows = [line for line in text.splitlines() if line.startswith("| high")]
    assert len(rows) == 1
    row = rows[0]
    assert "a\\|b &lt;script&gt;<br>second line" in row
    assert "`no-datastore-in-app-tier`" in row and "`stacks/app/__main__.py:12`" in row
    assert "🔴 mandatory" in row
    # 6 columns: 7 unescaped pipes
    assert row.replace("\\|", "").count("|") == 7


def test_locations_link_to_the_line_in_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/estate")
    monkeypatch.setenv("GITHUB_SHA", "0123abc")
    text = markdown.render([Result(stack(), [finding()])])
    assert (
        "[`stacks/app/__main__.py:12`](https://github.com/acme/estate/blob/0123abc/stacks/app/__main__.py#L12)"
        in text
    )


def test_notes_are_folded_under_details() -> None:
    text = markdown.render([Result(stack(), [finding("advisory", kind="note", message="can't run policy")])])
    assert "<details><summary>1 preview note</summary>" in text
    assert text.splitlines()[0] == "## ✅ tierguard: passed"


def test_long_tables_are_capped() -> None:
    many = [finding(name=f"db{i}") for i in range(markdown.MAX_ROWS_PER_STACK + 5)]
    text = markdown.render([Result(stack(), many)])
    assert sum(1 for line in text.splitlines() if line.startswith("| high")) == markdown.MAX_ROWS_PER_STACK
    assert "… and 5 more" in text


def test_plan_summary_follows_the_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = type(sys)("tierguard.plan.summary")
    fake.summary_markdown = lambda plan: f"**{plan['changes']} changes**"
    monkeypatch.setitem(sys.modules, "tierguard.plan.summary", fake)
    text = markdown.render([Result(stack(), [finding()], plan={"changes": 3})])
    assert text.index("no-datastore-in-app-tier") < text.index("#### Plan of shop-app/dev") < text.index(
        "**3 changes**"
    )
