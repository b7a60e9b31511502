"""Worker processes for per-item CPU work (extraction, sorting, merging).

`map_items` runs `func(item)` over items in a spawn-started process pool, each worker initialised once (so a model
is loaded once per worker), and yields `(index, result)` as results arrive. With one worker it runs in-process,
which keeps tests and small jobs simple. Ctrl-C stops the workers and propagates KeyboardInterrupt. A worker that
dies (a crash in a library, the out-of-memory killer) ends the command with one line naming the items it may have
been working on; nothing waits for a result that cannot come.
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
    text = str(item)
    return text if len(text) <= 80 else text[:77] + "..."


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
                    raise UserError(f"a worker process died (crashed or was killed, e.g. out of memory) while "
                                    f"working on one of: {names}{more}; stopped after {finished} of "
                                    f"{len(items)}") from None
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
