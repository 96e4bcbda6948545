"""Statistics of the registry (数据资产统计) as of a block, from the SQL mirror.

What a regulator counts (docs/reports.md):

* **certificates** (registrations that were ever issued) and the total of their **latest
  valuations** (the newest valuation not withdrawn, per currency), grouped by each dimension of
  :data:`DIMENSIONS`: industry, category, classification level, province, region, registrar,
  asset kind, status (``expired`` derived at the time of the as-of block), accounting class
  (the class the current holder recorded; one recorded by an earlier holder has lapsed);
* **monthly volumes** (months of Beijing time, UTC+8): certificates issued, transfers, licences
  and sublicences granted, pledges registered and the amounts they secure;
* **pledge exposure by lender**: live pledges per pledgee, the amounts they secure and the latest
  valuations of the certificates behind them.

Industry, category and region come from each certificate's metadata document (``asset_facts``,
which the indexer fills: :mod:`registry.indexer.derived`); a certificate whose document this
service does not hold counts under ``unknown``. At the mirror's head the certificates come from
the statistics cache (:mod:`.cache`) and the current-state tables; as of an earlier block from
the row history (:func:`registry.mirror.rows_as_of`). A report only reads: the indexer
keeps the cache and the facts in step with the mirror.
Money is summed exactly in minor units and reported in major units per currency, never
converted between currencies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    case,
    func,
    select,
)

from registry.certificates.labels import ASSET_KIND, CLASSIFICATION, STATUS
from registry.db.models import (
    asset_facts_table,
    block_table,
    licence_table,
    pledge_table,
    registrar_profile_table,
    report_certificate_table,
    report_label_table,
    report_state_table,
    transfer_table,
)
from registry.domain.money import CURRENCY_EXPONENTS, from_minor_units
from registry.domain.registration import AssetKind, Classification, Status
from registry.domain.rights import PledgeStatus
from registry.domain.valuation import AccountingClass, ValuationStatus
from registry.errors import IndexerError
from registry.mirror import SNAPSHOT_ATTEMPTS, AsOf, head_in, rows_as_of
from registry.reports import cache
from registry.reports.months import month_of, month_range, month_text
from registry.reports.regions import province_names, province_of

#: What certificates are grouped by, in report order.
DIMENSIONS: tuple[str, ...] = (
    "industry",
    "category",
    "level",
    "province",
    "region",
    "registrar",
    "kind",
    "status",
    "accounting_class",
)

#: Bilingual titles of the dimensions (Chinese, English).
DIMENSION_TITLES: dict[str, tuple[str, str]] = {
    "industry": ("行业", "Industry"),
    "category": ("类别", "Category"),
    "level": ("分级", "Classification level"),
    "province": ("省份", "Province"),
    "region": ("地区", "Region"),
    "registrar": ("登记机构", "Registrar"),
    "kind": ("资产类型", "Asset kind"),
    "status": ("状态", "Status"),
    "accounting_class": ("会计确认", "Accounting class"),
}

UNKNOWN = "unknown"

ACCOUNTING_CLASS: dict[str, tuple[str, str]] = {
    AccountingClass.INTANGIBLE_ASSET.value: ("无形资产", "Intangible asset"),
    AccountingClass.INVENTORY.value: ("存货", "Inventory"),
    AccountingClass.NONE.value: ("未确认", "Not recorded"),
}


@dataclass(frozen=True)
class Group:
    """One group of one dimension: its key, labels, certificate count, how many of them have a
    latest valuation, and the total of those valuations per currency (major units)."""

    key: str
    label: str
    label_en: str
    certificates: int
    valued: int
    valuation: Mapping[str, Decimal]


@dataclass(frozen=True)
class MonthVolume:
    """What happened in one month (``YYYY-MM``, Beijing time)."""

    month: str
    issued: int
    transfers: int
    licences: int
    sublicences: int
    pledges: int
    pledged: Mapping[str, Decimal]


@dataclass(frozen=True)
class LenderExposure:
    """The live pledges one lender (pledgee) holds as of the report's block."""

    lender: str
    pledges: int
    certificates: int
    secured: Mapping[str, Decimal]
    valuation: Mapping[str, Decimal]


