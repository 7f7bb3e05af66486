"""A built-in Apiframe: a real HTTP server speaking the hailuo-2.3-fast contract, with faults."""

from .faults import Fault, FaultPlan
from .server import SimulatorServer

__all__ = ["Fault", "FaultPlan", "SimulatorServer"]
