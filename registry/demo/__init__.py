"""The demo registry seeded by ``dareg up --demo``: datasets, parties and a dated history."""

from registry.demo.scenario import HISTORY_DAYS, MANIFEST, history_start, seed_demo

__all__ = ["HISTORY_DAYS", "MANIFEST", "history_start", "seed_demo"]
