"""Concentration measures against hand-computed values, and their properties (hypothesis)."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from growth.core.reuse import measures

amounts = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=200)
positive_amounts = amounts.filter(lambda xs: sum(xs) > 0)


def test_gini_by_hand():
    # sorted [0, 100, 150, 300, 1000], X = 1550: 2 * 6850 / (5 * 1550) - 6/5 = 88/155
    assert measures.gini([1000, 100, 300, 150, 0]) == pytest.approx(88 / 155)
    assert measures.gini([5, 5, 5]) == 0.0
    # one holder of everything among n: (n - 1) / n
    assert measures.gini([0, 0, 0, 7]) == pytest.approx(3 / 4)


def test_gini_matches_the_pairwise_definition():
    x = np.array([3, 0, 8, 8, 1, 20], dtype=float)
    pairwise = np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())
    assert measures.gini(x) == pytest.approx(pairwise)


def test_undefined_measures_are_none_not_zero():
    assert measures.gini([]) is None
    assert measures.gini([0, 0]) is None
    assert measures.top_share([0, 0], Fraction(1, 100)) is None
    assert measures.hhi([]) is None
    assert measures.hhi([0, 0]) is None
    assert measures.share_below([], 200) is None
    assert measures.effective_number(None) is None


def test_top_k_count_is_exact_ceiling():
    assert measures.top_k_count(300, Fraction(1, 100)) == 3  # 0.01 * 300 != 3.0 in floats
    assert measures.top_k_count(301, Fraction(1, 100)) == 4
    assert measures.top_k_count(5, Fraction(1, 100)) == 1
    assert measures.top_k_count(2_000_000, Fraction(1, 10_000)) == 200
    assert measures.top_k_count(0, Fraction(1, 100)) == 0


def test_top_share_by_hand():
    values = [1000, 100, 300, 150, 0]
    assert measures.top_share(values, Fraction(1, 100)) == pytest.approx(1000 / 1550)
    assert measures.top_share(values, Fraction(2, 5)) == pytest.approx(1300 / 1550)


def test_share_below_by_hand():
    assert measures.share_below([1000, 100, 300, 150, 0], 200) == pytest.approx(3 / 5)
    assert measures.share_below([200], 200) == 0.0  # strictly below


def test_hhi_and_effective_number_by_hand():
    per_author = measures.group_totals([0, 0, 1, 1, 2], [1000, 150, 100, 300, 0])
    assert sorted(per_author.tolist()) == [0, 400, 1150]
    value = measures.hhi(per_author)
    assert value == pytest.approx((1150**2 + 400**2) / 1550**2)
    assert measures.effective_number(value) == pytest.approx(1550**2 / (1150**2 + 400**2))
    assert measures.hhi([1, 1, 1, 1]) == pytest.approx(0.25)


def test_concentration_bundle():
    result = measures.concentration(
        [1000, 100, 300, 150, 0], [0, 1, 1, 0, 2], long_tail_threshold=200
    )
    assert result["total"] == 1550
    assert result["share_under_200"] == pytest.approx(0.6)
    assert result["gini_positive"] == pytest.approx(measures.gini([1000, 100, 300, 150]))
    assert result["authors"] == 3
    assert result["median"] == 150


@settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # a busy machine is no failure
@given(positive_amounts)
def test_gini_is_within_0_and_1(values):
    g = measures.gini(values)
    assert 0.0 <= g <= 1.0
    assert g <= 1 - 1 / len(values) + 1e-9


@settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # a busy machine is no failure
@given(positive_amounts, st.data())
def test_author_shares_sum_to_one_and_hhi_is_bounded(values, data):
    codes = data.draw(
        st.lists(st.integers(0, 9), min_size=len(values), max_size=len(values)), label="authors"
    )
    per_author = measures.group_totals(codes, values)
    assert (per_author / per_author.sum()).sum() == pytest.approx(1.0)
    value = measures.hhi(per_author)
    assert 1 / per_author.size - 1e-12 <= value <= 1.0
    assert measures.effective_number(value) <= per_author.size + 1e-9


@settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # a busy machine is no failure
@given(positive_amounts)
def test_top_shares_grow_with_k_and_reach_one(values):
    small = measures.top_share(values, Fraction(1, 10_000))
    large = measures.top_share(values, Fraction(1, 100))
    assert 0 < small <= large + 1e-12 <= 1 + 1e-12
    assert measures.top_share(values, 1) == pytest.approx(1.0)


@settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # a busy machine is no failure
@given(amounts)
def test_share_below_plus_share_at_or_above_is_one(values):
    below = measures.share_below(values, 200)
    assert below + sum(v >= 200 for v in values) / len(values) == pytest.approx(1.0)
