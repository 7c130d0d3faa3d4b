"""Two processes writing one feature store at once (two runs, two hosts on a shared folder): no shard is lost
or damaged, and what either wrote reads back whole."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import time
from dataclasses import replace
from io import BytesIO

import numpy as np
from PIL import Image

from tests import synthetic
from visualdistance.analysis.presets import all_signatures
from visualdistance.loader.extract import describe_file
from visualdistance.loader.files import TEMP_PREFIX, TEMP_SUFFIX
from visualdistance.loader.store import DAMAGED_DIR, STALE_TEMP_S, FeatureStore

ROUNDS = 14  # two writers' shards pass the compaction limit (16), so opens compact while the other writes


def fake_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entries(rng: np.random.Generator, n: int) -> list:
    """n described files (real rows from generated drawings), each under a made-up content hash."""
    out = []
    for k in range(n):
        img = synthetic.render(synthetic.random_drawing(rng), size=(64, 48))
        buf = BytesIO()
        Image.fromarray(img).save(buf, format="PNG")
        entry, _ = describe_file(buf.getvalue(), fake_sha(f"file {k}"), all_signatures(), True)
        out.append(entry)
    return out


def _writer(store_dir, shared, own_tag, start) -> None:
    """Open the store (which may compact what the other process wrote), add the shared entries (the same keys
    the other process writes) and one of our own per round, flush; ROUNDS times."""
    start.wait()
    for r in range(ROUNDS):
        store = FeatureStore(store_dir, all_signatures())
        for entry in shared:
            store.add(entry)
        store.add(replace(shared[r % len(shared)], sha256=fake_sha(f"{own_tag} {r}")))
        store.flush()


def test_two_processes_writing_the_same_keys_at_once_lose_and_damage_nothing(tmp_path, rng):
    shared = entries(rng, 4)
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(tmp_path / "store", shared, tag, start)) for tag in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]

    store = FeatureStore(tmp_path / "store", all_signatures())
    assert store.damaged == [] and not (store.dir / DAMAGED_DIR).exists()
    assert not list(store.dir.glob(f"{TEMP_PREFIX}*"))
    expected = {e.sha256: e for e in shared}
    for tag in ("a", "b"):
        for r in range(ROUNDS):
            expected[fake_sha(f"{tag} {r}")] = replace(shared[r % len(shared)], sha256=fake_sha(f"{tag} {r}"))
    assert set(store.serving(True)) == set(expected)
    for sha, entry in expected.items():
        got = store.get(sha, True)
        assert np.array_equal(got.frame, entry.frame) and got.error == entry.error
        for name in store.names:
            assert np.array_equal(np.asarray(got.rows[name]), np.asarray(entry.rows[name])), name


def test_opening_clears_an_interrupted_writes_leftover_but_not_a_write_in_progress(tmp_path):
    folder = FeatureStore(tmp_path / "store", all_signatures()).dir
    old, busy = (folder / f"{TEMP_PREFIX}shard-{k}{TEMP_SUFFIX}" for k in ("old", "busy"))
    old.write_bytes(b"half a shard")
    busy.write_bytes(b"half a shard")
    stale = time.time() - STALE_TEMP_S - 60
    os.utime(old, (stale, stale))

    FeatureStore(tmp_path / "store", all_signatures())

    assert not old.exists() and busy.exists()
