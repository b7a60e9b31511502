"""Worker processes for per-item CPU work (extraction, sorting, merging).

`map_items` runs `func(item)` over items in a spawn-started process pool, each worker initialised once (so a model
is loaded once per worker), and yields `(index, result)` as results arrive. With one worker it runs in-process,
which keeps tests and small jobs simple. Ctrl-C stops the workers and propagates KeyboardInterrupt.
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
