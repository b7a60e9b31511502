"""Quick96 asks nothing but the model and the device (reference §3.4): it has no options."""
OPTIONS = []
