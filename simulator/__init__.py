"""Offline Azure for tests, the demo and benchmarks: ARM + Resource Graph over one in-memory estate.

One core (`Simulator.handle`), two mounts: an in-process azure-core transport (`transport.py`) and an
HTTPS server on 127.0.0.1 with a local CA (`server.py`). It imports nothing of the product.
"""

from simulator.core import Fault, RecordedRequest, Response, Simulator
from simulator.state import Estate

__all__ = ["Estate", "Fault", "RecordedRequest", "Response", "Simulator"]
