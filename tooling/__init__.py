"""Tooling beside the tests, never imported by the product: the benchmarks (`make bench`) and the
helpers that start a whole studio's processes for tests and benchmarks."""
