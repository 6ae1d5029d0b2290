"""Gaussian mixture (EM) and kernel density baselines against oracles."""

import numpy as np
import pytest
import scipy.stats
from evaluation_models import gaussian_log_pdf
from sklearn.mixture import GaussianMixture as SklearnMixture

from kgen.contract import Capability
from kgen.data import TOY_DENSITIES, bimodal_1d, toy_density
from kgen.evaluation import GaussianMixture, KernelDensity


def test_em_never_decreases_the_likelihood_and_recovers_known_components():
    points = bimodal_1d(6000, seed=0)  # 0.3 N(-2, 0.5^2) + 0.7 N(2, 1)
    mixture = GaussianMixture(2, tolerance=1e-10, seed=1).fit(points)
    history = np.array(mixture.log_likelihood_history)
    assert len(history) > 3
    assert np.all(np.diff(history) >= -1e-10)
    order = np.argsort(mixture.means[:, 0])
    np.testing.assert_allclose(mixture.means[order, 0], [-2.0, 2.0], atol=0.06)
    np.testing.assert_allclose(
        np.sqrt(mixture.covariances[order, 0, 0]), [0.5, 1.0], atol=0.04
    )
    np.testing.assert_allclose(mixture.weights[order], [0.3, 0.7], atol=0.02)
    # the true density's mean log-likelihood is at most a little above the fit's
    truth = np.logaddexp(
        np.log(0.3) + scipy.stats.norm(-2, 0.5).logpdf(points[:, 0]),
        np.log(0.7) + scipy.stats.norm(2, 1).logpdf(points[:, 0]),
    )
    assert history[-1] >= truth.mean() - 1e-9


def test_two_dimensional_components_and_sklearn_agree():
    rng = np.random.default_rng(2)
    means = np.array([[-3.0, 0.0], [3.0, 1.0], [0.0, 4.0]])
    covariance = np.array([[0.6, 0.2], [0.2, 0.4]])
    labels = rng.integers(0, 3, 3000)
    points = means[labels] + rng.multivariate_normal([0, 0], covariance, 3000)
    mixture = GaussianMixture(3, seed=0).fit(points)
    order = np.argsort(mixture.means[:, 0])
    np.testing.assert_allclose(mixture.means[order], means[[0, 2, 1]], atol=0.08)
    np.testing.assert_allclose(mixture.covariances[order][0], covariance, atol=0.08)
    reference = SklearnMixture(3, random_state=0, reg_covar=1e-6).fit(points)
    assert mixture.log_prob(points).mean() == pytest.approx(
        reference.score(points), abs=1e-4
    )
    # log_prob is the mixture of the fitted Gaussians
    expected = np.logaddexp.reduce(
        [
            np.log(w) + gaussian_log_pdf(points, m, c)
            for w, m, c in zip(mixture.weights, mixture.means, mixture.covariances)
        ],
        axis=0,
    )
    np.testing.assert_allclose(mixture.log_prob(points), expected, rtol=1e-10)


def test_kde_with_scotts_rule_matches_scipy():
    rng = np.random.default_rng(3)
    for points in (rng.normal(size=(300, 1)), toy_density("two_moons", 400, seed=1)):
        kde = KernelDensity("scott").fit(points)
        queries = rng.normal(size=(50, points.shape[1]))
        reference = scipy.stats.gaussian_kde(np.asarray(points, "float64").T)
        np.testing.assert_allclose(
            kde.log_prob(queries), reference.logpdf(queries.T), rtol=1e-9
        )
        assert kde.factor == pytest.approx(reference.factor)


