"""Lineage: the graph of data products and the assets they derive from, both ways.

A product's registration lists its parents (``registration.parents``, registration ids). The
lineage of an asset is every ancestor (parents, their parents, ...) and every descendant
(products listing it, products listing those, ...), walked breadth first and cycle-safe (each
registration is visited once). Edges point from the derived product to the asset it derives
from: ``{"from": product, "to": parent}``. As of a block, only registrations submitted by then
are part of the graph, each with its status then.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from registry.db.models import registration_table
from registry.domain.registration import Status
from registry.mirror import AsOf, effective_status, rows_as_of
from registry.provenance.timeline import Asset, asset_as_of, asset_name, find_asset


@dataclass(frozen=True)
class LineageNode:
    """One registration of the graph; ``relation`` is ``subject`` (the asset asked about),
    ``ancestor`` or ``descendant``; ``depth`` its distance from the subject."""

    id: int
    registration_number: str
    certificate_number: str | None
    name: str | None
    kind: str
    level: str
    status: str
    relation: str
    depth: int


@dataclass(frozen=True)
class LineageEdge:
    """``from_id`` derives from ``to_id``."""

    from_id: int
    to_id: int


@dataclass(frozen=True)
class Lineage:
    asset: Asset
    as_of: AsOf
    nodes: list[LineageNode]
    edges: list[LineageEdge]

    def as_json(self) -> dict[str, Any]:
        """``{nodes: [...], edges: [{from, to}]}``."""
        return {
            "nodes": [
                {
                    "id": n.id,
                    "registration_number": n.registration_number,
                    "certificate_number": n.certificate_number,
                    "name": n.name,
                    "kind": n.kind,
                    "level": n.level,
                    "status": n.status,
                    "relation": n.relation,
                    "depth": n.depth,
                }
                for n in self.nodes
            ],
            "edges": [{"from": e.from_id, "to": e.to_id} for e in self.edges],
        }


def _walk(start: int, neighbours: dict[int, list[int]]) -> dict[int, int]:
    """Every id reachable from ``start`` (excluded) with its distance."""
    seen: dict[int, int] = {start: 0}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for nxt in neighbours.get(current, []):
            if nxt not in seen:
                seen[nxt] = seen[current] + 1
                queue.append(nxt)
    del seen[start]
    return seen


def _graph(engine: Engine, block: int) -> dict[int, list[int]]:
    """``id -> parents`` of every product submitted by block ``block``."""
    t = registration_table
    with engine.connect() as connection:
        rows = connection.execute(
            select(t.c.id, t.c.parents).where(t.c.kind == "product", t.c.submitted_block <= block)
        ).all()
    return {int(i): [int(p) for p in (parents or [])] for i, parents in rows}


def _rows(engine: Engine, ids: Iterable[int]) -> dict[int, Any]:
    t = registration_table
    with engine.connect() as connection:
        return {
            int(r.id): r for r in connection.execute(select(t).where(t.c.id.in_(sorted(set(ids)))))
        }


def lineage(engine: Engine, chain_id: int, number: str, as_of: AsOf) -> Lineage:
    """The lineage graph of the asset with certificate or registration number ``number``."""
    subject = find_asset(engine, number)
    parents = _graph(engine, as_of.block)
    children: dict[int, list[int]] = {}
    for product, ps in parents.items():
        for parent in ps:
            children.setdefault(parent, []).append(product)
    for kids in children.values():
        kids.sort()
    ancestors = _walk(subject.id, parents)
    descendants = _walk(subject.id, children)
    ids = {subject.id, *ancestors, *descendants}
    rows = _rows(engine, ids)
    ids = {
        i for i in ids if i in rows and (i == subject.id or rows[i].submitted_block <= as_of.block)
    }
    states = {
        int(image["id"]): image
        for image in rows_as_of(
            engine,
            chain_id,
            "registration",
            as_of.block,
            [{"chain_id": chain_id, "id": i} for i in sorted(ids)],
        )
    }
    nodes = []
    for i in sorted(ids, key=lambda x: (x != subject.id, x not in ancestors, x)):
        row = rows[i]
        image = states.get(i)
        if image is None:
            status = "not_submitted"
        elif as_of.time is None:
            status = str(image["status"])
        else:
            status = effective_status(
                Status(image["status"]), image["valid_until"], as_of.time
            ).value
        issued = image is not None and image.get("certificate_number") is not None
        if i == subject.id:
            relation, depth = "subject", 0
        elif i in ancestors:
            relation, depth = "ancestor", ancestors[i]
        else:
            relation, depth = "descendant", descendants[i]
        nodes.append(
            LineageNode(
                id=i,
                registration_number=row.registration_number,
                certificate_number=row.certificate_number if issued else None,
                name=asset_name(engine, row.metadata_hash),
                kind=row.kind,
                level=row.level,
                status=status,
                relation=relation,
                depth=depth,
            )
        )
    edges = sorted(
        {
            LineageEdge(product, parent)
            for product, ps in parents.items()
            if product in ids
            for parent in ps
            if parent in ids
        },
        key=lambda e: (e.from_id, e.to_id),
    )
    return Lineage(
        asset=asset_as_of(engine, chain_id, subject, as_of), as_of=as_of, nodes=nodes, edges=edges
    )
