"""The nearest-neighbour index that proposes region candidates: binary (ORB) descriptors in, a faiss index out.

Three shapes, chosen by how many descriptors there are (`build`):

    up to FLAT_UP_TO             exact (IndexBinaryFlat)
    up to 4 * LIST_LENGTH**2     an inverted file of 2 sqrt(n) lists, probing NPROBE of them
    past that                    an inverted file of lists LIST_LENGTH long, probing FIXED_NPROBE of them,
                                 its lists found by two-level k-means and looked up through an inverted
                                 file of their own

A query of the middle shape scans a share of the descriptors that grows as sqrt(n), so the candidate
search grows as n^1.5. Lists of a fixed length keep a query's scan about constant (FIXED_NPROBE lists,
plus the list lookup's sqrt(lists) centroids and QUANTIZER_PROBE of their groups), so the search grows
about as n. The two meet where 2 sqrt(n) lists are LIST_LENGTH long: smaller corpora (every shared
labelled set, 3,000 files) keep the lists they had. FIXED_NPROBE keeps the share of the exact nearest
neighbours found where it was (0.91 at 3.1 million descriptors, bench/RESULTS.md).

Either inverted file is searched a list at a time for every query that probes it (`search`).

Everything is trained on one thread from a seeded sample, so a corpus gets the same lists, and so the
same candidates, on every run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

BITS = 256  # an ORB descriptor
FLAT_UP_TO = 20_000
NPROBE = 16
TRAIN_PER_LIST = 16  # descriptors the k-means sees per list
LIST_LENGTH = 600
FIXED_NPROBE = 24
QUANTIZER_PROBE = 12
KMEANS_ITERATIONS = 10  # faiss's own default for an inverted file's training
COARSE_SAMPLE = 256  # descriptors per coarse centroid the first level's k-means sees


SHAPES = ("exact", "square-root lists", "fixed-length lists")


def shape_for(n: int) -> str:
    """The shape `build` gives an index of n descriptors."""
    return SHAPES[0] if n <= FLAT_UP_TO else SHAPES[1] if n <= 4 * LIST_LENGTH ** 2 else SHAPES[2]


def build(faiss, descriptors: np.ndarray, shape: str | None = None):
    """A faiss binary index holding `descriptors` ((n, 32) uint8), of the shape their number calls for (or `shape`)."""
    shape = shape or shape_for(len(descriptors))
    if shape == SHAPES[0]:
        index = faiss.IndexBinaryFlat(BITS)
    elif shape == SHAPES[1]:
        index = square_root_lists(faiss, descriptors)
    else:
        index = fixed_length_lists(faiss, descriptors)
    index.add(descriptors)
    if hasattr(index, "per_invlist_search"):
        # One list at a time for every query that probes it, not one query at a time: the list stays in cache.
        # 2.2x fewer CPU seconds a query at 3.1 million descriptors, the same distances (bench/RESULTS.md).
        # `search` keeps each call at least as long as the lists are many (see _padded).
        index.per_invlist_search = True
    return index


def search(faiss, index, queries: np.ndarray, k: int, threads: int) -> tuple[np.ndarray, np.ndarray]:
    """(distances, ids), each (len(queries), k): every query's k nearest, as `index.search` gives them.

    The queries are split over `threads` threads, faiss on one thread in each. A query's answer depends on
    nothing but the index, so any split gives the same arrays; faiss's own threads would search the lists
    of one call in parallel and merge their heaps, which orders equal distances by the thread count.
    """
    def one_part(part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        faiss.omp_set_num_threads(1)  # OpenMP's thread count is each thread's own
        distances, ids = index.search(_padded(index, part), k)
        return distances[:len(part)], ids[:len(part)]

    # no more parts than keep each at least fewest_queries long: a shorter call is padded (see _padded)
    fewest = fewest_queries(index)
    if fewest:
        threads = min(threads, len(queries) // fewest)
    parts = [p for p in np.array_split(queries, max(1, threads)) if len(p)] or [queries]
    if len(parts) == 1:
        return one_part(parts[0])
    with ThreadPoolExecutor(len(parts)) as pool:
        found = list(pool.map(one_part, parts))
    return np.concatenate([d for d, _ in found]), np.concatenate([i for _, i in found])


def fewest_queries(index) -> int:
    """The fewest queries a call to `index.search` is given (shorter calls are padded): its lists' number when it
    is searched list by list, else 0."""
    return int(index.nlist) if getattr(index, "per_invlist_search", False) else 0


def _padded(index, queries: np.ndarray) -> np.ndarray:
    """The queries, with copies of the first appended until there are as many as the index has lists.

    faiss 1.15's list-by-list search sorts the queries' lists into a table it sizes by the number of
    queries, not of lists: a call with fewer queries than lists writes past it (a heap corruption that
    aborted the process at 12.5 million descriptors). Each query's answer is its own (lists are visited in
    order whatever else is asked), so the copies change nothing but the cost, and only of a short call."""
    short = fewest_queries(index) - len(queries)
    if short <= 0 or not len(queries):
        return queries
    return np.concatenate([queries, np.repeat(queries[:1], short, axis=0)])


def in_words(n: int) -> str:
    """How `build`'s index for n descriptors searches, in words (for --explain)."""
    shape = shape_for(n)
    if shape == SHAPES[0]:
        return "exact"
    if shape == SHAPES[1]:
        return f"an inverted file of {int(2 * np.sqrt(n)):,} lists probing {NPROBE} of them, not exact"
    return f"an inverted file of about {n // LIST_LENGTH:,} lists probing {FIXED_NPROBE} of them, not exact"


