"""Survey psychometrics: reference values from established implementations, then properties.

Plain-Python tests, no database and no Django import. The reference data are
embedded below with the place each dataset and each expected value comes
from; tolerances are the published decimals. Properties are checked with
hypothesis on small random surveys.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ekkyo.core.psychometrics import (
    UNIQUENESS_LOWER,
    ScaleSpec,
    _em_batch,
    construct_scores,
    cronbach_alpha,
    difference_in_differences,
    fit_one_factor,
    item_statistics,
    mcdonald_omega,
    paired_change,
    recode,
    summarize,
)

NAN = math.nan

# ----------------------------------------------------------- reference data

# pingouin's dataset "cronbach_alpha" (pingouin/datasets/cronbach_alpha.csv in
# raphaelvallat/pingouin; "Questionnaire ratings", from real-statistics.com),
# long format pivoted to wide: 15 subjects (rows) x 10 items.
PINGOUIN_LIKERT = pd.DataFrame(
    {
        "Q1": [3, 5, 7, 2, 6, 1, 4, 2, 6, 5, 4, 4, 5, 6, 4],
        "Q2": [2, 4, 3, 4, 5, 2, 3, 4, 5, 4, 3, 2, 5, 5, 3],
        "Q3": [4, 6, 5, 3, 6, 3, 5, 4, 5, 6, 5, 3, 6, 5, 5],
        "Q4": [1, 3, 5, 3, 5, 4, 3, 3, 5, 4, 2, 2, 2, 4, 5],
        "Q5": [4, 5, 6, 2, 4, 2, 5, 7, 1, 3, 5, 5, 3, 2, 3],
        "Q6": [5, 1, 4, 2, 4, 5, 2, 2, 6, 5, 3, 3, 3, 2, 1],
        "Q7": [1, 2, 3, 2, 4, 2, 1, 2, 5, 3, 2, 4, 2, 1, 3],
        "Q8": [4, 5, 3, 6, 6, 3, 2, 4, 2, 1, 3, 2, 4, 4, 2],
        "Q9": [3, 5, 6, 6, 7, 5, 4, 6, 3, 7, 4, 3, 4, 6, 3],
        "Q10": [2, 5, 5, 3, 5, 2, 3, 5, 2, 2, 1, 4, 5, 5, 4],
    }
)

# pingouin's dataset "cronbach_wide_missing" ("Questionnaire rating (binary)
# in wide format and with missing values", real-statistics.com): 12 x 11
# binary answers with 4 missing. Transcribed from the printout of
# pg.read_dataset('cronbach_wide_missing') in a public blog post on agreement
# measures; the transcription is confirmed by reproducing all three of
# pingouin's documented alphas for it to 6 decimals (below).
PINGOUIN_BINARY = pd.DataFrame(
    [
        [1.0, 1, 1.0, 1, 1.0, 1, 1, 1, 1.0, 1, 1],
        [1.0, 1, 1.0, 1, 1.0, 1, 1, 1, 0.0, 1, 0],
        [NAN, 0, 1.0, 1, NAN, 1, 1, 1, 1.0, 0, 0],
        [1.0, 1, 1.0, 0, 1.0, 1, 0, 1, 1.0, 0, 0],
        [1.0, 1, 1.0, 1, 1.0, 0, 0, 0, 1.0, 0, 0],
        [0.0, 1, NAN, 0, 1.0, 1, 1, 1, 0.0, 0, 0],
        [1.0, 1, 1.0, 1, 0.0, 0, 1, 0, 0.0, 0, 0],
        [1.0, 1, 1.0, 1, 1.0, 0, 0, 0, 0.0, 0, 0],
        [0.0, 1, 0.0, 1, 1.0, 0, 0, 0, 0.0, 1, 0],
        [1.0, 0, 0.0, 1, 0.0, 1, 0, 0, NAN, 0, 0],
        [1.0, 1, 1.0, 0, 0.0, 0, 0, 0, 0.0, 0, 0],
        [1.0, 0, 0.0, 1, 0.0, 0, 0, 0, 0.0, 0, 0],
    ],
    columns=[f"Q{i}" for i in range(1, 12)],
)

# R's datasets::ability.cov (src/library/datasets/data/ability.cov.R):
# six ability tests, 112 individuals (Smith & Stanley 1983, via Bartholomew 1987).
ABILITY_COV = np.array(
    [
        [24.641, 5.991, 33.520, 6.023, 20.755, 29.701],
        [5.991, 6.700, 18.137, 1.782, 4.936, 7.204],
        [33.520, 18.137, 149.831, 19.424, 31.430, 50.753],
        [6.023, 1.782, 19.424, 12.711, 4.757, 9.075],
        [20.755, 4.936, 31.430, 4.757, 52.604, 66.762],
        [29.701, 7.204, 50.753, 9.075, 66.762, 135.292],
    ]
)
ABILITY_N = 112
# R's own printed output of the ?ability.cov example
# `factanal(factors = 1, covmat = ability.cov)`, as stored in R's regression
# reference tests/Examples/datasets-Ex.Rout.save:
#   Uniquenesses: 0.535 0.853 0.748 0.910 0.232 0.280
#   Loadings:     0.682 0.384 0.502 0.300 0.877 0.849
#   "The chi square statistic is 75.18 on 9 degrees of freedom."
R_ABILITY_LOADINGS = [0.682, 0.384, 0.502, 0.300, 0.877, 0.849]
R_ABILITY_UNIQUENESSES = [0.535, 0.853, 0.748, 0.910, 0.232, 0.280]
R_ABILITY_CHISQ = 75.18

# Lakens, D. (2013). Calculating and reporting effect sizes to facilitate
# cumulative science. Frontiers in Psychology 4:863, Table 1: ten people rate
# two movies. Published for the within-subjects analysis: M = 8.7 and 7.7,
# t(9) = 4.74, p = .001, Cohen's d_z = 1.50, d_av = 1.13, Hedges' g_av = 1.08.
MOVIE_1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
MOVIE_2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]


# --------------------------------------------------------- reference values


def test_alpha_matches_pingouin_likert_example() -> None:
    # pingouin.cronbach_alpha docstring: "(0.591719, array([0.195, 0.84 ]))",
    # "Results have been tested against the R package psych."
    r = cronbach_alpha(PINGOUIN_LIKERT)
    assert round(r.alpha, 6) == 0.591719
    assert (round(r.ci_low, 3), round(r.ci_high, 3)) == (0.195, 0.840)
    assert (r.n, r.k) == (15, 10)


def test_alpha_matches_pingouin_missing_data_examples() -> None:
    # pingouin.cronbach_alpha docstring, dataset cronbach_wide_missing:
    #   pairwise (R: psych::alpha(data, use="pairwise")): (0.732661, [0.435, 0.909])
    #   listwise (R: use="complete.obs"):                  (0.801695, [0.581, 0.933])
    #   median-imputed:                                     (0.738019, [0.447, 0.911])
    pairwise = cronbach_alpha(PINGOUIN_BINARY)
    assert round(pairwise.alpha, 6) == 0.732661
    assert (round(pairwise.ci_low, 3), round(pairwise.ci_high, 3)) == (0.435, 0.909)
    assert pairwise.n == 12

    imputed = cronbach_alpha(PINGOUIN_BINARY.fillna(PINGOUIN_BINARY.median()))
    assert round(imputed.alpha, 6) == 0.738019
    assert (round(imputed.ci_low, 3), round(imputed.ci_high, 3)) == (0.447, 0.911)

    listwise = cronbach_alpha(PINGOUIN_BINARY, missing="listwise")
    assert round(listwise.alpha, 6) == 0.801695
    # pingouin takes n from the shape *before* dropping rows, so its printed
    # interval uses n = 12; ekkyo uses the 9 complete rows it actually keeps.
    assert listwise.n == 9
    as_pingouin = 1 - (1 - listwise.alpha) * stats.f.isf([0.025, 0.975], 11, 11 * 10)
    assert [round(float(x), 3) for x in as_pingouin] == [0.581, 0.933]
    assert listwise.ci_low < 0.581 and listwise.ci_high > 0.933


def test_one_factor_ml_matches_r_factanal_on_ability_cov() -> None:
    fit = fit_one_factor(ABILITY_COV)
    assert [round(x, 3) for x in fit.loadings] == R_ABILITY_LOADINGS
    assert [round(x, 3) for x in fit.uniquenesses] == R_ABILITY_UNIQUENESSES
    # factanal's statistic: Bartlett-corrected (n - 1 - (2p + 5)/6 - 2m/3) * F.
    p = 6
    chisq = (ABILITY_N - 1 - (2 * p + 5) / 6 - 2 / 3) * fit.discrepancy
    assert round(chisq, 2) == R_ABILITY_CHISQ
    assert fit.converged and not fit.heywood
    # omega of the standardised items follows from R's printed solution.
    lam, psi = sum(R_ABILITY_LOADINGS), sum(R_ABILITY_UNIQUENESSES)
    assert fit.omega_standardized == pytest.approx(lam**2 / (lam**2 + psi), abs=1e-3)
    # The same model fitted to the raw covariances, for the raw sum.
    sds = np.sqrt(np.diag(ABILITY_COV))
    lam_raw = np.array(fit.loadings) * sds
    psi_raw = np.array(fit.uniquenesses) * sds**2
    assert fit.omega == pytest.approx(lam_raw.sum() ** 2 / (lam_raw.sum() ** 2 + psi_raw.sum()))
    # A correlation matrix gives the same standardised solution (scale invariance).
    corr = ABILITY_COV / np.outer(sds, sds)
    assert fit_one_factor(corr).loadings == pytest.approx(fit.loadings, abs=1e-7)


def test_one_factor_recovers_psych_sim_congeneric() -> None:
    # psych::sim.congeneric() with its default loadings .8 .7 .6 .5 gives the
    # correlations printed in Revelle's course notes (personality-project.org/
    # courses/350/psych.sourcecode/wk.4.fa.html): .56 .48 .40 / .42 .35 / .30,
    # and psych::fa(R) prints loadings 0.8 0.7 0.6 0.5, u2 .36 .51 .64 .75.
    corr = np.array(
        [
            [1.00, 0.56, 0.48, 0.40],
            [0.56, 1.00, 0.42, 0.35],
            [0.48, 0.42, 1.00, 0.30],
            [0.40, 0.35, 0.30, 1.00],
        ]
    )
    fit = fit_one_factor(corr)
    assert [round(x, 2) for x in fit.loadings] == [0.8, 0.7, 0.6, 0.5]
    assert [round(x, 2) for x in fit.uniquenesses] == [0.36, 0.51, 0.64, 0.75]
    assert fit.omega_standardized == pytest.approx(2.6**2 / (2.6**2 + 2.26), abs=1e-6)
    assert fit.discrepancy == pytest.approx(0.0, abs=1e-9)


def test_paired_change_matches_lakens_2013() -> None:
    r = paired_change(MOVIE_2, MOVIE_1)  # growth = movie 1 - movie 2
    assert r.n == 10
    assert (r.mean_post, r.mean_pre, r.mean_diff) == pytest.approx((8.7, 7.7, 1.0))
    assert round(r.t, 2) == 4.74
    assert round(r.p, 3) == 0.001
    assert round(r.d_z, 2) == 1.50
    assert round(r.d_av, 2) == 1.13
    assert round(r.g_av, 2) == 1.08
    # The paired t test itself against scipy, to full precision.
    ref = stats.ttest_rel(MOVIE_1, MOVIE_2)
    assert r.t == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p == pytest.approx(ref.pvalue, rel=1e-10)
    assert r.g_z == pytest.approx(r.d_z * (1 - 3 / (4 * 9 - 1)))


def test_d_z_interval_inverts_the_noncentral_t() -> None:
    r = paired_change(MOVIE_2, MOVIE_1, ci=0.95)
    lo, hi = (x * math.sqrt(r.n) for x in r.d_z_ci)
    assert stats.nct.cdf(r.t, r.n - 1, lo) == pytest.approx(0.975, abs=1e-9)
    assert stats.nct.cdf(r.t, r.n - 1, hi) == pytest.approx(0.025, abs=1e-9)
    ratio = r.sd_diff / ((np.std(MOVIE_1, ddof=1) + np.std(MOVIE_2, ddof=1)) / 2)
    assert r.d_av_ci == pytest.approx((r.d_z_ci[0] * ratio, r.d_z_ci[1] * ratio))


def test_d_z_interval_far_in_the_tails() -> None:
    # scipy's nct.cdf returns NaN far in a tail (e.g. t = -3, ncp = 8); the
    # inversion must still work for strong effects and large samples.
    rng = np.random.default_rng(4)
    for n, shift in ((6, -3.0), (40, 2.5), (20_000, 0.8)):
        pre = rng.normal(size=n)
        post = pre + rng.normal(shift, 1.0, size=n)
        r = paired_change(pre, post)
        assert r.d_z_ci[0] < r.d_z < r.d_z_ci[1]


def test_difference_in_differences_matches_welch() -> None:
    rng = np.random.default_rng(11)
    pre_t, pre_c = rng.normal(3.0, 0.6, 40), rng.normal(3.1, 0.7, 55)
    post_t = pre_t + rng.normal(0.35, 0.5, 40)
    post_c = pre_c + rng.normal(0.10, 0.4, 55)
    pre_t[3] = NAN  # an incomplete pair in each group is dropped
    post_c[7] = NAN
    r = difference_in_differences(pre_t, post_t, pre_c, post_c)
    change_t = (post_t - pre_t)[~np.isnan(pre_t)]
    change_c = (post_c - pre_c)[~np.isnan(post_c)]
    ref = stats.ttest_ind(change_t, change_c, equal_var=False)
    interval = ref.confidence_interval(0.95)
    assert (r.n_treat, r.n_ctrl) == (39, 54)
    assert r.estimate == pytest.approx(change_t.mean() - change_c.mean())
    assert r.estimate / r.se == pytest.approx(ref.statistic)
    assert r.df == pytest.approx(ref.df)
    assert (r.ci_low, r.ci_high) == pytest.approx((interval.low, interval.high))
    pooled = math.sqrt(
        (
            38 * np.var(pre_t[~np.isnan(pre_t)], ddof=1)
            + 53 * np.var(pre_c[~np.isnan(post_c)], ddof=1)
        )
        / 91
    )
    assert r.standardized == pytest.approx(r.estimate / pooled)


# ------------------------------------------------------ recoding and scores


LIKERT = st.one_of(st.none(), st.integers(1, 5))


@st.composite
def surveys(draw: st.DrawFn, min_items: int = 1) -> tuple[pd.DataFrame, ScaleSpec]:
    k = draw(st.integers(min_items, 6))
    rows = draw(st.integers(1, 25))
    items = tuple(f"i{j}" for j in range(k))
    data = {
        item: [
            NAN if v is None else float(v)
            for v in draw(st.lists(LIKERT, min_size=rows, max_size=rows))
        ]
        for item in items
    }
    reverse = frozenset(draw(st.sets(st.sampled_from(items))))
    if draw(st.booleans()):
        min_answered: float = draw(st.integers(1, k))
    else:
        min_answered = draw(st.floats(0.0, 1.0))
    frame = pd.DataFrame(data, index=[f"s{r}" for r in range(rows)])
    return frame, ScaleSpec(items=items, reverse=reverse, min_answered=min_answered)


@settings(max_examples=80, deadline=None)
@given(surveys())
def test_reverse_coding_twice_is_identity(case: tuple[pd.DataFrame, ScaleSpec]) -> None:
    frame, spec = case
    once = recode(frame, spec)
    twice = recode(once, spec)
    pd.testing.assert_frame_equal(twice, frame[list(spec.items)].astype(float))
    for item in spec.items:
        expected = 6 - frame[item] if item in spec.reverse else frame[item]
        pd.testing.assert_series_equal(once[item], expected.astype(float), check_names=False)


@settings(max_examples=80, deadline=None)
@given(surveys())
def test_construct_score_is_the_prorated_mean(case: tuple[pd.DataFrame, ScaleSpec]) -> None:
    frame, spec = case
    scores = construct_scores(frame, {"c": spec})["c"]
    recoded = recode(frame, spec)
    need = spec.required_answers()
    assert scores.index.equals(frame.index)
    for pos in range(len(recoded)):
        answered = recoded.iloc[pos].dropna()
        score = float(scores.iloc[pos])
        if len(answered) >= need:
            assert score == pytest.approx(answered.mean())
            assert spec.scale_min <= score <= spec.scale_max
        else:
            assert math.isnan(score)


def test_min_answered_fraction_and_count() -> None:
    spec = ScaleSpec(items=("a", "b", "c", "d", "e"), min_answered=0.5)
    assert spec.required_answers() == 3  # half of five, rounded up
    assert ScaleSpec(items=tuple("abcdefghij"), min_answered=0.7).required_answers() == 7
    assert ScaleSpec(items=("a", "b", "c"), min_answered=1).required_answers() == 1
    assert ScaleSpec(items=("a", "b", "c"), min_answered=1.0).required_answers() == 3
    assert ScaleSpec(items=("a", "b"), min_answered=0.0).required_answers() == 1
    frame = pd.DataFrame(
        {"a": [5, 5, NAN], "b": [4, NAN, NAN], "c": [3, NAN, 1], "d": [NAN] * 3, "e": [1, 2, NAN]}
    )
    scores = construct_scores(frame, {"x": spec})["x"]
    assert scores.iloc[0] == pytest.approx(13 / 4)
    assert math.isnan(scores.iloc[1]) and math.isnan(scores.iloc[2])


def _texts(*values: str | None) -> pd.Series:
    """Answers as an imported CSV holds them: strings, None for blank."""
    return pd.Series(list(values), index=["s1", "s2", "s3"], dtype=object)


def test_recode_rejects_values_off_the_scale_naming_item_and_row() -> None:
    spec = ScaleSpec(items=("q1", "q2"), reverse=frozenset({"q2"}))
    frame = pd.DataFrame({"q1": [1, 2, 3], "q2": [4, 6, 5]}, index=["s1", "s2", "s3"])
    with pytest.raises(ValueError, match=r"item 'q2', row 's2'.*1\.\.5"):
        recode(frame, spec)
    with pytest.raises(ValueError, match=r"item 'q1', row 's3'"):
        recode(frame.assign(q1=[1, 2, 2.5], q2=[1, 1, 1]), spec)
    with pytest.raises(ValueError, match=r"item 'q1', row 's1'"):
        recode(frame.assign(q1=[0, 2, 3], q2=[1, 1, 1]), spec)
    with pytest.raises(ValueError, match=r"item 'q1', row 's2'.*'x'"):
        recode(frame.assign(q1=_texts("1", "x", None), q2=[1, 1, 1]), spec)
    with pytest.raises(ValueError, match="not columns"):
        recode(frame[["q1"]], spec)
    ok = recode(frame.assign(q1=_texts("1", "2", None), q2=[1, 5, NAN]), spec)
    assert ok["q2"].tolist()[:2] == [5.0, 1.0] and math.isnan(ok["q1"].iloc[2])


def test_scale_spec_validation() -> None:
    with pytest.raises(ValueError, match="not items"):
        ScaleSpec(items=("a", "b"), reverse=frozenset({"c"}))
    with pytest.raises(ValueError, match="duplicate"):
        ScaleSpec(items=("a", "a"))
    with pytest.raises(ValueError, match="below"):
        ScaleSpec(items=("a",), scale_min=5, scale_max=5)
    with pytest.raises(ValueError, match="count"):
        ScaleSpec(items=("a", "b"), min_answered=3)
    with pytest.raises(ValueError, match="fraction"):
        ScaleSpec(items=("a", "b"), min_answered=1.5)
    spec = ScaleSpec(items=["a", "b"], reverse={"b"})  # type: ignore[arg-type]
    assert spec.items == ("a", "b") and spec.reverse == frozenset({"b"})


# -------------------------------------------------------------- reliability


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=2, max_size=30).filter(lambda v: len(set(v)) > 1),
    st.integers(2, 8),
)
def test_alpha_of_identical_items_is_one(values: list[int], k: int) -> None:
    frame = pd.DataFrame({f"i{j}": values for j in range(k)})
    r = cronbach_alpha(frame)
    assert r.alpha == pytest.approx(1.0)
    assert r.ci_low <= r.alpha <= r.ci_high


@settings(max_examples=80, deadline=None)
@given(surveys(min_items=2), st.floats(-50, 50), st.integers(0, 5))
def test_alpha_properties(case: tuple[pd.DataFrame, ScaleSpec], shift: float, col: int) -> None:
    frame, spec = case
    items = recode(frame, spec)
    base = cronbach_alpha(items)
    shifted = items.copy()
    target = items.columns[col % items.shape[1]]
    shifted[target] = shifted[target] + shift
    moved = cronbach_alpha(shifted)
    if math.isnan(base.alpha):
        assert math.isnan(moved.alpha)
    else:
        assert moved.alpha == pytest.approx(base.alpha, abs=1e-9)
        assert base.ci_low <= base.alpha <= base.ci_high
    assert base.n == int(items.notna().any(axis=1).sum())
    complete = items.dropna()
    if len(complete) >= 2:
        a, b = cronbach_alpha(complete), cronbach_alpha(complete, missing="listwise")
        assert (a.n, a.k) == (b.n, b.k)
        assert a.alpha == pytest.approx(b.alpha, nan_ok=True)
        assert (a.ci_low, a.ci_high) == pytest.approx((b.ci_low, b.ci_high), nan_ok=True)


def test_item_statistics() -> None:
    rng = np.random.default_rng(2)
    factor = rng.normal(size=400)
    items = pd.DataFrame(
        {
            f"x{j}": np.clip(np.round(3 + factor * w + rng.normal(size=400)), 1, 5)
            for j, w in enumerate([0.9, 0.7, 0.5, 0.2])
        }
    )
    table = item_statistics(items)
    assert list(table.columns) == ["n", "mean", "sd", "missing", "item_rest_r", "alpha_if_deleted"]
    for item in items.columns:
        rest = items.drop(columns=item)
        assert table.loc[item, "alpha_if_deleted"] == pytest.approx(cronbach_alpha(rest).alpha)
        r = np.corrcoef(items[item], rest.sum(axis=1))[0, 1]
        assert table.loc[item, "item_rest_r"] == pytest.approx(r)
        assert table.loc[item, "sd"] == pytest.approx(items[item].std())
    gappy = items.mask(rng.random(items.shape) < 0.1)
    table = item_statistics(gappy)
    assert table["missing"].tolist() == pytest.approx(gappy.isna().mean().tolist())
    assert table["n"].tolist() == gappy.notna().sum().tolist()
    assert table["mean"].tolist() == pytest.approx(gappy.mean().tolist())


def _congeneric(n: int, loadings: list[float], seed: int, missing: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lam = np.array(loadings)
    latent = np.outer(rng.normal(size=n), lam) + rng.normal(size=(n, lam.size)) * np.sqrt(
        1 - lam**2
    )
    frame = pd.DataFrame(
        np.clip(np.round(3 + 1.1 * latent), 1, 5), columns=[f"q{j}" for j in range(lam.size)]
    )
    return frame.mask(rng.random(frame.shape) < missing)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_omega_is_at_least_alpha_for_congeneric_items(seed: int) -> None:
    items = _congeneric(3000, [0.9, 0.8, 0.6, 0.4, 0.3, 0.2], seed)
    omega = mcdonald_omega(items, n_boot=200, seed=seed)
    alpha = cronbach_alpha(items)
    assert omega.omega >= alpha.alpha - 0.002
    assert omega.ci_low <= omega.omega <= omega.ci_high
    assert omega.n == 3000 and omega.n_boot_valid == 200
    assert list(omega.loadings) == list(items.columns)
    assert omega.loadings["q0"] > omega.loadings["q5"] > 0


def test_omega_bootstrap_is_reproducible_with_the_seed() -> None:
    items = _congeneric(400, [0.8, 0.7, 0.6, 0.5, 0.6], 9, missing=0.05)
    a = mcdonald_omega(items, n_boot=300, seed=7)
    b = mcdonald_omega(items, n_boot=300, seed=7)
    c = mcdonald_omega(items, n_boot=300, seed=8)
    assert a == b
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    assert a.omega == c.omega
    assert a.n == int(items.notna().all(axis=1).sum())


def test_bootstrap_em_agrees_with_the_quasi_newton_fit() -> None:
    # The bootstrap refits thousands of replicates with a vectorised EM; it
    # must land on the same ML solution as fit_one_factor (L-BFGS-B).
    rng = np.random.default_rng(5)
    mats = []
    for _ in range(25):
        lam = rng.uniform(0.2, 0.9, size=5)
        x = np.outer(rng.normal(size=150), lam) + rng.normal(size=(150, 5)) * np.sqrt(1 - lam**2)
        mats.append(np.corrcoef(x, rowvar=False))
    mats.append(_heywood_corr())
    stack = np.array(mats)
    lam0, psi0 = np.full(5, 0.6), np.full(5, 0.64)
    lam, psi, ok = _em_batch(stack, lam0, psi0)
    assert ok.all()
    for b, corr in enumerate(stack):
        fit = fit_one_factor(corr)
        assert lam[b] == pytest.approx(fit.loadings, abs=1e-5)
        assert psi[b] == pytest.approx(fit.uniquenesses, abs=1e-5)
    assert psi[-1][0] == pytest.approx(UNIQUENESS_LOWER)
    assert fit_one_factor(stack[-1]).heywood


def _heywood_corr() -> np.ndarray:
    """Positive definite, but one factor would need item 0's loading above 1:
    r_0j = 0.7 and r_jk = 0.45 imply lambda_0^2 = 0.49 / 0.45 > 1 (a Heywood case)."""
    corr = np.full((5, 5), 0.45)
    corr[0, :] = corr[:, 0] = 0.7
    np.fill_diagonal(corr, 1.0)
    return corr


def test_omega_degenerate_inputs() -> None:
    x = [1.0, 2, 3, 4, 5, 3, 2, 4]
    same = pd.DataFrame({"a": x, "b": x, "c": x})
    r = mcdonald_omega(same, n_boot=20)  # singular: fitted by EM, loadings at the bound
    assert r.omega > 0.99 and all(v > 0.99 for v in r.loadings.values())
    flat = mcdonald_omega(same.assign(c=3.0), n_boot=20)
    assert math.isnan(flat.omega) and flat.n == 8
    assert math.isnan(mcdonald_omega(same.iloc[:2], n_boot=20).omega)
    with pytest.raises(ValueError, match="three items"):
        mcdonald_omega(same[["a", "b"]])
    with pytest.raises(ValueError, match="two items"):
        cronbach_alpha(same[["a"]])


# ------------------------------------------------------------------ summary


REQUIRED_KEYS = {
    "n",
    "mean",
    "sd",
    "alpha",
    "alpha_ci",
    "omega",
    "omega_ci",
    "k",
    "share_at_or_above",
}


def _wave() -> tuple[pd.DataFrame, dict[str, ScaleSpec]]:
    a = _congeneric(300, [0.8, 0.7, 0.6, 0.5, 0.6], 21, missing=0.05)
    b = _congeneric(300, [0.7, 0.7, 0.5], 22, missing=0.05)
    frame = pd.concat([a.add_prefix("a_"), b.add_prefix("b_")], axis=1)
    frame["a_q1"] = 6 - frame["a_q1"]  # a negatively worded item
    frame["pair1"] = frame["b_q0"]
    frame["pair2"] = frame["b_q1"]
    frame["gone"] = NAN
    frame["flat1"] = 3.0
    frame["flat2"] = 3.0
    frame["flat3"] = 3.0
    specs = {
        "agency": ScaleSpec(items=tuple(a.add_prefix("a_").columns), reverse=frozenset({"a_q1"})),
        "belonging": ScaleSpec(items=tuple(b.add_prefix("b_").columns), min_answered=1.0),
        "two_items": ScaleSpec(items=("pair1", "pair2")),
        "unanswered": ScaleSpec(items=("gone",)),
        "flat": ScaleSpec(items=("flat1", "flat2", "flat3")),
    }
    return frame, specs


def test_summarize_is_json_and_complete() -> None:
    frame, specs = _wave()
    out = summarize(frame, specs, thresholds={"agency": 3.5, "flat": 3.0}, n_boot=200)
    text = json.dumps(out, allow_nan=False)  # no NaN anywhere, no default= needed
    assert json.loads(text) == out
    assert list(out) == list(specs)
    for entry in out.values():
        assert set(entry) >= REQUIRED_KEYS
    agency = out["agency"]
    scores = construct_scores(frame, specs)["agency"].dropna()
    assert agency["n"] == len(scores)
    assert agency["mean"] == pytest.approx(scores.mean())
    assert agency["sd"] == pytest.approx(scores.std())
    assert agency["share_at_or_above"] == pytest.approx((scores >= 3.5).mean())
    assert agency["k"] == 5 and agency["threshold"] == 3.5
    items = recode(frame, specs["agency"])
    alpha = cronbach_alpha(items)
    assert agency["alpha"] == pytest.approx(alpha.alpha)
    assert agency["alpha_ci"] == pytest.approx([alpha.ci_low, alpha.ci_high])
    # Each construct's omega interval equals mcdonald_omega's with the same seed.
    for code in ("agency", "belonging"):
        omega = mcdonald_omega(recode(frame, specs[code]), n_boot=200, seed=0)
        assert out[code]["omega"] == pytest.approx(omega.omega)
        assert out[code]["omega_ci"] == pytest.approx([omega.ci_low, omega.ci_high])
        assert out[code]["omega_n"] == omega.n
    assert out["belonging"]["threshold"] is None
    assert out["belonging"]["share_at_or_above"] is None
    assert out["two_items"]["omega"] is None and out["two_items"]["alpha"] is not None
    assert out["unanswered"]["n"] == 0
    assert out["unanswered"]["mean"] is None and out["unanswered"]["alpha"] is None
    flat = out["flat"]
    assert flat["alpha"] is None and flat["omega"] is None and flat["sd"] == 0.0
    assert flat["share_at_or_above"] == 1.0


def test_summarize_share_counts_scores_equal_to_the_threshold() -> None:
    frame = pd.DataFrame({"a": [4, 3, 5, 2, NAN], "b": [4, 4, 5, 2, NAN], "c": [4, 3, 5, 2, 1]})
    spec = ScaleSpec(items=("a", "b", "c"), min_answered=2)
    out = summarize(frame, {"x": spec}, thresholds={"x": 4.0}, n_boot=0)
    # scores 4, 10/3, 5, 2 (the fifth respondent answered one item: unscored)
    assert out["x"]["n"] == 4
    assert out["x"]["share_at_or_above"] == 0.5
    assert out["x"]["omega_ci"] is None
    with pytest.raises(ValueError, match="unknown constructs"):
        summarize(frame, {"x": spec}, thresholds={"y": 3.0})


# ------------------------------------------------------------------- growth


PAIRS = st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=2, max_size=40).filter(
    lambda ps: len({b - a for a, b in ps}) > 1 and len({a for a, _ in ps}) > 1
)


@settings(max_examples=100, deadline=None)
@given(PAIRS)
def test_paired_change_properties(pairs: list[tuple[int, int]]) -> None:
    pre = [float(a) for a, _ in pairs]
    post = [float(b) for _, b in pairs]
    r = paired_change(pre, post)
    mean_diff = float(np.mean(np.subtract(post, pre)))
    assert np.sign(r.d_z) == np.sign(mean_diff) == np.sign(r.t)
    if mean_diff != 0:
        assert np.sign(r.d_av) == np.sign(mean_diff)
    assert r.d_z_ci[0] <= r.d_z <= r.d_z_ci[1]
    if math.isfinite(r.d_av):
        assert r.d_av_ci[0] <= r.d_av <= r.d_av_ci[1]
    assert abs(r.g_z) <= abs(r.d_z)
    flipped = paired_change(post, pre)
    assert flipped.d_z == pytest.approx(-r.d_z)
    assert flipped.d_z_ci == pytest.approx((-r.d_z_ci[1], -r.d_z_ci[0]), abs=1e-7)


def test_paired_change_drops_incomplete_pairs() -> None:
    r = paired_change([1, 2, NAN, 4, 5], [2, 2, 3, NAN, 7])
    assert r.n == 3 and r.mean_diff == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least two"):
        paired_change([1, NAN], [2, 3])
    with pytest.raises(ValueError, match="length"):
        paired_change([1, 2], [1, 2, 3])
    exact = paired_change([1, 2, 3], [2, 3, 4])  # every student +1: no spread
    assert math.isnan(exact.d_z) and exact.d_av == pytest.approx(1.0)


@settings(max_examples=100, deadline=None)
@given(PAIRS, PAIRS)
def test_difference_in_differences_properties(
    treat: list[tuple[int, int]], ctrl: list[tuple[int, int]]
) -> None:
    r = difference_in_differences(
        [a for a, _ in treat], [b for _, b in treat], [a for a, _ in ctrl], [b for _, b in ctrl]
    )
    assert r.ci_low <= r.estimate <= r.ci_high
    same = difference_in_differences(
        [a for a, _ in treat], [b for _, b in treat], [a for a, _ in treat], [b for _, b in treat]
    )
    assert same.estimate == pytest.approx(0.0, abs=1e-12)
    swapped = difference_in_differences(
        [a for a, _ in ctrl], [b for _, b in ctrl], [a for a, _ in treat], [b for _, b in treat]
    )
    assert swapped.estimate == pytest.approx(-r.estimate)
    assert swapped.se == pytest.approx(r.se)


def test_group_reliabilities_match_the_single_group_functions() -> None:
    from ekkyo.core.psychometrics import group_reliabilities, mcdonald_omega

    rng = np.random.default_rng(5)
    n, k = 600, 5
    trait = rng.normal(size=(n, 1))
    loadings = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    raw = np.clip(np.rint(3 + trait * loadings + rng.normal(0, 0.7, size=(n, k))), 1, 5)
    frame = pd.DataFrame(raw, columns=[f"i{j}" for j in range(k)])
    frame.iloc[::17, 2] = np.nan
    spec = ScaleSpec(items=tuple(frame.columns), reverse=frozenset(), scale_min=1, scale_max=5)
    groups = ["a" if i % 3 else "b" for i in range(n)]
    result = group_reliabilities(frame, groups, {"c": spec})
    for g in ("a", "b"):
        rows = frame[[x == g for x in groups]]
        expected_alpha = cronbach_alpha(rows, missing="listwise").alpha
        got = result[(g, "c")]
        assert got.alpha == pytest.approx(expected_alpha, abs=1e-9)
        ml = mcdonald_omega(rows, n_boot=0).omega
        assert got.omega == pytest.approx(ml, abs=0.03)  # standardised PAF vs raw ML
        assert got.n == construct_scores(rows, {"c": spec})["c"].count()
