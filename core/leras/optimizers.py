"""RMSprop and AdaBelief exactly as the original (no bias correction), with lr dropout, lr_cos and global clipnorm.

Slot variables are named as the original's, so optimizer files (`<model>_src_dst_opt.npy`) round-trip with it:
`iters:0` (int64) then, per trainable variable `<model>/<path>:0`, `acc_<model>/<path>_0:0` (RMSprop) or
`ms_...` and `vs_...` (AdaBelief; all `ms_` first, then all `vs_`).

* RMSprop:   a = rho*a + (1-rho)*g^2;                          step = -lr*g/(sqrt(a) + eps)
* AdaBelief: m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*(g-m)^2;  step = -lr*m/(sqrt(v) + eps)
  eps = np.finfo(float32).resolution = 1e-6.
* lr_cos N > 0: lr *= (cos(iters * 2*pi / N) + 1) / 2 with `iters` counted after this step (1 on the first).
* lr_dropout p < 1: the step is multiplied by a fresh Bernoulli(p) mask each step (on the CPU if asked).
* clipnorm c > 0: every gradient is scaled by c / norm when the global L2 norm of all gradients is >= c.

Create optimizers (like models) inside `strategy.scope()` when training on several devices; `apply_gradients` is
then called in cross-replica context (see core.leras.training), so every copy gets the same update.
"""
import numpy as np
import tensorflow as tf

from core.leras.base import Saveable
from core.leras.ops import random_binomial

_PI = 3.1415926535  # the original's constant


def named_trainable_weights(models):
    """[(full name 'encoder/down1/.../weight:0', variable)] for models (Saveables) or ready (name, var) pairs."""
    out = []
    for m in models:
        if isinstance(m, tuple):
            out.append(m)
        else:
            out.extend((f"{m.name}/{key}", var) for key, var in m.get_weights_dict().items() if var.trainable)
    return out


class OptimizerBase(Saveable):
    SLOTS = ()

    def __init__(self, lr, lr_dropout=1.0, lr_cos=0, clipnorm=0.0, name=None):
        super().__init__(name=name)
        if name is None:
            raise ValueError("an optimizer needs a name (its weight file part name, e.g. 'src_dst_opt')")
        self.lr, self.lr_dropout, self.lr_cos, self.clipnorm = float(lr), float(lr_dropout), int(lr_cos), \
            float(clipnorm)
        with tf.device("/CPU:0"):
            self.iterations = tf.Variable(0, dtype=tf.int64, name="iters", trainable=False)
        self._slots = {s: {} for s in self.SLOTS}   # slot -> {slot key: variable}
        self._by_ref = {}                            # variable ref -> {slot: slot variable}
        self._lr_dropout_on_cpu = False
        self._built = True

    def initialize_variables(self, models, vars_on_cpu=True, lr_dropout_on_cpu=False):
        """Create the slots for the trainable weights of `models` (Saveables or (full name, variable) pairs)."""
        self._lr_dropout_on_cpu = lr_dropout_on_cpu
        for full_name, var in named_trainable_weights(models):
            slot_vars = {}
            for slot in self.SLOTS:
                key = f"{slot}_{full_name}".replace(":", "_") + ":0"
                if vars_on_cpu:
                    with tf.device("/CPU:0"):
                        sv = tf.Variable(tf.zeros(var.shape, var.dtype), trainable=False, name=slot)
                else:
                    sv = tf.Variable(tf.zeros(var.shape, var.dtype), trainable=False, name=slot)
                self._slots[slot][key] = sv
                slot_vars[slot] = sv
            self._by_ref[var.ref()] = slot_vars

    def _named_weights(self, prefix):
        yield f"{prefix}iters:0", self.iterations
        for slot in self.SLOTS:
            for key, var in self._slots[slot].items():
                yield f"{prefix}{key}", var

    def _named_initializers(self, prefix):
        for key, var in self._named_weights(prefix):
            yield key, (lambda v=var: tf.zeros(v.shape, v.dtype))

    def _lr(self):
        lr = tf.constant(self.lr, tf.float32)
        if self.lr_cos != 0:
            it = tf.cast(self.iterations, tf.float32)
            lr = lr * (tf.cos(it * (2 * _PI / float(self.lr_cos))) + 1.0) / 2.0
        return lr

    def _dropout_mask(self, var):
        if self._lr_dropout_on_cpu:
            with tf.device("/CPU:0"):
                return random_binomial(var.shape, self.lr_dropout, var.dtype)
        return random_binomial(var.shape, self.lr_dropout, var.dtype)

    def apply_gradients(self, grads_and_vars):
        """One update of every (gradient, variable); the variables must have been passed to initialize_variables."""
        grads_and_vars = [(g, v) for g, v in grads_and_vars]
        if self.clipnorm > 0.0:
            norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(tf.cast(g, tf.float32))) for g, _ in grads_and_vars]))
            scale = tf.where(norm >= self.clipnorm, self.clipnorm / norm, 1.0)
            grads_and_vars = [(g * tf.cast(scale, g.dtype), v) for g, v in grads_and_vars]
        self.iterations.assign_add(1)
        lr = self._lr()
        for g, v in grads_and_vars:
            step = self._step(g, v, self._by_ref[v.ref()], tf.cast(lr, g.dtype))
            if self.lr_dropout != 1.0:
                step = step * self._dropout_mask(v)
            v.assign_add(step)
        return self.iterations


class RMSprop(OptimizerBase):
    SLOTS = ("acc",)

    def __init__(self, lr=0.001, rho=0.9, lr_dropout=1.0, lr_cos=0, clipnorm=0.0, name=None):
        super().__init__(lr, lr_dropout, lr_cos, clipnorm, name)
        self.rho = float(rho)

    def _step(self, g, v, slots, lr):
        a = slots["acc"]
        new_a = self.rho * a + (1.0 - self.rho) * tf.square(g)
        a.assign(new_a)
        return -lr * g / (tf.sqrt(new_a) + np.finfo(np.float32).resolution)


class AdaBelief(OptimizerBase):
    SLOTS = ("ms", "vs")

    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, lr_dropout=1.0, lr_cos=0, clipnorm=0.0, name=None):
        super().__init__(lr, lr_dropout, lr_cos, clipnorm, name)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)

    def _step(self, g, v, slots, lr):
        ms, vs = slots["ms"], slots["vs"]
        m_t = self.beta_1 * ms + (1.0 - self.beta_1) * g
        v_t = self.beta_2 * vs + (1.0 - self.beta_2) * tf.square(g - m_t)
        ms.assign(m_t)
        vs.assign(v_t)
        return -lr * m_t / (tf.sqrt(v_t) + np.finfo(np.float32).resolution)
