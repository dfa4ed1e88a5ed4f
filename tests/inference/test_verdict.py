"""The verdict and output checks of the inference check, on known figures.

The end-to-end tests in test_check.py run real policies, whose speed and outputs vary from machine
to machine, so they can only check that a verdict was given. Here every latency, rate and action
value is fixed, so each verdict and each warning is reached on purpose and its figures are computed
by hand.
"""

from types import SimpleNamespace

import pytest
import torch

from validators.inference import InferenceReport, LatencyStats
from validators.inference.runner import _output_warnings, control_figures, output_checks

FPS = 10.0  # one control period = 100 ms
STEPS = 5  # actions per chunk: one chunk covers 500 ms of motion


def latency(*, mean, maximum, p95=None):
    return LatencyStats(
        count=20, mean_ms=mean, p50_ms=mean, p95_ms=p95 or maximum, max_ms=maximum, min_ms=1.0
    )


def figures(per_action, chunk_p95_ms):
    per_chunk = latency(mean=chunk_p95_ms, maximum=chunk_p95_ms) if chunk_p95_ms else LatencyStats()
    return control_figures(per_action, per_chunk, FPS, STEPS)


def test_every_action_within_one_period_is_real_time():
    result = figures(latency(mean=40.0, maximum=100.0), chunk_p95_ms=150.0)
    assert result["verdict"] == "real time"  # 100 ms is exactly one period: still on time
    assert result["period_ms"] == 100.0
    assert result["achieved_hz"] == 25.0
    assert result["realtime_factor"] == 2.5
    assert result["chunk_budget_ms"] == 500.0
    # 5 actions take 0.5 s to execute, then the robot waits 0.15 s for the next chunk.
    assert result["synchronous_hz"] == pytest.approx(5 / 0.65)
    assert "100.0 ms" in result["detail"]


def test_slow_chunks_that_fit_their_budget_need_asynchronous_inference():
    result = figures(latency(mean=50.0, maximum=450.0), chunk_p95_ms=500.0)
    assert result["verdict"] == "real time with asynchronous inference"
    assert result["achieved_hz"] == 20.0
    assert result["worst_action_ms"] == 450.0
    assert "20.0 Hz ≥ 10 Hz" in result["detail"]
    assert "5 actions = 500 ms" in result["detail"]


def test_asynchronous_verdict_without_chunk_figures():
    """A policy timed per action only (no chunk calls) keeps up on average: asynchronous."""
    result = figures(latency(mean=80.0, maximum=300.0), chunk_p95_ms=None)
    assert result["verdict"] == "real time with asynchronous inference"
    assert result["chunk_p95_ms"] is None
    assert "synchronous_hz" not in result


def test_too_few_actions_per_second_is_too_slow():
    result = figures(latency(mean=250.0, maximum=400.0), chunk_p95_ms=300.0)
    assert result["verdict"] == "too slow"
    assert result["achieved_hz"] == 4.0
    assert result["realtime_factor"] == 0.4
    assert result["detail"] == "4.00 actions/s against 10 fps: 2.5x too slow"


def test_chunks_longer_than_their_actions_stall_the_robot():
    """Fast on average, but computing a chunk takes longer than executing it."""
    result = figures(latency(mean=60.0, maximum=700.0), chunk_p95_ms=650.0)
    assert result["verdict"] == "too slow"
    assert result["achieved_hz"] == pytest.approx(1000 / 60)
    assert "650 ms (p95)" in result["detail"]
    assert "(500 ms)" in result["detail"]
    assert "stall" in result["detail"]


@pytest.mark.parametrize("fps", [0.0, None])
def test_no_verdict_without_a_control_rate(fps):
    assert control_figures(latency(mean=10.0, maximum=20.0), LatencyStats(), fps, STEPS) == {}


def test_no_verdict_without_timed_actions():
    assert control_figures(LatencyStats(), LatencyStats(), FPS, STEPS) == {}


# --- the output checks ----------------------------------------------------------------------------