@dataclass(frozen=True)
class Statistics:
    """A statistics report as of one block."""

    chain_id: int
    as_of: AsOf
    certificates: int
    valued: int
    valuation: Mapping[str, Decimal]
    pledged: int
    frozen: int
    groups: Mapping[str, tuple[Group, ...]]
    months: tuple[MonthVolume, ...]
    lenders: tuple[LenderExposure, ...]


#: (industry, category, region) of a metadata document
_Facts = tuple[str | None, str | None, str | None]


class _Pledge(NamedTuple):
    token_id: int
    pledgee: str
    currency: str
    amount: int


# --- the certificates as of the block, one entry per certificate ------------------------
#
# At the head they come from the statistics cache (:mod:`.cache`, small integers); as of an
# earlier block from the row history. Either way every key is factorised (distinct keys, each
# certificate's index) and the grouping runs in numpy (bincount, exact integer sums with
# reduceat over Python ints), much faster than a GROUP BY per dimension on SQLite.


#: The keys a certificate row carries (the province is derived from the region when grouping).
_ROW_KEYS = tuple(d for d in DIMENSIONS if d != "province")


#: A dimension's distinct keys and each certificate's index among them.
_Factorised = tuple[list[str], npt.NDArray[np.int64]]


@dataclass
class _Certificates:
    tokens: list[int]
    factorised: dict[str, _Factorised]  # each of _ROW_KEYS
    frozen: list[bool]
    issued_month: list[str | None]
    currency: list[str | None]
    value: list[int | None]  # latest valuation, minor units


def _columns(rows: Sequence[Sequence[Any]]) -> _Certificates:
    """Columns of certificate rows (token, keys but the province, frozen, issue month,
    currency, value)."""
    width = 1 + len(_ROW_KEYS) + 4
    tokens, *rest = [list(map(itemgetter(i), rows)) for i in range(width)]
    factorised = {
        d: _factorised(keys) for d, keys in zip(_ROW_KEYS, rest[: len(_ROW_KEYS)], strict=True)
    }
    frozen, issued, currency, value = rest[len(_ROW_KEYS) :]
    return _Certificates(
        tokens=tokens,
        factorised=factorised,
        frozen=frozen,
        issued_month=issued,
        currency=currency,
        value=[None if v is None else int(v) for v in value],
    )


