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
