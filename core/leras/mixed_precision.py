"""Mixed precision choice: bfloat16 on CPUs with AVX512_BF16/AMX, float16 on NVIDIA GPUs, else float32.

Weights stay float32 (so weight files are unchanged); layers compute in the dtype they are fed. float16 training
needs loss scaling (core.leras.training.DynamicLossScale); bfloat16 does not (float32's exponent range).
"""
import sys

from core import interact

_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_bf16():
    """True where the CPU computes bfloat16 natively (read from /proc/cpuinfo; other systems report False)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return any(fl in flags for fl in _BF16_FLAGS)
    except OSError:
        return False
    return False


def compute_dtype_for(device_config, enabled):
    """The compute dtype for `device_config` (a core.leras.device.DeviceConfig) with mixed precision on/off."""
    import tensorflow as tf
    if not enabled:
        return tf.float32
    if not device_config.cpu_only:
        return tf.float16
    if cpu_has_bf16():
        return tf.bfloat16
    interact.log_info("Mixed precision: this CPU has no native bfloat16 (AVX512_BF16); training in float32.")
    return tf.float32