def square_root_lists(faiss, descriptors: np.ndarray):
    """An empty inverted file of 2 sqrt(n) lists, trained on TRAIN_PER_LIST of the descriptors a list."""
    lists = int(2 * np.sqrt(len(descriptors)))
    index = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(BITS), BITS, lists)
    index.cp.min_points_per_centroid = TRAIN_PER_LIST  # faiss asks for 39 per list, and warns below that
    index.train(_sample(descriptors, TRAIN_PER_LIST * lists))
    index.nprobe = NPROBE
    return index


def fixed_length_lists(faiss, descriptors: np.ndarray):
    """An empty inverted file of lists about LIST_LENGTH long, whose centroids are found by an inverted file too."""
    lists = len(descriptors) // LIST_LENGTH
    coarse, fine = two_level_centroids(faiss, _sample(descriptors, TRAIN_PER_LIST * lists), lists)
    lookup = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(BITS), BITS, len(coarse))
    lookup.quantizer.add(coarse)
    lookup.is_trained = True
    lookup.add(fine)
    lookup.nprobe = QUANTIZER_PROBE
    index = faiss.IndexBinaryIVF(lookup, BITS, len(fine))  # faiss's wrapper keeps `lookup` alive with it
    index.is_trained = True
    index.nprobe = FIXED_NPROBE
    return index


def two_level_centroids(faiss, sample: np.ndarray, lists: int) -> tuple[np.ndarray, np.ndarray]:
    """(coarse, fine) binary centroids of `sample`: about sqrt(lists) coarse ones, then about `lists` fine ones,
    each coarse group split in proportion to its size.

    One k-means of `lists` centroids costs sample x lists; two levels cost about sample x 2 sqrt(lists), and
    only one group is ever held as floats. Binary centroids are float centroids of the bits as +-1 (what
    faiss's own binary training does), thresholded at 0.
    """
    k1 = max(1, int(round(np.sqrt(lists))))
    coarse = _kmeans(faiss, _sample(sample, COARSE_SAMPLE * k1), k1)
    groups = _nearest(faiss, coarse, sample)
    sizes = np.bincount(groups, minlength=len(coarse))
    shares = np.maximum(1, np.round(sizes * lists / len(sample))).astype(int)
    order = np.argsort(groups, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    fine = [_kmeans(faiss, sample[np.sort(order[starts[g]:starts[g + 1]])], int(shares[g]))
            for g in range(len(coarse)) if sizes[g]]
    return coarse, np.concatenate(fine)


def _kmeans(faiss, binary: np.ndarray, k: int) -> np.ndarray:
    if len(binary) <= k:
        return binary.copy()
    if k == 1:
        return _as_binary(_as_signs(binary).mean(axis=0, keepdims=True))
    km = faiss.Kmeans(BITS, k, niter=KMEANS_ITERATIONS, seed=1, min_points_per_centroid=1,
                      max_points_per_centroid=1 << 30)
    km.train(_as_signs(binary))
    return _as_binary(km.centroids)


def _nearest(faiss, centroids: np.ndarray, binary: np.ndarray) -> np.ndarray:
    index = faiss.IndexBinaryFlat(BITS)
    index.add(centroids)
    return index.search(binary, 1)[1].ravel()


def _as_signs(binary: np.ndarray) -> np.ndarray:
    return np.unpackbits(binary, axis=1).astype(np.float32) * 2 - 1


def _as_binary(signs: np.ndarray) -> np.ndarray:
    return np.packbits(signs > 0, axis=1)


def _sample(descriptors: np.ndarray, size: int) -> np.ndarray:
    """`size` rows of `descriptors` (all if fewer), drawn with a fixed seed, in their own order."""
    if size >= len(descriptors):
        return descriptors
    return descriptors[np.sort(np.random.default_rng(0).choice(len(descriptors), size, replace=False))]
