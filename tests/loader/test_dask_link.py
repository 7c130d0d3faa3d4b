"""Linking in blocks on a Dask cluster (two local worker processes) gives find_links's links, field for field."""

from __future__ import annotations

import os
import signal
from functools import partial

import numpy as np
import pytest

from tests.analysis.test_blocks import assert_same_links, planted  # noqa: F401  (a fixture)
from visualdistance.analysis.blocks import blocked_links, every_pair_tasks, split
from visualdistance.analysis.linking import find_links, find_new_links, pairwise
from visualdistance.analysis import search
from visualdistance.analysis.presets import DRAWING, PRESETS, indexed
from visualdistance.loader.cluster import local_cluster
from visualdistance.loader import dask_link
from visualdistance.loader.dask_link import DaskRun, block_rows, link_on_dask, on_this_machine

distributed = pytest.importorskip("distributed", reason="dask.distributed is a dependency; install the project")


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.mark.parametrize("preset", [DRAWING, indexed(DRAWING)], ids=["every pair", "index"])
def test_links_in_blocks_on_the_cluster_are_find_links_links(planted, client, preset):  # noqa: F811
    sigs, source = planted
    assert_same_links(link_on_dask(client, sigs, source, preset, size=15), find_links(sigs, source, preset))


def test_the_index_graph_is_built_and_asked_on_the_workers_with_the_same_candidates(planted, client, monkeypatch):  # noqa: F811
    sigs, source = planted
    preset = indexed(DRAWING)
    want = find_links(sigs, source, preset)

    def not_here(*_):
        raise AssertionError("the neighbour graph was built on the client")

    monkeypatch.setattr(search.Neighbours, "__init__", not_here)  # this process only: workers are their own
    with distributed.get_task_stream(client) as stream:
        got = link_on_dask(client, sigs, source, preset, size=15)
    ran = {t["key"][0] if isinstance(t["key"], tuple) else t["key"] for t in stream.data}
    assert any(k.startswith("_build_graph") for k in ran) and any(k.startswith("_nearest") for k in ran)
    assert_same_links(got, want)


def test_a_cluster_on_this_machine_links_here_and_one_elsewhere_on_its_workers(planted, client, monkeypatch):  # noqa: F811
    sigs, source = planted
    monkeypatch.setattr(dask_link, "LINK_HERE_BELOW", 0)
    assert on_this_machine(client)
    with distributed.get_task_stream(client) as stream:
        here = link_on_dask(client, sigs, source, DRAWING)
    assert not stream.data  # nothing went to the workers
    monkeypatch.setattr(dask_link, "THIS_MACHINE", frozenset())  # as if every worker were another machine
    assert not on_this_machine(client)
    with distributed.get_task_stream(client) as stream:
        there = link_on_dask(client, sigs, source, DRAWING)
    assert any(str(t["key"]).find("_link_task") >= 0 for t in stream.data)
    assert_same_links(here, there)


def test_a_relinks_new_panels_on_the_cluster(planted, client):  # noqa: F811
    sigs, source = planted
    fresh = np.zeros(len(source), bool)
    fresh[::4] = True
    assert_same_links(find_new_links(sigs, source, DRAWING, fresh, partial(link_on_dask, client, size=15)),
                      find_new_links(sigs, source, DRAWING, fresh))


def test_a_preset_scaled_by_corpus_means_is_linked_whole_on_the_client(planted, client):  # noqa: F811
    sigs, source = planted
    preset = PRESETS["original-mixed"]
    assert not pairwise(preset)
    assert_same_links(link_on_dask(client, sigs, source, preset, size=15), find_links(sigs, source, preset))


def test_each_block_goes_to_the_cluster_once_and_a_task_reads_only_its_own(planted, client):  # noqa: F811
    sigs, source = planted
    blocks = split(sigs, source, DRAWING, 15)
    run = DaskRun(client, DRAWING)
    run(blocks, every_pair_tasks(blocks)[:1])
    assert len(run.blocks) == len(blocks) == 4 and len({f.key for f in run.blocks}) == 4
    assert [len(b.rows) for b in client.gather(run.blocks)] == [15, 15, 15, 15]


def test_a_worker_killed_while_linking_takes_its_blocks_and_the_run_still_gives_the_same_links(planted):  # noqa: F811
    sigs, source = planted
    with local_cluster(2) as cluster, distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        run = DaskRun(client, DRAWING)
        killed = []

        def scatter_then_kill_a_worker_holding_blocks(blocks, tasks):
            if not killed:
                run.scatter(blocks)
                holder = next(iter(client.who_has(run.blocks).values()))[0]
                os.kill(pids[holder], signal.SIGKILL)
                killed.append(holder)
            return run(blocks, tasks)

        got = blocked_links(sigs, source, DRAWING, scatter_then_kill_a_worker_holding_blocks, size=15)
    assert killed
    assert_same_links(got, find_links(sigs, source, DRAWING))


def test_blocks_give_every_thread_a_few_tasks_and_stay_small():
    assert block_rows(27, 2) == 7  # four blocks, ten tasks
    assert block_rows(1_000_000, 16) == 4000
    assert block_rows(0, 2) == 1


def test_an_indexs_candidates_go_in_one_block_a_thread_as_few_pairs_of_blocks():
    assert block_rows(27, 2, indexed=True) == 14  # two blocks, three tasks
    assert block_rows(1_000_000, 16, indexed=True) == 4000
