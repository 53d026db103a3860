"""All digits at once: every test digit as a point on a 2-D map of what the last hidden layer makes of it.

The last hidden layer (the input of the output layer) holds the network's final description of a digit, e.g.
50 numbers for the reference model. Two ways flatten those descriptions onto a page:

- PCA: the two directions along which the descriptions vary most (from a singular value decomposition of the
  centred descriptions). Exact, instant, and distances along the axes mean something; clusters may overlap.
- t-SNE (scikit-learn): places digits so that each one's nearest neighbours stay near it. Clusters separate
  clearly, but distances between clusters and the axes mean nothing. Takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.network.forward import Network
from cnnlab.network.model import summarize_config

METHODS = ("pca", "tsne")
MAP_DIGITS = 2000  # test digits on the map: enough to see every cluster, few enough for t-SNE in seconds
# t-SNE settings, measured on 2,000 digits of the reference model on 2 cores (see the README's Performance). From a
# PCA start, 300 iterations place the digits almost as 500 do (96.2 % against 96.8 % of nearest neighbours agree
# with the features) in about 60 % of the time; perplexity 30 is scikit-learn's default.
TSNE_PERPLEXITY = 30.0
TSNE_ITERATIONS = 300


@dataclass(frozen=True)
class DigitMap:
    """Test digits placed on a plane.

    method: "pca" or "tsne". indices: int64 (n,), which test digits (rows of the data set's test split), rising.
    coordinates: float32 (n, 2). labels: int64 (n,), the true digits. predicted: int64 (n,), the model's answers.
    variance_share: for PCA, the share of the descriptions' total variance along each axis, (2,); None for t-SNE.
    """

    method: str
    indices: np.ndarray
    coordinates: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray
    variance_share: np.ndarray | None = None

    @property
    def mistakes(self) -> np.ndarray:
        """bool (n,): where the model's answer is not the true digit."""
        return self.labels != self.predicted


def hidden_features(network: Network, images: np.ndarray) -> np.ndarray:
    """The last hidden layer's output for each digit (dropout off): float32 (n, units).

    images: uint8 (n, 28, 28), 0–255. Without hidden dense layers this is the last conv or pooling layer's maps,
    flattened.
    """
    last_hidden = summarize_config(network.config)[-2]["layer"]  # the layer that feeds the output layer
    return network.layer_output(images, last_hidden)


def pca_2d(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The features projected on their two principal axes, and each axis's share of the total variance.

    features: float (n, d), n ≥ 2. Returns float32 (n, 2), centred, axis 1 along the largest variance; and
    float (2,). Each axis's sign is fixed so that its largest loading is positive, so the map does not flip
    between runs.
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"PCA needs at least two rows of features; got an array of shape {features.shape}.")
    centred = features - features.mean(axis=0)
    # scikit-learn's PCA gives the same axes (the tests compare), but importing it costs the web server about 78 MiB
    # and a second, for one SVD; only the t-SNE map, which has no short NumPy form, loads scikit-learn.
    _, singular_values, axes = np.linalg.svd(centred, full_matrices=False)
    axes = axes[:2]
    # Fewer than two feature columns (or all digits alike) still gives a 2-D map: the missing axis is all zeros.
    if len(axes) < 2:
        axes = np.vstack([axes, np.zeros((2 - len(axes), features.shape[1]))])
        singular_values = np.concatenate([singular_values, np.zeros(2)])
    signs = np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])
    axes = axes * np.where(signs == 0, 1, signs)[:, None]
    total = float(np.sum(singular_values**2)) or 1.0
    return (centred @ axes.T).astype(np.float32), singular_values[:2] ** 2 / total


def tsne_2d(features: np.ndarray, seed: int = 0) -> np.ndarray:
    """A t-SNE map of the features (scikit-learn, started from PCA): float32 (n, 2). The same seed, the same map."""
    from sklearn.manifold import TSNE

    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or len(features) < 5:
        raise ValueError(f"t-SNE needs at least five rows of features; got an array of shape {features.shape}.")
    # Perplexity must stay below the number of digits; a small data set gets a smaller one.
    perplexity = min(TSNE_PERPLEXITY, (len(features) - 1) / 3)
    tsne = TSNE(n_components=2, perplexity=perplexity, max_iter=TSNE_ITERATIONS, init="pca",
                learning_rate="auto", random_state=seed)
    return tsne.fit_transform(features).astype(np.float32)


def chosen_digits(count: int, limit: int = MAP_DIGITS, seed: int = 0) -> np.ndarray:
    """Which of `count` test digits go on the map: all when there are at most `limit`, else `limit` of them drawn
    with a seeded generator (test splits may be sorted by digit). int64 (≤ limit,), rising."""
    if count <= limit:
        return np.arange(count, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(count, size=limit, replace=False)).astype(np.int64)


def digit_map(network: Network, x_test: np.ndarray, y_test: np.ndarray, method: str = "pca",
              limit: int = MAP_DIGITS, seed: int = 0) -> DigitMap:
    """The map of up to `limit` test digits by `method` ("pca" or "tsne").

    x_test: uint8 (n, 28, 28); y_test: int (n,). The network's answers come from the same pass as the features.
    """
    if method not in METHODS:
        raise ValueError(f"The map can be made by {' or '.join(METHODS)}, not {method!r}.")
    if len(x_test) != len(y_test):
        raise ValueError(f"There are {len(x_test):,} test digits but {len(y_test):,} labels; each needs one.")
    indices = chosen_digits(len(y_test), limit, seed)
    images = np.asarray(x_test)[indices]
    features = hidden_features(network, images)
    weights, bias = network.parameters("output")
    predicted = np.argmax(features @ weights + bias, axis=1).astype(np.int64)
    share = None
    if method == "pca":
        coordinates, share = pca_2d(features)
    else:
        coordinates = tsne_2d(features, seed)
    return DigitMap(method, indices, coordinates, np.asarray(y_test)[indices].astype(np.int64), predicted, share)
