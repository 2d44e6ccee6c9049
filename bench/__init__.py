"""The benchmark (``make bench``): bench/gen.py makes the synthetic files, bench/run.py measures."""
