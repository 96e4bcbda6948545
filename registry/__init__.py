"""dareg: blockchain-backed registry of data assets."""

__version__ = "0.1.0"
