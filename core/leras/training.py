"""Compiled training steps on one or several devices, with optional float16 loss scaling.

`make_train_step(loss_fn, optimizer, variables, strategy)` returns a `tf.function` that takes whole-batch tensors,
gives each replica its slice of the batch (as the original splits the batch over GPUs), computes gradients there,
averages them over replicas and applies one optimizer update to the single logical copy of the weights
(MirroredStrategy keeps the copies equal). With one device (strategy None) it is a plain compiled step.
On several machines (MultiWorkerMirroredStrategy) each worker passes its own share of the batch, split over its
own devices; `broadcast_from_chief` makes every worker start from the chief's weights.
"""
import tensorflow as tf


class DynamicLossScale:
    """float16 loss scaling: multiply the loss by `scale`; halve it and skip the update on inf/NaN gradients,
    double it after `growth_interval` good steps."""

    def __init__(self, initial_scale=2.0 ** 15, growth_interval=2000):
        self.scale = tf.Variable(float(initial_scale), trainable=False, dtype=tf.float32)
        self.good_steps = tf.Variable(0, trainable=False, dtype=tf.int64)
        self.growth_interval = int(growth_interval)

    def update(self, finite):
        def grow():
            self.good_steps.assign_add(1)
            done = self.good_steps >= self.growth_interval
            self.scale.assign(tf.where(done, self.scale * 2.0, self.scale))
            self.good_steps.assign(tf.where(done, tf.constant(0, tf.int64), self.good_steps))
            return tf.constant(True)

        def shrink():
            self.scale.assign(tf.maximum(self.scale / 2.0, 1.0))
            self.good_steps.assign(0)
            return tf.constant(False)

        return tf.cond(finite, grow, shrink)


def _replica_slice(x):
    """This replica's slice of the batch its worker was given (a worker's replicas are numbered contiguously)."""
    ctx = tf.distribute.get_replica_context()
    if ctx.num_replicas_in_sync == 1:
        return x
    n = len(tf.distribute.get_strategy().extended.worker_devices)
    if n == 1:
        return x
    per = tf.shape(x)[0] // n
    i = ctx.replica_id_in_sync_group % n
    return x[i * per:(i + 1) * per]


def _merge_replicas(strategy, value):
    """Per-sample outputs are concatenated back into the whole batch; scalars are averaged."""
    if strategy.experimental_local_results(value)[0].shape.rank == 0:
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
    return strategy.gather(value, axis=0)


def make_train_step(loss_fn, optimizer, variables, strategy=None, loss_scale=None, jit_compile=None):
    """loss_fn(*batch) -> (loss, outputs dict); loss may be per-sample (its sum is differentiated, as the
    original does); outputs are per-sample tensors (batch axis 0, gathered back over replicas) or scalars
    (averaged over replicas).

    The returned step(*batch) runs one update and returns the outputs dict. The batch size must divide evenly by
    the number of replicas. `jit_compile` (default: core.leras.config.jit_compile()) compiles the whole step
    with XLA.
    """
    if jit_compile is None:
        from core.leras import config
        jit_compile = config.jit_compile()
    strategy = strategy or tf.distribute.get_strategy()
    variables = list(variables)

    def replica_fn(*batch):
        batch = [_replica_slice(t) for t in batch]
        with tf.GradientTape() as tape:
            loss, outputs = loss_fn(*batch)
            total = tf.cast(tf.reduce_sum(loss), tf.float32)
            if loss_scale is not None:
                total = total * loss_scale.scale
        grads = tape.gradient(total, variables)
        missing = [v.name for v, g in zip(variables, grads) if g is None]
        if missing:
            raise ValueError(f"variables declared trainable receive no gradient: {missing}")
        if loss_scale is not None:
            grads = [g / loss_scale.scale for g in grads]
        return grads, outputs

    @tf.function(jit_compile=jit_compile)
    def step(*batch):
        grads, outputs = strategy.run(replica_fn, args=batch)
        if strategy.num_replicas_in_sync > 1:
            grads = [strategy.reduce(tf.distribute.ReduceOp.MEAN, g, axis=None) for g in grads]
            outputs = {k: _merge_replicas(strategy, v) for k, v in outputs.items()}
        if loss_scale is None:
            optimizer.apply_gradients(zip(grads, variables))
        else:
            finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])
            if loss_scale.update(finite):
                optimizer.apply_gradients(zip(grads, variables))
        return outputs

    return step


def broadcast_from_chief(strategy, variables):
    """Give every worker the chief's values of `variables` (after each loaded or initialised its own).

    Raises ValueError when the workers' variables differ in number or shapes (different models or options)."""
    variables = list(variables)
    signature = [len(variables)] + [int(d) for v in variables for d in v.shape]

    def spread():
        # n * sum(x^2) - sum(x)^2 is 0 exactly when every replica has the same x (exact in float64 here).
        ctx = tf.distribute.get_replica_context()
        sig = tf.constant([len(signature), hash(tuple(signature)) % (2 ** 20)], tf.float64)
        total = ctx.all_reduce(tf.distribute.ReduceOp.SUM, sig)
        squares = ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.square(sig))
        return ctx.num_replicas_in_sync * squares - tf.square(total)

    diff = strategy.experimental_local_results(strategy.run(tf.function(spread)))[0]
    if float(tf.reduce_max(tf.abs(diff))) != 0.0:
        raise ValueError("the workers' models differ (architecture or options)")

    @tf.function
    def chief_values():
        ctx = tf.distribute.get_replica_context()
        chief = ctx.replica_id_in_sync_group == 0
        return [ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.where(chief, v.read_value(), tf.zeros_like(v)))
                for v in variables]

    values = strategy.experimental_local_results(strategy.run(chief_values))[0]
    for v, x in zip(variables, values):
        v.assign(x)
