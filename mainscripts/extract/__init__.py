"""The extractor's parts: options, frame reading and rotation, the per-frame stages, the worker pool, manual window."""
