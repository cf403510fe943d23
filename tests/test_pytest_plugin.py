"""The pytest plugin: a team asserts "my stack is clean" in its own tests, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.integrations.pytest_plugin import CheckResult
from tierguard.model.records import InputError

pytest_plugins = ["pytester"]

STACK = Path(__file__).parent / "fixtures" / "plugin_stack"
# The line of `gcp.sql.DatabaseInstance(` in the fixture program, where findings must point.
PROGRAM = (STACK / "__main__.py").read_text().splitlines()
DB_LINE = next(i for i, line in enumerate(PROGRAM, 1) if "DatabaseInstance(" in line)


def test_compliant_stack_is_clean(tierguard_check) -> None:
    result = tierguard_check(STACK, stack="dev")
    assert isinstance(result, CheckResult)
    assert [r.stack.label for r in result.results] == ["plugin-demo-app/dev"]
    assert result.mandatory == [] and not result.blocked
    result.assert_clean()


def test_database_in_app_stack_is_a_located_mandatory_finding(tierguard_check) -> None:
    result = tierguard_check(STACK, stack="violating")
    assert result.blocked
    tier = [f for f in result.mandatory if f.category == "tier-boundary"]
    assert tier, result.summary()
    assert tier[0].urn.endswith("::orders")
    assert (tier[0].location.file, tier[0].location.line) == ("__main__.py", DB_LINE)
    assert result.assert_violates(tier[0].policy, level="mandatory") == result.by_policy(tier[0].policy)
    with pytest.raises(AssertionError, match=r"plugin-demo-app/violating: [1-9][0-9]* mandatory"):
        result.assert_clean()


def test_options_select_packs_tier_and_config(tierguard_check) -> None:
    only_iam = tierguard_check(STACK, stack="violating", packs="least-privilege-iam")
    assert {f.pack for f in only_iam.findings} <= {"least-privilege-iam"}
    assert not any(f.category == "tier-boundary" for f in only_iam.findings)

    relaxed = tierguard_check(STACK, stack="violating", packs=["tier-boundaries"], config={"all": "advisory"})
    assert relaxed.findings and not relaxed.blocked
    relaxed.assert_clean()
    with pytest.raises(AssertionError, match="advisory"):
        relaxed.assert_clean(allow_advisory=False)

    as_infra = tierguard_check(STACK, stack="violating", packs=["tier-boundaries"], tier="infra")
    assert not any(f.category == "tier-boundary" and f.urn.endswith("::orders") for f in as_infra.mandatory)


def test_assert_violates_names_what_fired(tierguard_check) -> None:
    result = tierguard_check(STACK, stack="dev")
    with pytest.raises(AssertionError, match=r"expected a violation of 'no-such-policy'"):
        result.assert_violates("no-such-policy")


def test_bad_input_raises_the_cli_one_line_error(tierguard_check, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"Pulumi\.yaml"):
        tierguard_check(tmp_path)


def test_report_renders_like_the_cli(tierguard_check) -> None:
    text = tierguard_check(STACK, stack="violating").report("markdown")
    assert text.startswith("## ❌ tierguard: blocked")


def test_plugin_is_registered_for_users_and_fails_with_a_readable_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user_stack=f"""
        STACK = {str(STACK)!r}

        def test_dev_is_clean(tierguard_check):
            tierguard_check(STACK, stack="dev").assert_clean()

        def test_violating_is_clean(tierguard_check):
            tierguard_check(STACK, stack="violating").assert_clean()
        """
    )
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=1, failed=1)
    outcome.stdout.fnmatch_lines(
        [
            "*AssertionError: tierguard: plugin-demo-app/violating: * mandatory*",
            "*[[]mandatory[]] tier-boundaries/*: orders (gcp:sql/databaseInstance:DatabaseInstance)"
            f" at __main__.py:{DB_LINE}",
        ]
    )


def test_my_own_policy_pack_in_a_pytest_test(tierguard_check) -> None:
    # the pattern the README documents: a team's own pack as the only guardrail
    pack = Path(__file__).parent / "fixtures" / "packs" / "user" / "gcp-python"
    result = tierguard_check(
        STACK,
        stack="violating",
        policy_packs=[pack],
        policy_pack_configs=[{"gcp-allowed-regions": {"allowedRegions": ["us-central1"]}}],
    )
    assert {f.pack for f in result.findings} == {"gcp-python"}
    found = result.assert_violates("gcp-allowed-regions", level="advisory")
    assert found[0].urn.endswith("::orders") and found[0].location.line == DB_LINE
    with pytest.raises(InputError, match="pair one config with each"):
        tierguard_check(STACK, stack="violating", policy_packs=[pack], policy_pack_configs=[{}, {}])
