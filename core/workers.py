"""Worker processes for per-item CPU work (extraction, sorting, merging).

`map_items` runs `func(item)` over items in a spawn-started process pool, each worker initialised once (so a model
is loaded once per worker), and yields `(index, result)` as results arrive. With one worker it runs in-process,
which keeps tests and small jobs simple. Ctrl-C stops the workers and propagates KeyboardInterrupt. A worker that
dies (a crash in a library, the out-of-memory killer) ends the command with one line naming the items it may have
been working on; nothing waits for a result that cannot come.

`WorkerPool` is the same pool for pipelines: started ahead of its work (its workers start and import while the
caller loads a model), fed one item at a time with `submit`, whose handle's `get()` waits for that item's result
(and raises the same one-line error when the worker died).
"""
import concurrent.futures as cf
import multiprocessing as mp
import os
from concurrent.futures.process import BrokenProcessPool

from core import lognoise
from core.errors import UserError
from core.progress import progress

# Items queued per worker: enough to keep workers busy, few enough to keep memory flat on long lists.
_IN_FLIGHT_PER_WORKER = 4


def cpu_count():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _start_worker(initializer, initargs):
    lognoise.apply()   # the parent's choice of library logs (hidden unless --debug)
    if initializer is not None:
        initializer(*initargs)


def _describe(item):
    text = str(item["path"] if isinstance(item, dict) and "path" in item else item)
    return text if len(text) <= 80 else text[:77] + "..."


def _worker_died(what, finished=None, total=None):
    done = f"; stopped after {finished} of {total}" if finished is not None else ""
    return UserError(f"a worker process died (crashed or was killed, e.g. out of memory) while working on "
                     f"{what}{done}")


def map_items(func, items, workers=None, initializer=None, initargs=(), desc="", unit="it", show_progress=True):
    items = list(items)
    workers = min(workers or cpu_count(), max(1, len(items)))
    bar = progress(total=len(items), desc=desc, unit=unit, disable=not show_progress)
    try:
        if workers <= 1:
            if initializer is not None:
                initializer(*initargs)
            for i, item in enumerate(items):
                yield i, func(item)
                bar.update(1)
            return
        yield from _pooled(func, items, workers, initializer, initargs, bar)
    finally:
        bar.close()


def _pooled(func, items, workers, initializer, initargs, bar):
    pool = cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_start_worker,
                                  initargs=(initializer, initargs))
    pending = {}
    next_index = finished = 0
    try:
        while next_index < len(items) or pending:
            while next_index < len(items) and len(pending) < workers * _IN_FLIGHT_PER_WORKER:
                pending[pool.submit(func, items[next_index])] = next_index
                next_index += 1
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    lost = sorted([i] + list(pending.values()))
                    names = ", ".join(_describe(items[j]) for j in lost[:3])
                    more = f" and {len(lost) - 3} more" if len(lost) > 3 else ""
                    raise _worker_died(f"one of: {names}{more}", finished, len(items)) from None
                finished += 1
                yield i, result
                bar.update(1)
        pool.shutdown(wait=True)
    except BaseException:
        _stop(pool)
        raise


def _stop(pool):
    # Running items are not cancellable: end the workers so Ctrl-C or an error returns at once.
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.terminate()
        except (OSError, AttributeError):
            pass
    pool.shutdown(wait=True, cancel_futures=True)


class _Done:
    """The handle of an item run in-process: already finished."""

    def __init__(self, func, item):
        try:
            self._value, self._error = func(item), None
        except Exception as e:  # re-raised by get(), as a future does
            self._value, self._error = None, e

    def ready(self):
        return True

    def get(self):
        if self._error is not None:
            raise self._error
        return self._value


class _Pending:
    """The handle of an item sent to a worker process."""

    def __init__(self, future, item):
        self._future, self._item = future, item

    def ready(self):
        return self._future.done()

    def get(self):
        try:
            return self._future.result()
        except BrokenProcessPool:
            raise _worker_died(_describe(self._item)) from None


class WorkerPool:
    """`workers` spawn-started processes (in-process with one), each initialised once by `initializer(*initargs)`.
    Use as a context manager: leaving it normally waits for the workers, an exception (Ctrl-C) stops them."""

    def __init__(self, workers, initializer=None, initargs=()):
        self.workers = max(1, int(workers))
        self._pool = None
        if self.workers > 1:
            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                                initializer=_start_worker, initargs=(initializer, initargs))
        elif initializer is not None:
            initializer(*initargs)

    def submit(self, func, item):
        """Run `func(item)` in a worker; returns a handle with `ready()` and `get()`."""
        if self._pool is None:
            return _Done(func, item)
        try:
            return _Pending(self._pool.submit(func, item), item)
        except BrokenProcessPool:
            raise _worker_died(_describe(item)) from None

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def terminate(self):
        if self._pool is not None:
            _stop(self._pool)
            self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.terminate()
