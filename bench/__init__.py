"""Benchmarks: `python -m bench.run` measures the app against a bare Flask hello world."""
