"""The runner: every unit runs once, results come back with their task, bounded in flight."""

from __future__ import annotations

import itertools
import multiprocessing
import os

import pytest

from mkdata.core.runner import (
    Resources,
    core_left_free,
    model_resources,
    run_local,
    run_units,
    started_workers,
)


def square(x: int) -> int:
    return x * x


def test_in_process_order_and_results() -> None:
    assert list(run_local(square, [(i,) for i in range(5)])) == [((i,), i * i) for i in range(5)]


def test_pool_runs_every_unit_once_and_pulls_tasks_lazily() -> None:
    pulled = 0

    def tasks():
        nonlocal pulled
        for i in itertools.count():
            pulled += 1
            yield (i,)

    results = run_local(square, tasks(), workers=2)
    first = [next(results) for _ in range(3)]
    assert pulled <= 3 + 2 * 2  # at most 2 x workers queued beyond what was yielded
    assert all(r == t[0] ** 2 for t, r in first)
    results.close()
    got = dict(run_local(square, [(i,) for i in range(20)], workers=2))
    assert got == {(i,): i * i for i in range(20)}


def test_unknown_executor_and_resources(monkeypatch) -> None:
    with pytest.raises(ValueError, match="unknown executor"):
        run_units(square, [(1,)], executor="spark")
    monkeypatch.setenv("MKDATA_TEST_GPUS", "0.5")
    assert model_resources("MKDATA_TEST_GPUS") == Resources(cpus=1, gpus=0.5)
    monkeypatch.delenv("MKDATA_TEST_GPUS")
    assert model_resources("MKDATA_TEST_GPUS").gpus in (0.0, 1.0)


def test_a_core_is_left_free_only_where_fewer_workers_than_cores_are_busy() -> None:
    cores = os.cpu_count() or 1
    assert core_left_free(1) == (cores > 1)
    assert not core_left_free(cores)
    assert core_left_free(cores, units=1) == (cores > 1)  # one unit keeps one worker busy
    assert core_left_free(cores, executor="ray")  # the units run on the cluster


def where(x: int, module: str) -> tuple[int, int, bool]:
    import sys

    return x, os.getpid(), module in sys.modules


def fail_on(x: int) -> int:
    if x == 3:
        raise ValueError(f"unit {x} failed")
    return x


def test_started_workers_run_on_this_process_and_the_processes_started_ahead() -> None:
    assert not multiprocessing.active_children()
    with started_workers(2, "local", "colorsys"):
        started = multiprocessing.active_children()
        assert len(started) == 1  # started on entry: this process is the other worker
        pulled = 0

        def tasks():
            nonlocal pulled
            for i in range(12):
                pulled += 1
                yield (i, "colorsys")

        results = run_local(where, tasks(), workers=2)
        first = next(results)
        assert pulled <= 1 + 2  # one task in flight per worker when this process is one
        got = [first, *results]
    assert sorted(task[0] for task, _ in got) == list(range(12))
    pids = {pid for _, (_, pid, _) in got}
    assert pids == {os.getpid(), started[0].pid}  # every unit ran on one of the two
    # the started process imported the block's modules before its first unit
    assert all(imported for _, (_, pid, imported) in got if pid != os.getpid())
    assert not multiprocessing.active_children()  # the call shut its pool down


def test_started_workers_errors_other_sizes_and_unused_pools() -> None:
    with started_workers(2, "local"), pytest.raises(ValueError, match="unit 3 failed"):
        for _ in run_local(fail_on, [(i,) for i in range(6)], workers=2):
            pass
    assert not multiprocessing.active_children()
    with started_workers(2, "local"):  # a call of another size gets a pool of its own
        got = dict(run_local(square, [(i,) for i in range(6)], workers=3))
        assert got == {(i,): i * i for i in range(6)}
    with started_workers(2, "local"):  # no call took it: shut down on exit
        assert len(multiprocessing.active_children()) == 1
    assert not multiprocessing.active_children()
    with started_workers(2, "ray"), started_workers(1, "local"):
        assert not multiprocessing.active_children()  # nothing for Ray or one worker


def test_fewer_collections_raises_the_thresholds_and_restores_them() -> None:
    import gc
    import weakref

    from mkdata.core.runner import RECORD_LOOP_GC_THRESHOLD, fewer_collections

    class Node:
        other: object

    before = gc.get_threshold()
    assert before != RECORD_LOOP_GC_THRESHOLD and gc.get_freeze_count() == 0
    with pytest.raises(KeyError), fewer_collections():
        assert gc.get_threshold() == RECORD_LOOP_GC_THRESHOLD
        assert gc.get_freeze_count() > 0  # what existed on entry is left alone
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle made inside: collected without being asked
        gone = weakref.ref(a)
        del a, b
        keep = [[] for _ in range(2 * RECORD_LOOP_GC_THRESHOLD[0])]  # allocations
        assert gone() is None
        del keep
        raise KeyError
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0

    # blocks that overlap (units in threads) restore the settings when the last one ends
    first, second = fewer_collections(), fewer_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() == RECORD_LOOP_GC_THRESHOLD and gc.get_freeze_count() > 0
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0

    # objects another library froze stay frozen, and the block freezes none of its own (the
    # count may only fall: a frozen object can still be freed)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        newer = [[] for _ in range(1000)]  # would be frozen too, were the block to freeze
        with fewer_collections():
            assert gc.get_freeze_count() <= frozen and gc.get_threshold() != before
        assert 0 < gc.get_freeze_count() <= frozen and gc.get_threshold() == before
        del newer
    finally:
        gc.unfreeze()
