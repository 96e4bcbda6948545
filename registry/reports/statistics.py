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

Industry, category and region come from each certificate's metadata document
(:mod:`registry.reports.facts`); a certificate whose document this service does not hold counts
under ``unknown``. At the mirror's head the current-state tables are read directly; as of an
earlier block the rows come from the row history (:func:`registry.indexer.history.rows_as_of`).
Money is summed exactly in minor units and reported in major units per currency, never
converted between currencies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, and_, func, select

from registry.certificates.labels import ASSET_KIND, CLASSIFICATION, STATUS
from registry.db.models import (
    accounting_class_table,
    asset_facts_table,
    cursor_table,
    freeze_table,
    licence_table,
    pledge_table,
    registrar_profile_table,
    registration_table,
    transfer_table,
    valuation_table,
)
from registry.domain.money import CURRENCY_EXPONENTS
from registry.domain.registration import AssetKind, Classification, Status
from registry.domain.rights import PledgeStatus
from registry.domain.valuation import AccountingClass, ValuationStatus
from registry.errors import IndexerError
from registry.indexer.history import rows_as_of
from registry.indexer.snapshot import SNAPSHOT_ATTEMPTS
from registry.provenance.asof import AsOf
from registry.reports.facts import refresh_facts
from registry.reports.regions import province_names, province_of

#: The time zone months are counted in (Beijing time).
MONTH_ZONE = timezone(timedelta(hours=8), "UTC+08:00")

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

    @property
    def currencies(self) -> tuple[str, ...]:
        """Every currency any figure of the report is in, sorted."""
        seen: set[str] = set(self.valuation)
        for month in self.months:
            seen.update(month.pledged)
        for lender in self.lenders:
            seen.update(lender.secured, lender.valuation)
        return tuple(sorted(seen))


# --- what the sources deliver -------------------------------------------------------------


class _Certificate(NamedTuple):
    token_id: int
    holder: str
    registrar_code: int
    kind: str
    level: str
    status: str
    valid_until: datetime | None
    issued_at: datetime | None
    metadata_hash: str


#: (industry, category, region) of a metadata document
_Facts = tuple[str | None, str | None, str | None]


class _Pledge(NamedTuple):
    token_id: int
    pledgee: str
    currency: str
    amount: int


@dataclass
class _State:
    """Certificates and what hangs on them as of the report's block."""

    certificates: list[_Certificate]
    latest_valuation: dict[int, tuple[str, int]]
    accounting: dict[int, tuple[str, str]]
    live_pledges: list[_Pledge]
    frozen: set[int]


def _head_state(connection: Connection, chain_id: int) -> _State:
    r = registration_table
    certificates = [
        _Certificate(*row)
        for row in connection.execute(
            select(
                r.c.id,
                r.c.holder,
                r.c.registrar_code,
                r.c.kind,
                r.c.level,
                r.c.status,
                r.c.valid_until,
                r.c.issued_at,
                r.c.metadata_hash,
            ).where(r.c.chain_id == chain_id, r.c.certificate_number.is_not(None))
        )
    ]
    v = valuation_table
    newest = (
        select(func.max(v.c.id).label("id"))
        .where(v.c.chain_id == chain_id, v.c.status == ValuationStatus.ACTIVE.value)
        .group_by(v.c.token_id)
        .subquery()
    )
    latest = {
        int(token): (str(currency), int(value))
        for token, currency, value in connection.execute(
            select(v.c.token_id, v.c.currency, v.c.value).join(
                newest, and_(v.c.chain_id == chain_id, v.c.id == newest.c.id)
            )
        )
    }
    a = accounting_class_table
    accounting = {
        int(token): (str(kind), str(holder))
        for token, kind, holder in connection.execute(
            select(a.c.token_id, a.c.accounting_class, a.c.holder).where(a.c.chain_id == chain_id)
        )
    }
    p = pledge_table
    live = [
        _Pledge(int(token), str(pledgee), str(currency), int(amount))
        for token, pledgee, currency, amount in connection.execute(
            select(p.c.token_id, p.c.pledgee, p.c.currency, p.c.secured_amount).where(
                p.c.chain_id == chain_id, p.c.status == PledgeStatus.LIVE.value
            )
        )
    ]
    fz = freeze_table
    frozen = {
        int(token)
        for token in connection.execute(
            select(fz.c.token_id).where(fz.c.chain_id == chain_id, fz.c.frozen.is_(True))
        ).scalars()
    }
    return _State(certificates, latest, accounting, live, frozen)


