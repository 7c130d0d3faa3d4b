"""Baselines the evaluation scores next to our presets.

- imagehash's phash / dhash / average_hash, linked at their usual threshold
  (Hamming distance <= 10 of 64 bits), as other tools use them;
- the original write-up's clustering attempts: k-means on PCA-reduced rows of
  the distance matrix with its elbow rule for k, and "exact membership"
  (panels whose sets of linked panels are identical form a group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from visualdistance.analysis.linking import Preset
from visualdistance.analysis.rules import Fixed, Hamming, Rule
from visualdistance.analysis.signatures.base import PanelView, Signature

IMAGEHASH_THRESHOLD = 10  # "<= 10 bits of 64" is the usual near-duplicate setting


@dataclass(frozen=True)
class ImagehashSignature(Signature):
    """A 64-bit hash from the imagehash library (method: phash, dhash or average_hash)."""

    name: str = "ih_phash"
    method: str = "phash"
    mirrorable = False

    def describe(self, view: PanelView) -> np.ndarray:
        import imagehash  # imported on first use: the product never needs it

        h = getattr(imagehash, self.method)(Image.fromarray(np.ascontiguousarray(view.rgb)))
        return np.packbits(h.hash.ravel(), bitorder="little").view(np.uint64).copy()


def imagehash_preset(method: str) -> Preset:
    sig = ImagehashSignature(f"ih_{method}", method)
    return Preset(
        name=f"imagehash-{method}",
        description=f"imagehash.{method}, Hamming distance <= {IMAGEHASH_THRESHOLD} of 64 bits.",
        signatures=(sig,),
        rules=(Rule(sig.name, Hamming(sig.name, sig.name, False), Fixed(IMAGEHASH_THRESHOLD + 1)),),
    )


IMAGEHASH_PRESETS = tuple(imagehash_preset(m) for m in ("phash", "dhash", "average_hash"))
#: the baselines by name, beside `presets.PRESETS`: `eval` scores both and offers both in --preset
BASELINES = {p.name: p for p in IMAGEHASH_PRESETS}


def kmeans_elbow(distances: np.ndarray, components: int = 20, k_max: int | None = None, seed: int = 0) -> np.ndarray:
    """The write-up's k-means: PCA of the distance-matrix rows, k chosen at the elbow of inertia.

    The elbow is the k whose (k, inertia) point lies farthest from the straight
    line joining the first and last tried k. Returns a label per panel.
    """
    from sklearn.cluster import KMeans  # heavy: only for this baseline
    from sklearn.decomposition import PCA

    n = len(distances)
    if n < 3:
        return np.zeros(n, np.int32)
    x = PCA(n_components=min(components, n - 1), random_state=seed).fit_transform(distances.astype(np.float32))
    k_max = k_max or max(2, min(n - 1, int(np.sqrt(n) * 2)))
    ks = np.unique(np.linspace(2, k_max, num=min(12, k_max - 1)).astype(int))
    fits = [KMeans(n_clusters=k, n_init=1, random_state=seed).fit(x) for k in ks]
    inertia = np.array([f.inertia_ for f in fits])
    p0, p1 = np.array([ks[0], inertia[0]]), np.array([ks[-1], inertia[-1]])
    span = np.maximum(np.abs(p1 - p0), 1e-9)
    pts = (np.c_[ks, inertia] - p0) / span
    line = (p1 - p0) / span
    dist = np.abs(pts[:, 0] * line[1] - pts[:, 1] * line[0])
    return fits[int(dist.argmax())].labels_.astype(np.int32)


def exact_membership(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Groups of panels whose closed link neighbourhoods are identical; lone panels get -1."""
    neighbours = [{i} for i in range(n)]
    for i, j in zip(a.tolist(), b.tolist()):
        neighbours[i].add(j)
        neighbours[j].add(i)
    keys: dict[frozenset, int] = {}
    labels = np.array([keys.setdefault(frozenset(s), len(keys)) for s in neighbours], np.int32)
    sizes = np.bincount(labels)
    return np.where(sizes[labels] >= 2, labels, -1)
