"""Worker processes for per-item CPU work (extraction, sorting, merging).

`map_items` runs `func(item)` over items in a spawn-started process pool, each worker initialised once (so a model
is loaded once per worker), and yields `(index, result)` as results arrive. With one worker it runs in-process,
which keeps tests and small jobs simple. Ctrl-C stops the workers and propagates KeyboardInterrupt.

`WorkerPool` is the same pool for pipelines: started ahead of its work (its workers start and import while the
caller loads a model), fed one item at a time with `submit`, whose handle's `get()` waits for that item's result.
"""
import multiprocessing as mp
import os

from core.progress import progress


def cpu_count():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _call(payload):
    func, index, item = payload
    return index, func(item)


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
        ctx = mp.get_context("spawn")
        pool = ctx.Pool(workers, initializer=initializer, initargs=initargs)
        try:
            for i, result in pool.imap_unordered(_call, ((func, i, it) for i, it in enumerate(items))):
                yield i, result
                bar.update(1)
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
    finally:
        bar.close()


class _Done:
    """The handle of an item run in-process: already finished."""

    def __init__(self, func, item):
        try:
            self._value, self._error = func(item), None
        except Exception as e:  # re-raised by get(), as a pool's AsyncResult does
            self._value, self._error = None, e

    def ready(self):
        return True

    def get(self):
        if self._error is not None:
            raise self._error
        return self._value


class WorkerPool:
    """`workers` spawn-started processes (in-process with one), each initialised once by `initializer(*initargs)`.
    Use as a context manager: leaving it normally waits for the workers, an exception (Ctrl-C) stops them."""

    def __init__(self, workers, initializer=None, initargs=()):
        self.workers = max(1, int(workers))
        self._pool = None
        if self.workers > 1:
            self._pool = mp.get_context("spawn").Pool(self.workers, initializer=initializer, initargs=initargs)
        elif initializer is not None:
            initializer(*initargs)

    def submit(self, func, item):
        """Run `func(item)` in a worker; returns a handle with `ready()` and `get()`."""
        if self._pool is None:
            return _Done(func, item)
        return self._pool.apply_async(func, (item,))

    def close(self):
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def terminate(self):
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.terminate()
