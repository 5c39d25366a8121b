"""The runner: independent units of work, with declared resources, on one executor.

``local`` runs units in this process or a spawned process pool (a command that knows it will
need the pool starts it before its own imports and runs units on this process too:
:func:`started_workers`); ``ray`` runs them as Ray
tasks, or, for model-holding work (``actors=True``: encoders, cross-encoders, LLMs), on a
pool of Ray actors that each load the model once and serve many units. A unit is a
picklable function and its arguments; it writes its result files itself (resumable units
write a completion marker last) and returns a small summary.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Resources:
    """What one unit (or one actor) needs: CPUs and GPUs (0 on CPU-only machines)."""

    cpus: float = 1.0
    gpus: float = 0.0


def model_resources(gpus_env: str) -> Resources:
    """A model-holding worker's needs: one CPU, and one GPU when this machine has CUDA
    (the environment variable ``gpus_env`` overrides, e.g. on a cluster whose driver has
    no GPU); never a GPU on CPU-only machines, so Ray does not wait for one forever."""
    override = os.environ.get(gpus_env)
    if override is not None:
        return Resources(cpus=1, gpus=float(override))
    try:
        import torch
    except ImportError:
        return Resources(cpus=1, gpus=0)
    return Resources(cpus=1, gpus=1.0 if torch.cuda.is_available() else 0.0)


def core_left_free(workers: int, executor: str = "local", units: int | None = None) -> bool:
    """True when running ``units`` units (None: many) on ``workers`` leaves a core of this
    machine idle: Ray runs them elsewhere, or fewer local workers than cores are busy."""
    busy = workers if units is None else min(workers, units)
    return executor == "ray" or max(1, busy) < (os.cpu_count() or 1)


_THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def thread_env() -> dict[str, str]:
    """The BLAS/OpenMP thread variables of a worker or helper process: one thread each, unless
    this process sets them otherwise (workers and helpers share the cores)."""
    return {var: os.environ.get(var, "1") for var in _THREAD_ENV}


def helper_env() -> dict[str, str]:
    """The environment of a helper process: this one's, with :func:`thread_env`."""
    return {**os.environ, **thread_env()}


# within fewer_collections: Python's cyclic collector looks at its youngest objects after
# 50,000 new ones instead of 700, and at all of them ~1,400 times less often
RECORD_LOOP_GC_THRESHOLD = (50_000, 20, 100)
_gc_lock = threading.Lock()
_gc_blocks: list[tuple[tuple[int, int, int], bool]] = []  # the settings on first entry


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Within this block, Python's cyclic garbage collector runs less often
    (``RECORD_LOOP_GC_THRESHOLD``) and never looks at the objects that exist on entry
    (``gc.freeze``, unless something else froze objects before), for a unit's loop over many
    records: every record leaves short-lived tuples and objects that the default thresholds
    collect again and again (a tenth of a webfaq unit's time), among caches that a full
    collection walks each time. Garbage in a cycle still goes, later. Blocks may overlap
    (threads): the collector's settings are restored when the last one ends."""
    with _gc_lock:
        if not _gc_blocks:
            freeze = gc.get_freeze_count() == 0
            _gc_blocks.append((gc.get_threshold(), freeze))
            if freeze:
                gc.freeze()
            gc.set_threshold(*RECORD_LOOP_GC_THRESHOLD)
        else:
            _gc_blocks.append(_gc_blocks[0])
    try:
        yield
    finally:
        with _gc_lock:
            threshold, froze = _gc_blocks.pop()
            if not _gc_blocks:
                gc.set_threshold(*threshold)
                if froze:
                    gc.unfreeze()


def _init_worker(modules: tuple[str, ...] = ()) -> None:
    os.environ.update(thread_env())
    for name in modules:
        importlib.import_module(name)


def _new_pool(workers: int, modules: tuple[str, ...] = ()) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(modules,)
    )


