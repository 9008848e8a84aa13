"""Benchmarks (not tests): `python -m bench scan ...` prints one JSON line of figures at the end."""
