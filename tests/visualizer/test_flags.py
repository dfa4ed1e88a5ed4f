"""Every quality flag of the visualizer on hand-made action series: each test builds a dataset of
smooth episodes, damages one in a known way, and checks that exactly that episode gets the flag
(and that the clean ones do not)."""

import numpy as np

from curation.visualizer import flags as q


def smooth(n=200, dims=3, seed=0, phase=0.0):
    """A smooth, moving arm: sines of different frequencies per joint, plus a little noise."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, n)
    a = np.stack([np.sin((d + 1) * t + phase + seed) for d in range(dims)], axis=1)
    return a + 0.001 * rng.standard_normal(a.shape)


def evaluate(episodes):
    scale = q.dataset_scale(episodes)
    motions = [q.motion(a, scale, ["shoulder", "elbow", "gripper"]) for a in episodes]
    q.mark_outliers(motions)
    return motions


def flagged(motions, name):
    return [i for i, m in enumerate(motions) if name in m.flags]


def clean_dataset(count=8):
    return [smooth(seed=i) for i in range(count)]


def test_clean_episodes_have_no_flags():
    motions = evaluate(clean_dataset())
    assert [m.flags for m in motions] == [{}] * 8


def test_frozen_run_in_the_middle():
    episodes = clean_dataset()
    episodes[3][80:100] = episodes[3][80]  # 20 identical frames: 10% of the episode
    motions = evaluate(episodes)
    assert flagged(motions, "frozen") == [3]
    assert "80" in motions[3].flags["frozen"] and "99" in motions[3].flags["frozen"]


def test_a_short_repeat_is_not_frozen():
    episodes = clean_dataset()
    episodes[3][80:83] = episodes[3][80]  # 3 frames of 200: under 5%
    assert flagged(evaluate(episodes), "frozen") == []


def test_dead_joint_in_one_episode_is_frozen():
    episodes = clean_dataset()
    episodes[5][:, 1] = 0.25  # the elbow moves in every other episode
    motions = evaluate(episodes)
    assert flagged(motions, "frozen") == [5]
    assert "elbow" in motions[5].flags["frozen"]


def test_action_jump():
    episodes = clean_dataset()
    episodes[2][120:] += 1.5  # a step far larger than the usual per-frame step
    motions = evaluate(episodes)
    assert flagged(motions, "jump") == [2]
    assert "119" in motions[2].flags["jump"]


def test_acceleration_and_jerk_outliers():
    episodes = clean_dataset(10)
    rng = np.random.default_rng(42)
    episodes[7] = episodes[7] + 0.05 * rng.standard_normal(episodes[7].shape)  # shaky
    motions = evaluate(episodes)
    assert flagged(motions, "accel") == [7]
    assert flagged(motions, "jerk") == [7]


def test_no_outliers_among_too_few_episodes():
    episodes = clean_dataset(4)
    episodes[1] = episodes[1] + 0.05 * np.random.default_rng(1).standard_normal(episodes[1].shape)
    motions = evaluate(episodes)
    assert flagged(motions, "accel") == [] and flagged(motions, "jerk") == []


def test_idle_start_and_end_count_trimmable_frames():
    episodes = clean_dataset()
    still_start = np.repeat(episodes[4][:1], 30, axis=0)
    still_end = np.repeat(episodes[4][-1:], 40, axis=0)
    episodes[4] = np.concatenate([still_start, episodes[4], still_end])
    motions = evaluate(episodes)
    assert flagged(motions, "idle_start") == [4] and flagged(motions, "idle_end") == [4]
    # 30 copies of frame 0 plus frame 0 itself: the first 30 frames can go.
    assert motions[4].idle_start == 30 and motions[4].idle_end == 40
    assert "frozen" not in motions[4].flags  # still ends are idle, not frozen


def test_idle_ignores_tiny_noise_but_not_motion():
    a = np.zeros((100, 2))
    a[:40] += 1e-5  # sensor noise, well under 1% of the range
    a[40:, 0] = np.linspace(0, 1, 60)
    a[:, 1] = np.r_[np.zeros(40), np.linspace(0, 2, 60)]
    start, end = q.idle_frames(a, np.array([1.0, 2.0]))
    assert start == 40 and end == 0


def test_near_duplicates():
    episodes = clean_dataset(6)
    episodes[5] = episodes[1] + 1e-6  # saved twice
    lengths = [len(a) for a in episodes]
    scale = q.dataset_scale(episodes)
    prints = np.array([q.resample(a) for a in episodes])
    pairs = q.near_duplicates(prints, lengths, scale.range)
    assert pairs == {1: [5], 5: [1]}


def test_near_duplicates_need_similar_length():
    base = smooth(200)
    longer = np.concatenate([base, base[-1:].repeat(50, axis=0)])
    scale = q.dataset_scale([base, longer])
    prints = np.array([q.resample(a) for a in (base, longer)])
    assert q.near_duplicates(prints, [200, 250], scale.range) == {}


def test_robust_outliers_high_side_only():
    values = [1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 9.0, 0.01]
    assert q.robust_outliers(values).tolist() == [6]


def test_constant_dataset_has_no_outliers_and_no_crash():
    episodes = [np.zeros((50, 3)) for _ in range(6)]
    motions = evaluate(episodes)
    assert all("jump" not in m.flags and "accel" not in m.flags for m in motions)
