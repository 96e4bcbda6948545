"""The write side of the mirror, one module per contract.

Each module holds everything about one contract's events: the frozen records they become, how
to decode them (field maps, :mod:`.fields`, or hand-written makers where there is logic), and
how they change the mirror (an :class:`registry.indexer.store.Applier`, or an insert-only table).
It registers them when imported, with :func:`registry.indexer.decode.register` and
:func:`registry.indexer.store.register_applier` (or ``register_insert_only``); the generic
pipeline then knows no contract. Adding an event means touching its contract's module, a
migration for its table and the read side, nothing else.

The modules are imported here in the order their appliers flush (rows others point at first):
registrations before the rights and valuations that refer to them.
"""

from registry.indexer.contracts import evidence, registry, agent, licences, valuations  # noqa: I001

__all__ = ["agent", "evidence", "licences", "registry", "valuations"]