class _ThisProcess:
    """A worker that is this process: a daemon thread running one submitted task at a time
    (this process's main thread only waits meanwhile), so it costs no start-up. Not a
    ``ThreadPoolExecutor``: its threads are joined at exit, so Ctrl-C of a command would
    wait for the unit the thread runs; an interrupted unit is redone on the next run."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple] | None]
        self._jobs = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="mkdata-unit", daemon=True).start()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        fut: Future[T] = Future()
        self._jobs.put((fut, fn, args))
        return fut

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            fut, fn, args = job
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn(*args))
                except BaseException as exc:  # handed to the caller through the future
                    fut.set_exception(exc)

    def shutdown(self) -> None:
        self._jobs.put(None)


# the pool a started_workers block started, until a run_local call takes it: (size, pool)
_started_pool: tuple[int, ProcessPoolExecutor] | None = None


@contextlib.contextmanager
def started_workers(workers: int, executor: str, *modules: str) -> Iterator[None]:
    """Within this block, the next local :func:`run_units` call with ``workers`` workers
    runs its units on this process and ``workers - 1`` worker processes started on entry,
    each importing ``modules``: their start-up overlaps what this process does meanwhile (a
    command enters the block before its own imports), and this process, idle while its
    workers work, is one of them. Nothing is started for Ray or fewer than two workers, nor
    inside another such block; a pool that no call took is shut down on exit."""
    global _started_pool
    if executor != "local" or workers <= 1 or _started_pool is not None:
        yield
        return
    pool = _new_pool(workers - 1, modules)
    for _ in range(workers - 1):  # the pool starts a process for each task finding none idle
        pool.submit(int)
    _started_pool = (workers, pool)
    try:
        yield
    finally:
        if _started_pool is not None and _started_pool[1] is pool:
            _started_pool = None
            pool.shutdown(cancel_futures=True)


def _local_workers(workers: int) -> tuple[ProcessPoolExecutor, int, _ThisProcess | None]:
    """The process pool of a local call with ``workers`` workers, its size, and this
    process as one more worker: the pool :func:`started_workers` started for ``workers``
    (another is shut down), else a new pool of ``workers`` processes and no in-process one."""
    global _started_pool
    started, _started_pool = _started_pool, None
    if started is not None:
        if started[0] == workers:
            return started[1], workers - 1, _ThisProcess()
        started[1].shutdown(cancel_futures=True)
    return _new_pool(workers), workers, None


def run_local(
    fn: Callable[..., T], tasks: Iterable[tuple[Any, ...]], workers: int = 1
) -> Iterator[tuple[tuple[Any, ...], T]]:
    """Run ``fn(*task)`` for every task; yield ``(task, result)`` as each finishes.

    ``workers <= 1`` runs in this process, in order. Otherwise ``workers`` spawned
    processes run the tasks (or, in a :func:`started_workers` block, this process and the
    ``workers - 1`` the block started); at most ``2 * workers`` are queued at once, so a
    long task list costs no memory up front, and at most one per worker when this process
    is one of them, so no task waits behind another while a worker is idle.
    """
    tasks = iter(tasks)
    if workers <= 1:
        for task in tasks:
            yield task, fn(*task)
        return
    pool, size, this = _local_workers(workers)
    runners: list[tuple[Any, int]] = [(pool, size if this else 2 * size)]
    if this is not None:
        runners.insert(0, (this, 1))  # first: it has everything imported already
    pending: dict[Future[T], tuple[tuple[Any, ...], Any]] = {}

    def fill() -> None:
        for runner, limit in runners:
            busy = sum(1 for _, r in pending.values() if r is runner)
            while busy < limit and (task := next(tasks, None)) is not None:
                pending[runner.submit(fn, *task)] = (task, runner)
                busy += 1

    with pool:
        try:
            fill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    task, _ = pending.pop(fut)
                    yield task, fut.result()
                fill()
        finally:  # a caller that stops early: its queued tasks are not run
            for fut in pending:
                fut.cancel()
            if this is not None:
                this.shutdown()


EXECUTORS = ("local", "ray")
RAY_LOCAL_OBJECT_STORE = 256 << 20  # a local Ray instance only passes small unit results


# the Ray session this module started or joined: (its driver's node and job, the address
# given or None, CPUs of a local instance); None when Ray was started by the caller, or not
_our_ray: tuple[str, str | None, int] | None = None


def _ray_session() -> str:
    """The current Ray session of this process: its driver's node id and job id (a local
    instance gets a new node id, a cluster a new job id, at every start or join)."""
    import ray

    context = ray.get_runtime_context()
    return f"{context.get_node_id()}/{context.get_job_id()}"


def _start_ray(workers: int, address: str | None) -> None:
    """Join ``address``, or start a local Ray instance of ``workers`` CPUs, once per process:
    later calls reuse it (one that does not fit a call, another address or a local instance
    with fewer CPUs than ``workers``, is replaced). A Ray session started by the caller is
    used as it is. Ray shuts its session down when the process exits."""
    global _our_ray
    import ray

    if ray.is_initialized():
        if _our_ray is None or _our_ray[0] != _ray_session():
            return  # the caller's own session
        _, joined, cpus = _our_ray
        if joined == address and (address or workers <= cpus):
            return
        ray.shutdown()
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address:
        ray.init(address=address, **kwargs)
        cpus = 0
    else:  # "local": a new instance, whatever RAY_ADDRESS or a running cluster says
        cpus = max(1, workers)
        ray.init(
            address="local", num_cpus=cpus, object_store_memory=RAY_LOCAL_OBJECT_STORE, **kwargs
        )
    _our_ray = (_ray_session(), address, cpus)


def _release(pool: list[Any], pending: Iterable[Any]) -> None:
    """Stop ``pool``'s actors and cancel the ``pending`` task refs, so their CPUs and GPUs are
    free for the next call; nothing to do once Ray is down (the process is exiting)."""
    import ray

    if not ray.is_initialized():
        return
    # an actor or task of a replaced session is gone already
    for actor in pool:
        with contextlib.suppress(Exception):
            ray.kill(actor)
    for ref in pending:
        with contextlib.suppress(Exception):
            ray.cancel(ref, force=True)


def _actor_count(workers: int, resources: Resources) -> int:
    """How many actors needing ``resources`` to start for ``workers``: no more than the
    cluster can host at once (units are handed to actors in turn, so one that never gets
    its GPU would hold its units for ever); at least one."""
    import ray

    total = ray.cluster_resources()
    count = max(1, workers)
    for need, have in (
        (resources.cpus, total.get("CPU", 0.0)),
        (resources.gpus, total.get("GPU", 0.0)),
    ):
        if need > 0:
            count = min(count, int(have // need))
    return max(1, count)


class _UnitActor:
    """A long-lived Ray worker: runs units in one process, so a model loaded by the first
    unit (module-level caches such as ``get_encoder``) serves every later one."""

    def __init__(self) -> None:
        _init_worker()

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)


def run_ray(
    fn: Callable[..., T],
    tasks: Iterable[tuple[Any, ...]],
    workers: int = 1,
    address: str | None = None,
    resources: Resources = Resources(),
    actors: bool = False,
) -> Iterator[tuple[tuple[Any, ...], T]]:
    """Like :func:`run_local`, on Ray: one Ray task per unit (or ``workers`` actors serving
    the units, with ``actors``: no more than the cluster's CPUs and GPUs can host), at most
    ``2 * workers`` units in flight, each declaring ``resources``.

    ``address`` joins an existing cluster (``auto`` or ``ray://host:10001``); without it a
    local Ray instance with ``workers`` CPUs is started (once per process, see
    :func:`_start_ray`). The actors and the units still running when the caller stops
    reading are stopped, so their CPUs and GPUs are free for the next call. Every node
    needs mkdata installed and the output directory on shared storage.
    """
    import ray

    _start_ray(workers, address)
    env = {"env_vars": thread_env()}
    options = {"num_cpus": resources.cpus, "num_gpus": resources.gpus, "runtime_env": env}
    pool: list[Any] = []
    if actors:
        actor_cls = ray.remote(_UnitActor).options(**options)
        pool.extend(actor_cls.remote() for _ in range(_actor_count(workers, resources)))
        submit = lambda i, task: pool[i % len(pool)].run.remote(fn, *task)  # noqa: E731
    else:
        remote = ray.remote(fn).options(**options)
        submit = lambda i, task: remote.remote(*task)  # noqa: E731
    tasks = iter(tasks)
    limit = 2 * max(1, workers)
    pending: dict[Any, tuple[Any, ...]] = {}
    submitted = 0
    try:
        while True:
            while len(pending) < limit:
                task = next(tasks, None)
                if task is None:
                    break
                pending[submit(submitted, task)] = task
                submitted += 1
            if not pending:
                return
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)
    finally:
        _release(pool, () if actors else pending)


def run_units(
    fn: Callable[..., T],
    tasks: Iterable[tuple[Any, ...]],
    workers: int = 1,
    executor: str = "local",
    address: str | None = None,
    resources: Resources = Resources(),
    actors: bool = False,
) -> Iterator[tuple[tuple[Any, ...], T]]:
    """Run units on the ``executor`` (``local`` process pool or ``ray``); yield
    ``(task, result)`` as each finishes (see :func:`run_local` and :func:`run_ray`)."""
    if executor == "ray":
        return run_ray(fn, tasks, workers, address, resources, actors)
    if executor != "local":
        raise ValueError(f"unknown executor {executor!r}: expected local or ray")
    return run_local(fn, tasks, workers)
