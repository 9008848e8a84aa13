"""Benchmarks (not tests): `python -m bench scan ...` prints one JSON line of figures at the end."""

import resource


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB (what every benchmark reports as its own)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