def _history_state(engine: Engine, chain_id: int, block: int) -> _State:
    certificates = [
        _Certificate(
            token_id=int(row["id"]),
            holder=str(row["holder"]),
            registrar_code=int(row["registrar_code"]),
            kind=str(row["kind"]),
            level=str(row["level"]),
            status=str(row["status"]),
            valid_until=row["valid_until"],
            issued_at=row["issued_at"],
            metadata_hash=str(row["metadata_hash"]),
        )
        for row in rows_as_of(engine, chain_id, "registration", block)
        if row["certificate_number"] is not None
    ]
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
    live = [
        _Pledge(
            int(row["token_id"]),
            str(row["pledgee"]),
            str(row["currency"]),
            int(row["secured_amount"]),
        )
        for row in rows_as_of(engine, chain_id, "pledge", block)
        if row["status"] == PledgeStatus.LIVE.value
    ]
    frozen = {
        int(row["token_id"])
        for row in rows_as_of(engine, chain_id, "freeze", block)
        if row["frozen"]
    }
    return _State(
        certificates,
        {token: (currency, value) for token, (_, currency, value) in newest.items()},
        accounting,
        live,
        frozen,
    )


# --- aggregation --------------------------------------------------------------------------


def _major(minor: int, currency: str) -> Decimal:
    """Major units of ``currency``; a code dareg does not know is left in the chain's units."""
    exponent = CURRENCY_EXPONENTS.get(currency, 0)
    return Decimal(f"{minor}E-{exponent}") if exponent else Decimal(minor)


def _money(totals: Mapping[str, int]) -> dict[str, Decimal]:
    return {currency: _major(totals[currency], currency) for currency in sorted(totals)}


def _add(totals: dict[str, int], currency: str, amount: int) -> None:
    totals[currency] = totals.get(currency, 0) + amount


@dataclass
class _Tally:
    certificates: int = 0
    valued: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    def merge(self, other: _Tally) -> None:
        self.certificates += other.certificates
        self.valued += other.valued
        for currency, amount in other.totals.items():
            _add(self.totals, currency, amount)


def _effective_status(status: str, valid_until: datetime | None, moment: datetime | None) -> str:
    if (
        status == Status.ISSUED.value
        and valid_until is not None
        and moment is not None
        and valid_until < moment
    ):
        return Status.EXPIRED.value
    return status


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


def _groups(
    state: _State,
    facts: Mapping[str, _Facts],
    moment: datetime | None,
    registrars: Mapping[int, str],
) -> dict[str, tuple[Group, ...]]:
    combos: dict[tuple[str, ...], _Tally] = {}
    for c in state.certificates:
        industry, category, region = facts.get(c.metadata_hash, (None, None, None))
        recorded = state.accounting.get(c.token_id)
        accounting = (
            recorded[0]
            if recorded is not None and recorded[1] == c.holder
            else AccountingClass.NONE.value
        )
        key = (
            industry or UNKNOWN,
            category or UNKNOWN,
            c.level,
            province_of(region) if region else UNKNOWN,
            region or UNKNOWN,
            str(c.registrar_code),
            c.kind,
            _effective_status(c.status, c.valid_until, moment),
            accounting,
        )
        tally = combos.get(key)
        if tally is None:
            tally = combos[key] = _Tally()
        tally.certificates += 1
        valuation = state.latest_valuation.get(c.token_id)
        if valuation is not None:
            tally.valued += 1
            _add(tally.totals, *valuation)
    labels = _labeller(registrars)
    result: dict[str, tuple[Group, ...]] = {}
    for position, dimension in enumerate(DIMENSIONS):
        rolled: dict[str, _Tally] = {}
        for combo, tally in combos.items():
            rolled.setdefault(combo[position], _Tally()).merge(tally)
        label = labels[dimension]
        result[dimension] = tuple(
            Group(
                key=k,
                label=label(k)[0],
                label_en=label(k)[1],
                certificates=t.certificates,
                valued=t.valued,
                valuation=_money(t.totals),
            )
            for k, t in sorted(rolled.items(), key=lambda kv: (-kv[1].certificates, kv[0]))
        )
    return result


def month_of(moment: datetime) -> str:
    """``YYYY-MM`` of ``moment`` in Beijing time."""
    local = moment.astimezone(MONTH_ZONE)
    return f"{local.year:04d}-{local.month:02d}"


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    months = []
    while (current := f"{year:04d}-{month:02d}") <= last:
        months.append(current)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass
class _Month:
    issued: int = 0
    transfers: int = 0
    licences: int = 0
    sublicences: int = 0
    pledges: int = 0
    pledged: dict[str, int] = field(default_factory=dict)


