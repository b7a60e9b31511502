"""Batch production in background processes with prefetch, shared by the training-sample generators.

The main process plans every batch (`next_task()`: sample indices and per-sample seeds, drawn from one seeded
random state) and deals the plans round-robin to `workers` spawn-started processes, each holding the samples once;
`build(state, task)` turns a plan into a list of numpy batches. Results are read back in plan order, so a fixed seed
gives the same batches whatever the number of workers, and `workers=0` (debug) builds them in the calling thread.
Workers ignore Ctrl-C (the trainer handles it and calls `close()`); a worker error is re-raised in the trainer as a
one-line UserError naming the sample.
"""
import multiprocessing as mp
import queue
import signal
import weakref

from core.errors import UserError

PREFETCH = 2


class SampleError(Exception):
    """A sample could not be turned into training data (message names the file)."""


def _worker_main(build, state, tasks, results):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        task = tasks.get()
        if task is None:
            break
        try:
            results.put(("ok", build(state, task)))
        except SampleError as e:
            results.put(("err", str(e)))
        except Exception as e:  # anything else still must reach the trainer as one line, not a hung queue
            results.put(("err", f"{type(e).__name__}: {e}"))
    results.cancel_join_thread()


def _stop(procs, task_queues):
    for q in task_queues:
        try:
            q.put(None)
        except (OSError, ValueError):
            pass
    for p in procs:
        p.join(timeout=3)
        if p.is_alive():
            p.terminate()
            p.join(timeout=3)


class SampleGeneratorBase:
    def __init__(self, build, state, next_task, workers, name="samples"):
        self.build = build
        self.state = state
        self.next_task = next_task
        self.name = name
        self.workers = max(0, int(workers))
        self.counter = 0
        self.procs = []
        self.task_queues = []
        self.result_queues = []
        if self.workers > 0:
            ctx = mp.get_context("spawn")
            for _ in range(self.workers):
                tq, rq = ctx.Queue(), ctx.Queue()
                p = ctx.Process(target=_worker_main, args=(build, state, tq, rq), daemon=True)
                p.start()
                self.procs.append(p)
                self.task_queues.append(tq)
                self.result_queues.append(rq)
            for _ in range(PREFETCH):
                for tq in self.task_queues:
                    tq.put(self.next_task())
        self._finalizer = weakref.finalize(self, _stop, self.procs, self.task_queues)

    def __iter__(self):
        return self

    def __next__(self):
        return self.generate_next()

    def generate_next(self):
        """The next batch: a list of numpy arrays, one per output type."""
        if self.workers == 0:
            try:
                return self.build(self.state, self.next_task())
            except SampleError as e:
                raise UserError(f"{self.name}: {e}") from None
        if not self._finalizer.alive:
            raise UserError(f"{self.name}: the sample generator was closed")
        w = self.counter % self.workers
        self.counter += 1
        status, payload = self._get(w)
        if status == "err":
            self.close()
            raise UserError(f"{self.name}: {payload}")
        self.task_queues[w].put(self.next_task())
        return payload

    def _get(self, w):
        while True:
            try:
                return self.result_queues[w].get(timeout=1.0)
            except queue.Empty:
                if not self.procs[w].is_alive():
                    code = self.procs[w].exitcode
                    self.close()
                    hint = "; it was killed, probably out of memory: use fewer workers" if code == -9 else ""
                    raise UserError(f"{self.name}: a sample worker process stopped (exit code {code}){hint}") from None

    def close(self):
        """Stop the worker processes (also done when the generator is garbage-collected or at exit)."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