def dataset_meta(low=(-1.0, -1.0, 0.0), high=(1.0, 1.0, 100.0), names=("x", "y", "gripper")):
    stats = {"action": {"min": list(low), "max": list(high)}} if low is not None else {}
    return SimpleNamespace(
        features={"action": {"dtype": "float32", "shape": [3], "names": list(names)}},
        stats=stats,
    )


def test_actions_inside_the_dataset_range_pass():
    actions = [torch.tensor([[0.0, 0.5, 50.0]]), torch.tensor([[-1.0, 1.0, 0.0]])]
    chunks = [torch.tensor([[[0.1, 0.2, 99.0], [0.0, 0.0, 100.0]]])]
    result = output_checks(actions, chunks, dataset_meta())
    assert result["shape_ok"] is True
    assert result["action_shape"] == [1, 3] and result["chunk_shape"] == [1, 2, 3]
    assert result["values_checked"] == 12
    assert (result["nan_count"], result["inf_count"]) == (0, 0)
    assert result["out_of_range"] == {"count": 0, "fraction": 0.0, "dims": []}


def test_actions_outside_the_dataset_range_are_counted_per_dimension():
    actions = [
        torch.tensor([[2.0, 0.0, 150.0]]),  # x above, gripper above
        torch.tensor([[0.0, 0.0, -5.0]]),  # gripper below
        torch.tensor([[0.5, 0.0, 50.0]]),  # inside
    ]
    result = output_checks(actions, [], dataset_meta())
    out = result["out_of_range"]
    assert out["count"] == 3
    assert out["fraction"] == pytest.approx(3 / 9)
    # Worst dimension first: the gripper (2 values out), then x (1); y never leaves its range.
    assert [(d["dim"], d["name"], d["count"]) for d in out["dims"]] == [
        (2, "gripper", 2),
        (0, "x", 1),
    ]
    gripper = out["dims"][0]
    assert (gripper["min"], gripper["max"]) == (0.0, 100.0)
    assert (gripper["seen_min"], gripper["seen_max"]) == (-5.0, 150.0)


def test_nan_and_inf_are_counted_and_not_taken_for_out_of_range():
    actions = [torch.tensor([[float("nan"), 0.0, float("inf")]])]
    result = output_checks(actions, [], dataset_meta())
    assert (result["nan_count"], result["inf_count"]) == (1, 1)
    assert result["out_of_range"]["count"] == 0


def test_wrong_action_width_fails_the_shape_check():
    result = output_checks([torch.zeros(1, 4)], [torch.zeros(1, 5, 4)], dataset_meta())
    assert result["shape_ok"] is False
    assert result["action_shape"] == [1, 4] and result["dataset_action_shape"] == [3]
    assert result["out_of_range"] is None  # 4 values cannot be compared with 3 ranges


def test_no_range_check_without_dataset_stats():
    result = output_checks([torch.zeros(1, 3)], [], dataset_meta(low=None))
    assert result["shape_ok"] is True
    assert result["out_of_range"] is None


def test_no_actions_is_not_a_valid_shape():
    assert output_checks([], [], dataset_meta())["shape_ok"] is False


def report_with(outputs, determinism=None):
    report = InferenceReport(dataset_path="d", policy="p", device="cpu")
    report.outputs = outputs
    report.determinism = determinism
    return report


def test_each_output_problem_gives_its_warning():
    # A chunk without its batch dimension (2-D) fails the shape check.
    outputs = output_checks(
        [torch.tensor([[float("nan"), 2.0, 50.0]])], [torch.zeros(2, 3)], dataset_meta()
    )
    warnings = _output_warnings(
        report_with(outputs, determinism={"identical": False, "max_abs_diff": 0.25})
    )
    assert len(warnings) == 4
    shape, nan, out_of_range, determinism = warnings
    assert shape == "output shape [1, 3] does not match the dataset's action shape [3]"
    assert nan == "the policy produced 1 NaN and 0 Inf values"
    assert out_of_range.startswith("1 action values (11.1%) fall outside")
    assert "max difference 0.25" in determinism


def test_clean_outputs_give_no_warning():
    outputs = output_checks([torch.tensor([[0.0, 0.0, 1.0]])], [], dataset_meta())
    assert _output_warnings(report_with(outputs, determinism={"identical": True})) == []
