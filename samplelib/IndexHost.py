"""Which samples go into the next batch (reference §6): shuffled cycles without replacement, optionally uniform in yaw.

The hosts live in the generator's main process and hand index lists to the worker processes, so every sample is used
once per epoch across all workers and a fixed seed gives the same order.
"""
import numpy as np

YAW_BINS = 128
YAW_RANGE = (-1.2, 1.2)


class IndexHost:
    """Indices 0..count-1 in a shuffled order; reshuffled when exhausted."""

    def __init__(self, count, rnd_state):
        self.count = count
        self.rnd = rnd_state
        self.pool = []

    def multi_get(self, n):
        out = []
        for _ in range(n):
            if not self.pool:
                self.pool = list(range(self.count))
                self.rnd.shuffle(self.pool)
            out.append(self.pool.pop())
        return out


class Index2DHost:
    """Groups of indices: each pick takes the next group of a shuffled cycle of groups, then the next index of that
    group's own shuffled cycle (so every group is drawn equally often)."""

    def __init__(self, groups, rnd_state):
        self.groups = [list(g) for g in groups]
        self.rnd = rnd_state
        self.group_pool = []
        self.item_pools = [[] for _ in self.groups]

    def multi_get(self, n):
        out = []
        for _ in range(n):
            if not self.group_pool:
                self.group_pool = list(range(len(self.groups)))
                self.rnd.shuffle(self.group_pool)
            g = self.group_pool.pop()
            if not self.item_pools[g]:
                self.item_pools[g] = self.groups[g].copy()
                self.rnd.shuffle(self.item_pools[g])
            out.append(self.item_pools[g].pop())
        return out


def yaw_bins(yaws):
    """Sample indices grouped into YAW_BINS bins over linspace(-1.2, 1.2) of -yaw; the first and last bins are open
    ended; empty bins are dropped."""
    space = np.linspace(YAW_RANGE[0], YAW_RANGE[1], YAW_BINS)
    values = -np.asarray(yaws, dtype=np.float64)
    # bin g holds space[g] <= v < space[g+1]; below space[1] -> bin 0, at or above space[-1] -> last bin
    bins = np.clip(np.searchsorted(space, values, side="right") - 1, 0, YAW_BINS - 1)
    groups = [[] for _ in range(YAW_BINS)]
    for idx, b in enumerate(bins):
        groups[b].append(idx)
    return [g for g in groups if g]
