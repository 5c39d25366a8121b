"""Executors: run independent units of work in this process or in a local process pool."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")

_THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _init_worker() -> None:
    for var in _THREAD_ENV:
        os.environ.setdefault(var, "1")


def run_local(
    fn: Callable[..., T], tasks: Iterable[tuple[Any, ...]], workers: int = 1
) -> Iterator[tuple[tuple[Any, ...], T]]:
    """Run ``fn(*task)`` for every task; yield ``(task, result)`` as each finishes.

    ``workers <= 1`` runs in this process, in order. Otherwise a pool of
    ``workers`` spawned processes runs the tasks; at most ``2 * workers`` are
    queued at once, so a long task list costs no memory up front.
    """
    tasks = iter(tasks)
    if workers <= 1:
        for task in tasks:
            yield task, fn(*task)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker) as pool:
        pending: dict[Future[T], tuple[Any, ...]] = {}

        def fill() -> None:
            while len(pending) < 2 * workers:
                task = next(tasks, None)
                if task is None:
                    return
                pending[pool.submit(fn, *task)] = task

        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                task = pending.pop(fut)
                yield task, fut.result()
            fill()


EXECUTORS = ("local", "ray")
RAY_LOCAL_OBJECT_STORE = 256 << 20  # a local Ray instance only passes small unit results


def run_ray(
    fn: Callable[..., T],
    tasks: Iterable[tuple[Any, ...]],
    workers: int = 1,
    address: str | None = None,
) -> Iterator[tuple[tuple[Any, ...], T]]:
    """Like :func:`run_local`, on Ray: one Ray task per unit, at most ``2 * workers`` in flight.

    ``address`` joins an existing cluster (``auto`` or ``ray://host:10001``); without it a
    local Ray instance with ``workers`` CPUs is started for the run and shut down after.
    Every node needs mkdata installed (or a ``runtime_env`` that installs it).
    """
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=max(1, workers), object_store_memory=RAY_LOCAL_OBJECT_STORE, **kwargs)
    remote = ray.remote(num_cpus=1)(fn).options(
        runtime_env={"env_vars": {v: "1" for v in _THREAD_ENV}}
    )
    tasks = iter(tasks)
    limit = 2 * max(1, workers)
    pending: dict[Any, tuple[Any, ...]] = {}
    try:
        while True:
            while len(pending) < limit:
                task = next(tasks, None)
                if task is None:
                    break
                pending[remote.remote(*task)] = task
            if not pending:
                return
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)
    finally:
        if started_here:
            ray.shutdown()


def run_units(
    fn: Callable[..., T],
    tasks: Iterable[tuple[Any, ...]],
    workers: int = 1,
    executor: str = "local",
    address: str | None = None,
) -> Iterator[tuple[tuple[Any, ...], T]]:
    """Run units on the ``executor`` (``local`` process pool or ``ray``); see run_local."""
    if executor == "ray":
        return run_ray(fn, tasks, workers, address)
    if executor != "local":
        raise ValueError(f"unknown executor {executor!r}: expected local or ray")
    return run_local(fn, tasks, workers)