def test_cross_validation_picks_the_best_leave_one_out_factor():
    points = bimodal_1d(600, seed=4)
    kde = KernelDensity("cv", cv_factors=(0.3, 1.0, 3.0)).fit(points)
    assert kde.factor == max(kde.cv_scores, key=kde.cv_scores.get)
    # leave-one-out written out for one factor
    factor = next(iter(kde.cv_scores))
    x = points[:, 0].astype("float64")
    std = factor * x.std(ddof=1)
    pairwise = scipy.stats.norm.logpdf(x[:, None], loc=x[None, :], scale=std)
    np.fill_diagonal(pairwise, -np.inf)
    loo = np.mean(np.logaddexp.reduce(pairwise, axis=1) - np.log(len(x) - 1))
    assert kde.cv_scores[factor] == pytest.approx(loo, rel=1e-10)
    # the chosen factor generalizes better than the widest candidate
    held_out = bimodal_1d(2000, seed=40)
    wide = KernelDensity(3.0 * 600 ** (-1 / 5)).fit(points)
    assert kde.log_prob(held_out).mean() > wide.log_prob(held_out).mean()


@pytest.mark.parametrize("model", [GaussianMixture(3), KernelDensity("silverman")])
def test_densities_integrate_to_one_in_1d(model):
    model.fit(bimodal_1d(800, seed=5))
    grid = np.linspace(-8, 9, 4001)[:, None]
    total = np.trapezoid(np.exp(model.log_prob(grid)), grid[:, 0])
    assert total == pytest.approx(1.0, abs=1e-4)


def test_sampling_is_seeded_and_follows_the_model():
    mixture = GaussianMixture(2, seed=0).fit(bimodal_1d(4000))
    a, b = mixture.sample(20000, seed=1), mixture.sample(20000, seed=1)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.shape == (20000, 1)
    assert not np.array_equal(mixture.sample(5), mixture.sample(5))
    mean = np.sum(mixture.weights * mixture.means[:, 0])
    assert a.mean() == pytest.approx(mean, abs=0.03)
    points = toy_density("ring", 2000).astype("float64")
    kde = KernelDensity().fit(points)
    samples = kde.sample(40000, seed=2)
    # a training point plus N(0, h^2 S): covariance S_points + h^2 S
    covariance = np.cov(points, rowvar=False)
    expected = covariance * (len(points) - 1) / len(points) + kde.factor**2 * covariance
    np.testing.assert_allclose(np.cov(samples, rowvar=False), expected, atol=0.05)
    np.testing.assert_allclose(samples.mean(axis=0), points.mean(axis=0), atol=0.03)


@pytest.mark.parametrize("name", TOY_DENSITIES)
def test_baselines_beat_one_gaussian_on_the_toy_densities(name):
    train, test = toy_density(name, 1500, seed=0), toy_density(name, 500, seed=1)
    one = GaussianMixture(1).fit(train).log_prob(test).mean()
    mixture = GaussianMixture(8, max_iterations=60, seed=0).fit(train)
    kde = KernelDensity("cv").fit(train)
    # held-out log-likelihood (nats per point) well above one Gaussian's
    assert mixture.log_prob(test).mean() > one + 0.2
    assert kde.log_prob(test).mean() > one + 0.2


def test_declaration_and_contract():
    mixture = GaussianMixture(2).fit(toy_density("two_moons", 500))
    assert mixture.has(Capability.EXACT_LIKELIHOOD) and mixture.has(Capability.SAMPLE)
    assert mixture.data_convention.kind == "real"
    assert mixture.data_convention.shape == (2,)
    with pytest.raises(ValueError, match="bits/dim"):
        mixture.bits_per_dim(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="no conditions"):
        mixture.log_prob(np.zeros((2, 2)), conditions=[0, 1])


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least that many points"):
        GaussianMixture(5).fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="dim \\+ 1 = 3"):
        KernelDensity().fit(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="2-D points"):
        GaussianMixture(1).fit(np.random.default_rng(0).normal(size=(10, 2))).log_prob(
            np.zeros((3, 3))
        )
    with pytest.raises(ValueError, match="not fitted"):
        KernelDensity().log_prob(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="bandwidth"):
        KernelDensity(bandwidth=-1.0)
    with pytest.raises(ValueError, match="NaN"):
        KernelDensity().fit(np.full((5, 1), np.nan))
