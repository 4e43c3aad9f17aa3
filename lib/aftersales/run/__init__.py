"""A scheduled run: the notebook context, parameters, executors, warm kernels, the worker, the pack."""