def _raw_rows(connection: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``query`` as the driver returns them: plain tuples, without SQLAlchemy's
    per-row processing (none of the selected columns needs any: no custom types)."""
    result = connection.execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _positions(column: npt.NDArray[np.int64], names: Sequence[str] | None = None) -> _Factorised:
    """Factorise small integers (enum positions or label ids, named by ``names``; -1 (none) and
    positions ``names`` lacks are :data:`UNKNOWN`; without ``names`` the integer itself)."""
    distinct, codes = np.unique(column, return_inverse=True)
    if names is None:
        keys = [str(v) for v in distinct.tolist()]
    else:
        keys = [names[v] if 0 <= v < len(names) else UNKNOWN for v in distinct.tolist()]
    return keys, codes.astype(np.int64).reshape(-1)


def _cached(connection: Connection, chain_id: int, moment: datetime | None) -> _Certificates:
    """The certificates from the statistics cache (current to the head: see :mod:`.cache`).

    The small integers travel packed, three to five per column (every value the driver hands
    over costs an object): enum positions, frozen and registrar in one; industry and category
    label ids in another; region and currency in a third; numpy takes them apart."""
    c, t = report_certificate_table, report_label_table
    base = int(connection.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()) + 2
    small = (
        c.c.level
        + c.c.kind * 4
        + c.c.status * 16
        + c.c.accounting_class * 256
        + case((c.c.frozen, 1024), else_=0)
        + c.c.registrar * 2048
    )

    def pair(low: Any, high: Any) -> Any:
        return (func.coalesce(low, -1) + 1) + (func.coalesce(high, -1) + 1) * base

    rows = _raw_rows(
        connection,
        select(
            c.c.token_id,
            small,
            pair(c.c.industry, c.c.category),
            pair(c.c.region, c.c.currency),
            func.coalesce(c.c.issued_month, 0),
            func.coalesce(c.c.valid_until, -1),
            c.c.value,
        ).where(c.c.chain_id == chain_id),
    )
    tokens, packed, facts, place, issued, until, value = (
        [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(7)]
    )
    names = [UNKNOWN] * base
    for i, text in connection.execute(select(t.c.id, t.c.text)):
        names[int(i)] = str(text)
    small_ints = np.array(packed, dtype=np.int64)
    pairs = np.array(facts, dtype=np.int64)
    places = np.array(place, dtype=np.int64)
    statuses = (small_ints // 16) % 16
    if moment is not None and len(statuses):
        expired = (
            (statuses == cache.STATUSES.index(Status.ISSUED.value))
            & (np.array(until, dtype=np.int64) >= 0)
            & (np.array(until, dtype=np.int64) < moment.timestamp())
        )
        statuses = np.where(expired, cache.STATUSES.index(Status.EXPIRED.value), statuses)
    months: dict[int, str | None] = {m: month_text(m) if m else None for m in set(issued)}
    currency_ids = (places // base - 1).tolist()
    factorised = {
        "industry": _positions(pairs % base - 1, names),
        "category": _positions(pairs // base - 1, names),
        "region": _positions(places % base - 1, names),
        "level": _positions(small_ints % 4, cache.LEVELS),
        "kind": _positions((small_ints // 4) % 4, cache.KINDS),
        "status": _positions(statuses, cache.STATUSES),
        "registrar": _positions(small_ints // 2048),
        "accounting_class": _positions((small_ints // 256) % 4, cache.CLASSES),
    }
    return _Certificates(
        tokens=tokens,
        factorised=factorised,
        frozen=((small_ints // 1024) % 2).astype(bool).tolist(),
        issued_month=[months[m] for m in issued],
        currency=[None if i < 0 else names[i] for i in currency_ids],
        value=[None if v is None else int(v) for v in value],
    )


def _live_pledges(connection: Connection, chain_id: int) -> list[_Pledge]:
    p = pledge_table
    return [
        _Pledge(int(token), str(pledgee), str(currency), int(amount))
        for token, pledgee, currency, amount in _raw_rows(
            connection,
            select(p.c.token_id, p.c.pledgee, p.c.currency, p.c.secured_amount).where(
                p.c.chain_id == chain_id, p.c.status == PledgeStatus.LIVE.value
            ),
        )
    ]


def _from_history(
    engine: Engine, connection: Connection, chain_id: int, block: int, moment: datetime | None
) -> tuple[_Certificates, list[_Pledge]]:
    """The certificates as of ``block`` (below the head), from the row history."""
    newest: dict[int, tuple[int, str, int]] = {}
    for row in rows_as_of(engine, chain_id, "valuation", block):
        if row["status"] != ValuationStatus.ACTIVE.value:
            continue
        token, valuation_id = int(row["token_id"]), int(row["id"])
        if token not in newest or valuation_id > newest[token][0]:
            newest[token] = (valuation_id, str(row["currency"]), int(row["value"]))
    accounting = {
        int(row["token_id"]): (str(row["accounting_class"]), str(row["holder"]))
        for row in rows_as_of(engine, chain_id, "accounting_class", block)
    }
    frozen = {
        int(row["token_id"])
        for row in rows_as_of(engine, chain_id, "freeze", block)
        if row["frozen"]
    }
    facts = _facts(connection)
    rows: list[tuple[Any, ...]] = []
    for row in rows_as_of(engine, chain_id, "registration", block):
        if row["certificate_number"] is None:
            continue
        token = int(row["id"])
        industry, category, region = facts.get(str(row["metadata_hash"]), (None, None, None))
        status = str(row["status"])
        valid_until: datetime | None = row["valid_until"]
        if status == Status.ISSUED.value and valid_until and moment and valid_until < moment:
            status = Status.EXPIRED.value
        recorded = accounting.get(token)
        accounting_class = (
            recorded[0]
            if recorded is not None and recorded[1] == row["holder"]
            else AccountingClass.NONE.value
        )
        valuation = newest.get(token)
        issued_at: datetime | None = row["issued_at"]
        rows.append(
            (
                token,
                industry or UNKNOWN,
                category or UNKNOWN,
                str(row["level"]),
                region or UNKNOWN,
                str(row["registrar_code"]),
                str(row["kind"]),
                status,
                accounting_class,
                token in frozen,
                None if issued_at is None else month_of(issued_at),
                None if valuation is None else valuation[1],
                None if valuation is None else valuation[2],
            )
        )
    pledges = [
        _Pledge(
            int(row["token_id"]),
            str(row["pledgee"]),
            str(row["currency"]),
            int(row["secured_amount"]),
        )
        for row in rows_as_of(engine, chain_id, "pledge", block)
        if row["status"] == PledgeStatus.LIVE.value
    ]
    return _columns(rows), pledges


# --- aggregation --------------------------------------------------------------------------


def _major(minor: int, currency: str) -> Decimal:
    """Major units of ``currency``; a code dareg does not know is left in the chain's units."""
    return from_minor_units(minor, currency) if currency in CURRENCY_EXPONENTS else Decimal(minor)


def _money(totals: Mapping[str, int]) -> dict[str, Decimal]:
    return {currency: _major(totals[currency], currency) for currency in sorted(totals)}


def _add(totals: dict[str, int], currency: str, amount: int) -> None:
    totals[currency] = totals.get(currency, 0) + amount


Labeller = Callable[[str], tuple[str, str]]


def _enum_label(table: Mapping[Any, tuple[str, str]], kind: Callable[[str], Any]) -> Labeller:
    def label(key: str) -> tuple[str, str]:
        try:
            return table[kind(key)]
        except (KeyError, ValueError):
            return (key, key)

    return label


def _labeller(registrars: Mapping[int, str]) -> dict[str, Labeller]:
    def plain(key: str) -> tuple[str, str]:
        return (key, key)

    def province(key: str) -> tuple[str, str]:
        names = province_names(key) if key != UNKNOWN else None
        return names or (key, key)

    def registrar(key: str) -> tuple[str, str]:
        name = registrars.get(int(key)) if key.isdigit() else None
        return (name, name) if name else (f"登记机构 {key}", f"registrar {key}")

    return {
        "industry": plain,
        "category": plain,
        "level": _enum_label(CLASSIFICATION, Classification),
        "province": province,
        "region": plain,
        "registrar": registrar,
        "kind": _enum_label(ASSET_KIND, AssetKind),
        "status": _enum_label(STATUS, Status),
        "accounting_class": _enum_label(ACCOUNTING_CLASS, str),
    }


def _factorised(keys: Sequence[str]) -> _Factorised:
    """The distinct keys (in first-seen order) and each entry's index among them."""
    distinct = list(dict.fromkeys(keys))
    index = {key: i for i, key in enumerate(distinct)}
    return distinct, np.fromiter(map(index.__getitem__, keys), dtype=np.int64, count=len(keys))


def _groups(
    certificates: _Certificates, registrars: Mapping[int, str]
) -> dict[str, tuple[Group, ...]]:
    currencies = sorted({c for c in certificates.currency if c is not None})
    currency_index: dict[str | None, int] = {None: -1}
    currency_index.update((c, i) for i, c in enumerate(currencies))
    currency_codes = np.fromiter(
        map(currency_index.__getitem__, certificates.currency),
        dtype=np.int64,
        count=len(certificates.currency),
    )
    valued = currency_codes >= 0
    valued_currency = currency_codes[valued]
    values = np.array([v for v in certificates.value if v is not None], dtype=object)
    labels = _labeller(registrars)
    factorised = dict(certificates.factorised)
    regions, region_codes = factorised["region"]
    provinces = list(dict.fromkeys(province_of(r) if r != UNKNOWN else UNKNOWN for r in regions))
    province_index = {p: i for i, p in enumerate(provinces)}
    of_region = np.array(
        [province_index[province_of(r) if r != UNKNOWN else UNKNOWN] for r in regions],
        dtype=np.int64,
    )
    factorised["province"] = (provinces, of_region[region_codes])
    result: dict[str, tuple[Group, ...]] = {}
    for dimension in DIMENSIONS:
        distinct, codes = factorised[dimension]
        counts = np.bincount(codes, minlength=len(distinct)).tolist()
        valued_counts = np.bincount(codes[valued], minlength=len(distinct)).tolist()
        totals: list[dict[str, int]] = [{} for _ in distinct]
        if len(values):
            combined = codes[valued] * len(currencies) + valued_currency
            order = np.argsort(combined, kind="stable")
            ranked = combined[order]
            starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
            sums = np.add.reduceat(values[order], starts).tolist()
            for code, amount in zip(ranked[starts].tolist(), sums, strict=True):
                key, currency = divmod(int(code), len(currencies))
                totals[key][currencies[currency]] = int(amount)
        label = labels[dimension]
        result[dimension] = tuple(
            Group(
                key=key,
                label=label(key)[0],
                label_en=label(key)[1],
                certificates=int(counts[i]),
                valued=int(valued_counts[i]),
                valuation=_money(totals[i]),
            )
            for i, key in sorted(enumerate(distinct), key=lambda ik: (-counts[ik[0]], ik[1]))
        )
    return result


class _BlockMonths:
    """The month (Beijing time) of every mirrored block up to the report's: an event's month is
    its block's, found by binary search (no timestamp parsed per event)."""

    def __init__(self, connection: Connection, chain_id: int, block: int) -> None:
        b = block_table
        rows = _raw_rows(
            connection,
            select(b.c.number, b.c.timestamp)
            .where(b.c.chain_id == chain_id, b.c.number <= block)
            .order_by(b.c.number),
        )
        self._numbers = np.array([r[0] for r in rows], dtype=np.int64)
        local = np.array([r[1] for r in rows], dtype=np.int64) + 8 * 3600  # MONTH_ZONE
        self._months = local.astype("datetime64[s]").astype("datetime64[M]")

    def of(self, blocks: Sequence[int]) -> list[str]:
        """The months of events in ``blocks`` (each a mirrored block)."""
        if not len(blocks) or not len(self._numbers):
            return []
        where = np.searchsorted(self._numbers, np.array(blocks, dtype=np.int64))
        months: list[str] = (
            self._months[np.minimum(where, len(self._numbers) - 1)].astype(str).tolist()
        )
        return months


def _months(
    connection: Connection, chain_id: int, block: int, certificates: _Certificates
) -> list[MonthVolume]:
    issued = Counter(m for m in certificates.issued_month if m is not None)
    at = _BlockMonths(connection, chain_id, block)
    t = transfer_table
    moved = _raw_rows(
        connection,
        select(t.c.block_number).where(t.c.chain_id == chain_id, t.c.block_number <= block),
    )
    transfers = Counter(at.of([m for (m,) in moved]))
    lic = licence_table
    granted = _raw_rows(
        connection,
        select(lic.c.granted_block, lic.c.parent_id).where(
            lic.c.chain_id == chain_id, lic.c.granted_block <= block
        ),
    )
    licences: Counter[str] = Counter()
    sublicences: Counter[str] = Counter()
    for month, (_, parent) in zip(at.of([g[0] for g in granted]), granted, strict=True):
        (licences if parent is None else sublicences)[month] += 1
    p = pledge_table
    registered = _raw_rows(
        connection,
        select(p.c.registered_block, p.c.currency, p.c.secured_amount).where(
            p.c.chain_id == chain_id, p.c.registered_block <= block
        ),
    )
    pledges: Counter[str] = Counter()
    pledged: dict[str, dict[str, int]] = {}
    for month, (_, currency, amount) in zip(
        at.of([r[0] for r in registered]), registered, strict=True
    ):
        pledges[month] += 1
        _add(pledged.setdefault(month, {}), str(currency), int(amount))
    seen = {
        m for m in (*issued, *transfers, *licences, *sublicences, *pledges) if isinstance(m, str)
    }
    if not seen:
        return []
    return [
        MonthVolume(
            month=month,
            issued=issued[month],
            transfers=transfers[month],
            licences=licences[month],
            sublicences=sublicences[month],
            pledges=pledges[month],
            pledged=_money(pledged.get(month, {})),
        )
        for month in month_range(min(seen), max(seen))
    ]


def _lenders(certificates: _Certificates, pledges: list[_Pledge]) -> list[LenderExposure]:
    pledged = {p.token_id for p in pledges}
    valuation_of = {
        token: (currency, value)
        for token, currency, value in zip(
            certificates.tokens, certificates.currency, certificates.value, strict=True
        )
        if token in pledged and currency is not None and value is not None
    }
    by_lender: dict[str, tuple[list[int], dict[str, int]]] = {}
    for pledge in pledges:
        tokens, secured = by_lender.setdefault(pledge.pledgee, ([], {}))
        tokens.append(pledge.token_id)
        _add(secured, pledge.currency, pledge.amount)
    exposures = []
    for lender, (tokens, secured) in by_lender.items():
        valued: dict[str, int] = {}
        for token in set(tokens):
            found = valuation_of.get(token)
            if found is not None:
                _add(valued, *found)
        exposures.append(
            LenderExposure(
                lender=lender,
                pledges=len(tokens),
                certificates=len(set(tokens)),
                secured=_money(secured),
                valuation=_money(valued),
            )
        )
    return sorted(exposures, key=lambda e: (-e.pledges, e.lender))


def _facts(connection: Connection) -> dict[str, _Facts]:
    f = asset_facts_table
    return {
        str(h): (industry, category, region)
        for h, industry, category, region in connection.execute(
            select(f.c.metadata_hash, f.c.industry, f.c.category, f.c.region).where(
                f.c.readable.is_(True)
            )
        )
    }


def _registrars(connection: Connection) -> dict[int, str]:
    t = registrar_profile_table
    return {int(code): str(name) for code, name in connection.execute(select(t.c.code, t.c.name))}


def _report(
    connection: Connection,
    chain_id: int,
    as_of: AsOf,
    certificates: _Certificates,
    pledges: list[_Pledge],
) -> Statistics:
    groups = _groups(certificates, _registrars(connection))
    first = groups[DIMENSIONS[0]]
    totals: dict[str, Decimal] = {}
    for group in first:
        for currency, amount in group.valuation.items():
            totals[currency] = totals.get(currency, Decimal(0)) + amount
    certified = set(certificates.tokens)
    return Statistics(
        chain_id=chain_id,
        as_of=as_of,
        certificates=len(certificates.tokens),
        valued=sum(g.valued for g in first),
        valuation=dict(sorted(totals.items())),
        pledged=len({p.token_id for p in pledges} & certified),
        frozen=sum(1 for f in certificates.frozen if f),
        groups=groups,
        months=tuple(_months(connection, chain_id, as_of.block, certificates)),
        lenders=tuple(_lenders(certificates, pledges)),
    )


def market_statistics(engine: Engine, chain_id: int, as_of: AsOf) -> Statistics:
    """The statistics report of ``chain_id``'s registry as of ``as_of`` (see the module).

    At the head the statistics cache is read with the event tables between two looks at the
    indexer's cursor (the indexer stores a batch, moves its cursor and refreshes the cache in one
    transaction), again if a batch landed meanwhile; a cache not built up to the head yet (no
    batch stored since it was emptied) gives way to the row history, which answers the same.
    Below the head the row history does not change. Nothing is written."""
    for _ in range(SNAPSHOT_ATTEMPTS):
        with engine.connect() as connection:
            head = head_in(connection, chain_id) or 0
            s = report_state_table
            current = connection.execute(
                select(s.c.block).where(s.c.chain_id == chain_id)
            ).scalar_one_or_none()
            if current is not None and current > head:
                continue  # a batch landed between the two reads
            if as_of.block < head or current != head:
                found = _from_history(engine, connection, chain_id, as_of.block, as_of.time)
                return _report(connection, chain_id, as_of, *found)
            certificates = _cached(connection, chain_id, as_of.time)
            report = _report(
                connection, chain_id, as_of, certificates, _live_pledges(connection, chain_id)
            )
            if (head_in(connection, chain_id) or 0) == head:
                return report
    raise IndexerError(
        f"the mirror of chain {chain_id} kept changing while it was read "
        f"({SNAPSHOT_ATTEMPTS} attempts); try again",
        chain_id=chain_id,
    )
