"""The benchmark harness works (functional, never timed): the generator writes valid programs and
previews of the requested size, and ``python -m benchmarks`` runs end to end at a tiny size.

Speed itself lives in ``make bench`` (benchmarks/README.md), never in an assertion here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from benchmarks import generate
from benchmarks.__main__ import COLUMNS

REPO = Path(__file__).resolve().parents[1]
SIZE = 53  # five whole services and three extra IAM members: exercises the remainder path


def test_program_declares_exactly_the_requested_resources(tmp_path: Path) -> None:
    directory = generate.write_program(tmp_path, SIZE)
    assert {p.name for p in directory.iterdir()} >= {"Pulumi.yaml", f"Pulumi.{generate.STACK_NAME}.yaml",
                                                     "__main__.py"}
    # Run it under the Pulumi SDK's own mocks (independent of tierguard's engine), in a fresh process.
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.mockrun", str(directory)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    ran = json.loads(proc.stdout.strip().splitlines()[-1])
    assert ran["resources"] == SIZE
    # the data twin used for previews and the policy paths has the same type mix
    assert ran["types"] == dict(Counter(s.type for s in generate.specs(SIZE)))


def test_mix_is_the_realistic_one() -> None:
    types = Counter(s.type for s in generate.specs(1000))
    for token in (
        "gcp:projects/iAMMember:IAMMember",
        "gcp:projects/iAMBinding:IAMBinding",
        "gcp:storage/bucket:Bucket",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "gcp:sql/databaseInstance:DatabaseInstance",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        generate.COMPONENT_TYPE,
    ):
        assert types[token] > 0, token
    assert sum(types.values()) == 1000
    # every child has its component parent
    items = generate.specs(1000)
    assert all(items[s.parent].type == generate.COMPONENT_TYPE for s in items if s.parent is not None)


def test_preview_has_the_cli_shape_and_reads_back(tmp_path: Path) -> None:
    from tierguard.readers.detect import read_plan

    path = generate.write_preview(tmp_path, SIZE)
    doc = json.loads(path.read_text(encoding="utf-8"))
    steps = doc["steps"]
    assert len(steps) == SIZE + 3  # the stack and the two default providers
    ops = Counter(step["op"] for step in steps)
    assert set(ops) == {"create", "update", "replace", "delete"}
    assert doc["changeSummary"] == dict(ops)
    for step in steps:
        assert step["urn"].startswith("urn:pulumi:bench::")
        state = step.get("newState") or step["oldState"]
        assert state["urn"] == step["urn"] and state["type"]
        if state["custom"] and not state["type"].startswith("pulumi:"):
            assert isinstance(state["inputs"]["__defaults"], list)
            assert state["sourcePosition"].startswith("project:///__main__.py#")
        if step["op"] == "delete":
            assert "newState" not in step
    assert '"[secret]"' in path.read_text(encoding="utf-8")
    assert generate.UNKNOWN in path.read_text(encoding="utf-8")

    stack, _steps = read_plan(str(path))
    checked = [r for r in stack.resources if not r.is_stack and not r.is_provider]
    assert len(checked) == SIZE - ops["delete"]


def test_sample_keeps_whole_services_with_their_parents() -> None:
    items = generate.specs(5000)
    picked = generate.sample(items, 1000)
    assert len(picked) == 1000
    assert all(picked[s.parent].type == generate.COMPONENT_TYPE for s in picked if s.parent is not None)
    services = {s.name for s in picked if s.type == generate.COMPONENT_TYPE}
    assert len(services) == 100
    # spread over the stack, not the first services only
    assert services != {s.name for s in items[:1000] if s.type == generate.COMPONENT_TYPE}


def test_harness_runs_end_to_end_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--sizes", str(SIZE), "--runs", "1",
         "--grpc-sample", str(SIZE), "--no-reference", "--no-cli", "--no-install",
         "--workdir", str(tmp_path / "gen"), "--output", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    header = proc.stdout.splitlines()[0]
    for column in COLUMNS:
        assert column in header
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["columns"] == list(COLUMNS)
    (row,) = report["table"]
    assert len(row) == len(COLUMNS)
    assert row[0] == f"synthetic {SIZE}" and row[1] == str(SIZE)
    # every measurement produced a number, none is missing
    assert "n/a" not in row, dict(zip(COLUMNS, row, strict=True))
    (size,) = report["sizes"]
    assert size["check"]["exit"] in (0, 1) and size["plan"]["exit"] in (0, 1)
    assert size["check"]["counts"]["resources"] == SIZE
    paths = size["policy_paths"]
    assert paths["parity"] is True, paths["parity_detail"]  # both paths did the same work
    assert paths["resources"] == SIZE + 2  # and the default providers
    assert len(report["targets"]) == 8
    # the capture floor: the same program under the bare SDK mocks, beside tierguard's capture of it
    floor = report["capture_floor"]
    assert floor["resources"] == SIZE and floor["sdk_s"] > 0 and floor["capture_s"] > 0, floor
    assert "Capture floor (program-53" in proc.stdout
    # loading a user's pack was measured (a number, whatever it is)
    assert report["user_pack_load"]["seconds"] is not None, report["user_pack_load"]
    assert report["user_pack_load"]["policies"] == 3
    assert {t["verdict"] for t in report["targets"]} <= {"PASS", "FAIL", "n/a"}


def test_capture_cache_rows_judge_their_targets_and_say_what_is_in_the_way() -> None:
    """The capture cache rows (benchmarks/capture_cache.py) on made-up measurements: verdicts and the
    profile printed for a missed target (the measuring itself is `make bench`'s, never a test's)."""
    from benchmarks import capture_cache

    def mode(wall: float, programs: int) -> dict:
        return {"wall": wall, "startup": 0.3, "read": wall - 0.4, "evaluate": 0.05, "report": 0.05,
                "programs": programs, "walls": [wall], "captures": {}, "error": None}

    result = {
        "runs": 1,
        "modes": {"main c6ce312": mode(2.5, 6), "no cache": mode(2.4, 6),
                  "cold cache": mode(1.9, 6), "warm cache": mode(0.45, 0)},
        "app_warm": {"wall": 0.4, "programs": [], "error": None},
        "edited": {"wall": 1.5, "programs": ["tierguard-infra/dev", "tierguard-infra/prod"], "error": None,
                   "edit": "infra/__main__.py"},
        "sdk_floor": {"infra": {"total": 1.4, "modules": {"pulumi": 0.2, "pulumi_gcp.compute": 0.8}}},
    }
    verdicts = {t["target"].split(":")[0]: t for t in capture_cache.targets(result)}
    warm = verdicts["reference stacks, warm cache"]
    cold = verdicts["reference stacks, cold cache"]
    assert warm["verdict"] == "PASS" and not warm["in the way"]
    assert cold["verdict"] == "FAIL" and "main c6ce312" in cold["target"]
    assert any("pulumi_gcp.compute 0.80" in why for why in cold["in the way"])
    assert verdicts["only the app stack, warm"]["verdict"] == "PASS"
    assert verdicts["one stack edited"]["verdict"] == "PASS"
    result["edited"]["programs"].append("tierguard-app/dev")
    assert capture_cache.targets(result)[-1]["verdict"] == "FAIL"
    lines = capture_cache.table(result)
    assert any(line.startswith("warm cache") for line in lines)
    assert any("no program ran" in line for line in lines)


def test_protocol_row_measures_both_capture_paths_of_one_program() -> None:
    from benchmarks import protocol

    program = REPO / "tests" / "fixtures" / "programs" / "no-stack-file"
    row = protocol.measure(program, runs=1)
    for mode in protocol.MODES:
        assert row[mode]["seconds"] > 0 and row[mode]["resources"] == row["mocks"]["resources"], row
    assert row["ratio"] == row["engine"]["seconds"] / row["mocks"]["seconds"]
    (line,) = protocol.render([row])[1:]
    assert "no-stack-file" in line and "ratio" in line
    assert protocol.reference_app() is not None
