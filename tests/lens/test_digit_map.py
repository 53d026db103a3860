"""The map of all test digits: PCA against NumPy's eigenvectors of the covariance, rows against the test digits and
the model's own answers, t-SNE keeping neighbours together."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.lens.digit_map import chosen_digits, digit_map, hidden_features, pca_2d, tsne_2d


@pytest.fixture(scope="module")
def features(reference_result, sample):
    return hidden_features(reference_result.network, sample.x_test)


def test_pca_matches_the_covariance_eigenvectors(features):
    coordinates, share = pca_2d(features)
    covariance = np.cov(features.astype(np.float64), rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # rising order
    top, second = eigenvalues[-1], eigenvalues[-2]
    variances = coordinates.astype(np.float64).var(axis=0, ddof=1)
    assert variances[0] >= variances[1]
    assert variances[0] == pytest.approx(top, rel=1e-3)
    assert variances[1] == pytest.approx(second, rel=1e-3)
    # Each axis is the projection on its eigenvector, up to the sign.
    centred = features - features.mean(axis=0)
    for axis, vector in ((0, eigenvectors[:, -1]), (1, eigenvectors[:, -2])):
        correlation = np.corrcoef(coordinates[:, axis], centred @ vector)[0, 1]
        assert abs(correlation) == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(share, [top, second] / eigenvalues.sum(), rtol=1e-3)


def test_pca_matches_scikit_learns(features):
    from sklearn.decomposition import PCA

    coordinates, share = pca_2d(features)
    pca = PCA(n_components=2, svd_solver="full").fit(features.astype(np.float64))
    theirs = pca.transform(features.astype(np.float64))
    tolerance = 1e-3 * np.abs(theirs).max()
    for axis in range(2):  # an axis's sign is a convention; ours makes its largest loading positive
        sign = np.sign(theirs[:, axis] @ coordinates[:, axis])
        np.testing.assert_allclose(coordinates[:, axis], sign * theirs[:, axis], rtol=1e-3, atol=tolerance)
    np.testing.assert_allclose(share, pca.explained_variance_ratio_, rtol=1e-4)


def test_the_map_rows_are_the_test_digits_with_their_labels_and_the_models_answers(reference_result, sample):
    model = reference_result.model
    result = digit_map(reference_result.network, sample.x_test, sample.y_test, "pca", limit=300, seed=4)
    assert len(result.indices) == 300 and np.all(np.diff(result.indices) > 0)
    assert set(np.unique(result.labels)) == set(range(10))  # drawn at random, not the first 300 (all zeros)
    np.testing.assert_array_equal(result.labels, sample.y_test[result.indices])
    keras_answers = np.asarray(model(sample.x_test[result.indices][..., None] / 255.0, training=False)).argmax(axis=1)
    np.testing.assert_array_equal(result.predicted, keras_answers)
    np.testing.assert_array_equal(result.mistakes, keras_answers != sample.y_test[result.indices])
    assert result.coordinates.shape == (300, 2) and np.isfinite(result.coordinates).all()
    # Fewer test digits than the limit: all of them, in order.
    everything = digit_map(reference_result.network, sample.x_test, sample.y_test, "pca")
    np.testing.assert_array_equal(everything.indices, np.arange(len(sample.y_test)))


def test_tsne_keeps_each_digits_neighbours_near_it(features, sample):
    chosen = chosen_digits(len(features), limit=500, seed=1)
    coordinates = tsne_2d(features[chosen], seed=0)
    assert coordinates.shape == (500, 2) and np.isfinite(coordinates).all()
    labels = sample.y_test[chosen]
    # Most digits' nearest neighbour on the map (by NumPy distances) shows the same digit.
    distances = np.linalg.norm(coordinates[:, None] - coordinates[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    assert np.mean(labels[distances.argmin(axis=1)] == labels) >= 0.8
    np.testing.assert_array_equal(coordinates, tsne_2d(features[chosen], seed=0))


def test_bad_requests_are_sentences(reference_result, sample):
    with pytest.raises(ValueError, match="pca or tsne"):
        digit_map(reference_result.network, sample.x_test, sample.y_test, "umap")
    with pytest.raises(ValueError, match="each needs one"):
        digit_map(reference_result.network, sample.x_test, sample.y_test[:5])
    with pytest.raises(ValueError, match="at least two rows"):
        pca_2d(np.zeros((1, 3)))