def _months(connection: Connection, chain_id: int, block: int, state: _State) -> list[MonthVolume]:
    months: dict[str, _Month] = {}

    def at(moment: datetime) -> _Month:
        key = month_of(moment)
        found = months.get(key)
        if found is None:
            found = months[key] = _Month()
        return found

    for c in state.certificates:
        if c.issued_at is not None:
            at(c.issued_at).issued += 1
    t = transfer_table
    for (moment,) in connection.execute(
        select(t.c.transferred_at).where(t.c.chain_id == chain_id, t.c.block_number <= block)
    ):
        at(moment).transfers += 1
    lic = licence_table
    for moment, parent in connection.execute(
        select(lic.c.granted_at, lic.c.parent_id).where(
            lic.c.chain_id == chain_id, lic.c.granted_block <= block
        )
    ):
        if parent is None:
            at(moment).licences += 1
        else:
            at(moment).sublicences += 1
    p = pledge_table
    for moment, currency, amount in connection.execute(
        select(p.c.registered_at, p.c.currency, p.c.secured_amount).where(
            p.c.chain_id == chain_id, p.c.registered_block <= block
        )
    ):
        month = at(moment)
        month.pledges += 1
        _add(month.pledged, str(currency), int(amount))
    if not months:
        return []
    return [
        MonthVolume(
            month=key,
            issued=(m := months.get(key, _Month())).issued,
            transfers=m.transfers,
            licences=m.licences,
            sublicences=m.sublicences,
            pledges=m.pledges,
            pledged=_money(m.pledged),
        )
        for key in _month_range(min(months), max(months))
    ]


def _lenders(state: _State) -> list[LenderExposure]:
    by_lender: dict[str, tuple[list[int], dict[str, int], dict[str, int]]] = {}
    for pledge in state.live_pledges:
        tokens, secured, valued = by_lender.setdefault(pledge.pledgee, ([], {}, {}))
        tokens.append(pledge.token_id)
        _add(secured, pledge.currency, pledge.amount)
    for tokens, _, valued in by_lender.values():
        for token in set(tokens):
            valuation = state.latest_valuation.get(token)
            if valuation is not None:
                _add(valued, *valuation)
    exposures = [
        LenderExposure(
            lender=lender,
            pledges=len(tokens),
            certificates=len(set(tokens)),
            secured=_money(secured),
            valuation=_money(valued),
        )
        for lender, (tokens, secured, valued) in by_lender.items()
    ]
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


def _totals(groups: Iterable[Group]) -> tuple[int, int, dict[str, Decimal]]:
    certificates = valued = 0
    totals: dict[str, Decimal] = {}
    for group in groups:
        certificates += group.certificates
        valued += group.valued
        for currency, amount in group.valuation.items():
            totals[currency] = totals.get(currency, Decimal(0)) + amount
    return certificates, valued, dict(sorted(totals.items()))


def _indexed_head(connection: Connection, chain_id: int) -> int:
    value = connection.execute(
        select(cursor_table.c.last_block).where(cursor_table.c.chain_id == chain_id)
    ).scalar_one_or_none()
    return 0 if value is None else int(value)


def _read(
    engine: Engine, chain_id: int, block: int
) -> tuple[_State, list[MonthVolume], dict[str, _Facts], dict[int, str]]:
    """Everything a report needs as of ``block``, as one consistent state: at the head the
    current tables are read between two looks at the indexer's cursor (the indexer stores a batch
    and moves its cursor in one transaction) and read again if it moved."""
    for _ in range(SNAPSHOT_ATTEMPTS):
        with engine.connect() as connection:
            head = _indexed_head(connection, chain_id)
            if block < head:
                state = _history_state(engine, chain_id, block)
            else:
                state = _head_state(connection, chain_id)
            months = _months(connection, chain_id, block, state)
            facts = _facts(connection)
            registrars = _registrars(connection)
            if block < head or _indexed_head(connection, chain_id) == head:
                return state, months, facts, registrars
    raise IndexerError(
        f"the mirror of chain {chain_id} kept changing while it was read "
        f"({SNAPSHOT_ATTEMPTS} attempts); try again",
        chain_id=chain_id,
    )


def market_statistics(engine: Engine, chain_id: int, as_of: AsOf) -> Statistics:
    """The statistics report of ``chain_id``'s registry as of ``as_of`` (see the module)."""
    refresh_facts(engine)
    state, months, facts, registrars = _read(engine, chain_id, as_of.block)
    groups = _groups(state, facts, as_of.time, registrars)
    certificates, valued, totals = _totals(groups[DIMENSIONS[0]])
    certified = {c.token_id for c in state.certificates}
    return Statistics(
        chain_id=chain_id,
        as_of=as_of,
        certificates=certificates,
        valued=valued,
        valuation=totals,
        pledged=len({p.token_id for p in state.live_pledges if p.token_id in certified}),
        frozen=len(state.frozen & certified),
        groups=groups,
        months=tuple(months),
        lenders=tuple(_lenders(state)),
    )
