"""JUnit reporter: one suite per stack, one case per policy, failures only for mandatory findings."""

from __future__ import annotations

from junitparser import Failure, JUnitXml

from tierguard.model.records import Finding, Location, Result, Stack
from tierguard.policies.base import Pack, Rule, resource_policy
from tierguard.report import junit

RULES = {
    "no-datastore-in-app-tier": Rule(
        name="no-datastore-in-app-tier", title="No datastore in an app stack",
        description="Datastores live in the infra tier.", category="tier-boundary", severity="high",
        enforcement="mandatory", remediation="Move it to infra.",
    ),
    "sql-deletion-protection": Rule(
        name="sql-deletion-protection", title="SQL deletion protection",
        description="Databases must not be deletable.", category="deletion-protection", severity="critical",
        enforcement="mandatory", remediation="Set deletionProtection.",
    ),
    "labels-required": Rule(
        name="labels-required", title="Labels", description="Labels make ownership visible.", category="iam",
        severity="low", enforcement="advisory", remediation="Add labels.",
    ),
}
PACK = Pack("demo-pack", "Demo.", tuple(resource_policy(r, lambda a, rep: None) for r in RULES.values()))


def finding(policy: str, name: str, level: str | None = None, kind: str = "violation", line: int | None = 7):
    rule = RULES[policy]
    return Finding(
        policy=policy, pack="demo-pack", category=rule.category, severity=rule.severity,
        enforcement_level=level or rule.enforcement,
        message=f"{rule.description}\n{name} breaks {policy} <&> \x01",
        urn=f"urn:pulumi:dev::shop-app::gcp:sql/databaseInstance:DatabaseInstance::{name}",
        type="gcp:sql/databaseInstance:DatabaseInstance",
        location=Location("__main__.py", line) if line else None,
        stack="shop-app/dev", kind=kind,
    )


def stack(name: str) -> Stack:
    return Stack(project="shop-app", stack=name, resources=[], kind="program", source=f"stacks/{name}")


def parse(results: list[Result]) -> JUnitXml:
    for r in results:  # as the evaluator returns them after running PACK: carrying its rules
        r.rules = {rule.name: ("demo-pack", rule) for rule in PACK.rules()}
    return JUnitXml.fromstring(junit.render(results).encode("utf-8"))


def test_counts_per_stack_and_in_total() -> None:
    dev = Result(
        stack("dev"),
        [
            finding("no-datastore-in-app-tier", "orders"),
            finding("no-datastore-in-app-tier", "carts"),
            finding("sql-deletion-protection", "orders"),
            finding("labels-required", "orders"),
        ],
    )
    prod = Result(stack("prod"), [finding("labels-required", "orders")])
    xml = parse([dev, prod])
    suites = {s.name: s for s in xml}
    assert set(suites) == {"shop-app/dev", "shop-app/prod"}
    assert (suites["shop-app/dev"].tests, suites["shop-app/dev"].failures) == (3, 2)
    assert (suites["shop-app/prod"].tests, suites["shop-app/prod"].failures) == (3, 0)
    assert (xml.tests, xml.failures, xml.errors) == (6, 2, 0)


def test_a_case_per_policy_named_pack_slash_policy_with_the_stack_as_class() -> None:
    xml = parse([Result(stack("dev"), [])])
    cases = [(c.classname, c.name) for suite in xml for c in suite]
    assert cases == [
        ("shop-app/dev", "demo-pack/labels-required"),
        ("shop-app/dev", "demo-pack/no-datastore-in-app-tier"),
        ("shop-app/dev", "demo-pack/sql-deletion-protection"),
    ]
    assert all(c.is_passed for suite in xml for c in suite)


def test_failure_lists_every_resource_and_location() -> None:
    xml = parse(
        [Result(stack("dev"), [finding("no-datastore-in-app-tier", "orders"),
                               finding("no-datastore-in-app-tier", "carts", line=None)])]
    )
    case = next(c for s in xml for c in s if c.name.endswith("no-datastore-in-app-tier"))
    [failure] = case.result
    assert isinstance(failure, Failure)
    assert failure.message.startswith("2 mandatory finding(s): orders breaks no-datastore-in-app-tier")
    assert "orders (gcp:sql/databaseInstance:DatabaseInstance) at __main__.py:7" in failure.text
    assert "carts (gcp:sql/databaseInstance:DatabaseInstance):" in failure.text
    assert "<&>" in failure.text  # escaped in XML, intact after parsing


def test_advisory_findings_and_notes_pass_with_system_out() -> None:
    xml = parse(
        [Result(stack("dev"), [finding("labels-required", "orders"),
                               finding("sql-deletion-protection", "orders", level="advisory", kind="note")])]
    )
    cases = {c.name: c for s in xml for c in s}
    labels = cases["demo-pack/labels-required"]
    assert labels.is_passed and "[advisory] orders" in labels.system_out
    noted = cases["demo-pack/sql-deletion-protection"]
    assert noted.is_passed and "[note] orders" in noted.system_out
    assert xml.failures == 0


def test_a_rule_only_in_findings_gets_its_own_case() -> None:
    plan = Finding(
        policy="max-deletes", pack="plan-size", category="plan-size", severity="high",
        enforcement_level="mandatory", message="Few deletes.\n4 deletes > 2", stack="shop-app/dev",
    )
    xml = parse([Result(stack("dev"), [plan]), Result(stack("prod"), [])])
    suites = {s.name: s for s in xml}
    names = [c.name for c in suites["shop-app/dev"]]
    assert "plan-size/max-deletes" in names and suites["shop-app/dev"].failures == 1
    assert "plan-size/max-deletes" not in [c.name for c in suites["shop-app/prod"]]
