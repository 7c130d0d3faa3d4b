"""Describing on a Dask cluster (two local worker processes) gives what describing locally gives."""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

from tests import synthetic
from tests.conftest import save
from tests.loader.test_extract import corpus, same_rows
from visualdistance.analysis.presets import all_signatures
from visualdistance.analysis.signatures.regions import RegionKeypoints
from visualdistance.loader.cluster import local_cluster
from visualdistance.loader.dask_describe import batch_size
from visualdistance.loader.extract import extract_folder, extract_sets

distributed = pytest.importorskip("distributed", reason="dask.distributed is a dependency; install the project")


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as cluster, distributed.Client(cluster) as c:
        yield c


def _malloc_tuned() -> bool:
    from visualdistance.loader import cluster

    return cluster._malloc_tuned


def mixed_corpus(tmp_path, rng):
    """Stills, a mirrored copy, an animated GIF with a repeated frame, and a file that is not an image."""
    folder = corpus(tmp_path, rng, n=20)
    drawing = synthetic.random_drawing(rng)
    save(synthetic.render(drawing, size=(160, 120)), folder / "9_1.png")
    save(synthetic.render(drawing, size=(160, 120), mirrored=True), folder / "9_2.png")
    frames = [Image.fromarray(synthetic.render(synthetic.random_drawing(rng), size=(120, 90))) for _ in range(2)]
    frames[0].save(folder / "8_1.gif", save_all=True, append_images=[frames[1], frames[1], frames[0]], duration=80)
    (folder / "8_2.png").write_text("not a picture")
    return folder


def assert_same_extraction(local, on_dask) -> None:
    """Two extractions found the same bad files and the same panels, field for field and row for row."""
    assert [(b.path, b.reason) for b in on_dask.bad_files] == [(b.path, b.reason) for b in local.bad_files]
    a, b = local.panels, on_dask.panels
    for field in ("ids", "paths", "source", "frame", "last_frame", "width", "height", "sha256"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert a.signatures.keys() == b.signatures.keys()
    for name in a.signatures:
        assert same_rows(a.signatures[name], b.signatures[name]), name


def test_a_dask_run_gives_the_same_panels_rows_and_bad_files_as_a_local_one(tmp_path, rng, client):
    folder = mixed_corpus(tmp_path, rng)
    local = extract_folder(folder, all_signatures(), tmp_path / "local-store", workers=2)
    on_dask = extract_folder(folder, all_signatures(), tmp_path / "dask-store", client=client)
    assert (on_dask.decoded, on_dask.reused) == (local.decoded, local.reused) == (24, 0)
    assert_same_extraction(local, on_dask)
    # a worker that described set its allocator back from the nanny's MALLOC_TRIM_THRESHOLD_ (two batches:
    # one worker may have run both)
    assert True in client.run(_malloc_tuned).values()
    # The store the cluster filled serves the next run, local or not, with nothing decoded.
    again = extract_folder(folder, all_signatures(), tmp_path / "dask-store", workers=2)
    assert again.decoded == 0


def test_two_sets_on_dask_decode_each_file_once_and_give_what_a_local_run_gives(tmp_path, rng, client):
    # the common set already has the first files (a default run before), the keypoint set has none
    folder = mixed_corpus(tmp_path, rng)
    sets = (all_signatures(), (RegionKeypoints(),))
    extract_folder(folder, all_signatures(), tmp_path / "dask-store", workers=2)
    for k in range(3):
        save(synthetic.render(synthetic.random_drawing(rng), size=(160, 120)), folder / f"new_{k}.png")
    local = extract_sets(folder, sets, tmp_path / "local-store", workers=2)
    on_dask = extract_sets(folder, sets, tmp_path / "dask-store", client=client)
    assert (on_dask.decoded, on_dask.reused) == (local.decoded, local.reused) == (27, 0)
    assert_same_extraction(local, on_dask)
    assert extract_sets(folder, sets, tmp_path / "dask-store", workers=2).decoded == 0


def test_a_worker_killed_mid_run_costs_its_batch_a_retry_and_changes_nothing(tmp_path, rng):
    folder = mixed_corpus(tmp_path, rng)
    local = extract_folder(folder, all_signatures(), tmp_path / "local-store", workers=2)
    killed: list[str] = []
    with local_cluster(2) as cluster, distributed.Client(cluster) as client:
        pids = client.run(os.getpid)  # worker address -> its process

        @contextmanager
        def kill_a_busy_worker_at_the_first_result(total, description, unit):
            def advance(n=1):
                if not killed:
                    # one file per task: with 23 tasks left, a worker is always running one of them
                    busy = [w for w, tasks in client.processing().items() if tasks and w in pids]
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append(busy[0])
            yield advance

        on_dask = extract_folder(folder, all_signatures(), tmp_path / "dask-store", client=client, batch=1,
                                 progress=kill_a_busy_worker_at_the_first_result)
        assert killed and killed[0] not in client.run(os.getpid)  # it died (its nanny started another)
    assert (on_dask.decoded, on_dask.reused) == (local.decoded, local.reused) == (24, 0)
    assert_same_extraction(local, on_dask)


def test_runs_one_after_another_on_one_client_each_finish(tmp_path, rng, client):
    # each scatters an empty set of known hashes: equal data, which must not share a key the first run releases
    folder = corpus(tmp_path, rng, n=6)
    for k in range(3):
        assert extract_folder(folder, all_signatures(), tmp_path / f"store-{k}", client=client, batch=1).decoded == 6


def test_a_batch_keeps_the_scheduler_busy_for_a_small_share_and_every_thread_busy_to_the_end():
    assert batch_size(24, 2) == 16  # at least BATCH
    assert batch_size(1_000_000, 100) == 200  # twice the threads
    assert batch_size(10_000, 100) == 25  # a quarter of each thread's files
