"""The registration lifecycle mirrored into SQL, checked against the real contract on anvil."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select

from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.db.models import (
    asset_version_table,
    objection_table,
    raw_event_table,
    registration_table,
)
from registry.domain.chain import ChainEvent
from registry.domain.registration import (
    AssetKind,
    Classification,
    ObjectionStatus,
    RegistrarPolicy,
    Right,
    Status,
)
from registry.errors import IndexerError, InputError, MalformedNumberError
from registry.indexer.contracts.registry import ApplicationSubmittedRecord
from registry.indexer.decode import Decoder, to_record
from registry.indexer.fetch import LogFetcher
from registry.indexer.follow import Indexer
from registry.indexer.store import store_batch
from registry.mirror import (
    count_registrations,
    list_registrations,
    objection_row,
    objections_of,
    registrars,
    registration_by_number,
    registration_row,
    versions_of,
)
from registry.registration.service import AUTHORITY
from tests.conftest import admin as governor
from tests.registry.indexer.mirror import dump, sync
from tests.registry.registration.conftest import (
    NOTICE,
    REGISTRAR_CODE,
    metadata,
    registrar,
    travel,
)

YEAR = 365 * 86_400
OTHER_CODE = 441


@dataclass
class Scenario:
    """What the scenario did: registration ids by name, objection ids in filing order."""

    ids: dict[str, int] = field(default_factory=dict)
    objections: list[int] = field(default_factory=list)


def chain_now(chain: ChainClient) -> datetime:
    return datetime.fromtimestamp(chain.block().timestamp, tz=UTC)


def chain_date(chain: ChainClient, days_ahead: int) -> date:
    return (chain_now(chain) + timedelta(hours=8) + timedelta(days=days_ahead)).date()


def run_scenario(ctx: RegistryContext, after: Callable[[], object] = lambda: None) -> Scenario:
    """Every event of the lifecycle, ``after`` called after each transaction (or group)."""
    chain = ctx.client
    service = ctx.registrations
    admin = governor()
    staff = registrar()
    s = Scenario()

    # registrars: a second agency whose objections need standing, re-configured by its staff;
    # one account unbound with setRegistrarAccount, then the agency retired by the admin (v2:
    # registrars and staff live in the RegistryAuthority, which has no REGISTRAR_ROLE)
    service.configure_registrar(
        OTHER_CODE,
        RegistrarPolicy(
            active=True, objections_open_to_all=False, evidence_required=False, notice_period=NOTICE
        ),
        admin,
    )
    service.set_registrar_account(OTHER_CODE, dev_account(8).address, admin)
    service.set_registrar_account(OTHER_CODE, dev_account(9).address, admin)
    after()
    chain.transact(
        AUTHORITY,
        ctx.manifest.address_of(AUTHORITY),
        "setRegistrarPolicy",
        [OTHER_CODE, (True, False, True, 86_400)],
        dev_account(8),
    )
    service.set_registrar_account(OTHER_CODE, dev_account(8).address, admin, enabled=False)
    service.configure_registrar(
        OTHER_CODE,
        RegistrarPolicy(
            active=False, objections_open_to_all=False, evidence_required=True, notice_period=NOTICE
        ),
        admin,
    )
    after()

    def submit(name: str, holder: int, fp: int, *, relayed: bool = True, **changes: Any) -> int:
        account = dev_account(holder)
        doc = metadata(account.address, fp, **changes)
        if relayed:
            reg = service.sign_and_submit(doc, REGISTRAR_CODE, account, ctx.operator)
        else:
            reg = service.submit(doc, REGISTRAR_CODE, account)
        s.ids[name] = reg.id
        return reg.id

    a = submit("A", 1, 0xA1, source_agreement_end=chain_date(chain, 2 * 365))
    b = submit("B", 2, 0xB1, classification="important")
    c = submit("C", 3, 0xC1)
    d = submit("D", 4, 0xD1)
    e = submit(
        "E",
        6,
        0xE1,
        relayed=False,
        applicant_type=2,
        data_source={"kind": 4, "proof": "公共数据授权运营协议"},
    )
    f = submit("F", 3, 0xF2)
    submit("G", 1, 0x61)
    h = submit("H", 2, 0x62)
    n = submit("N", 5, 0x63)
    after()

    # review: B is returned, resubmitted with new content, accepted and rejected
    service.return_for_correction(b, 3, "材料不全", staff)
    after()
    service.resubmit(
        b, metadata(dev_account(2).address, 0xB2, classification="important"), dev_account(2)
    )
    service.accept(b, staff)
    after()
    service.reject(b, 7, "来源授权不足", staff)
    for reg_id in (a, c, d, e, f, h, n):
        service.accept(reg_id, staff)
    after()
    for reg_id in (a, c, d, e, f, n):
        service.open_notice(reg_id, staff)
    after()

    # objections: two against C (the first upheld rejects it, the second is still ruled), one
    # against D by a party given standing, dismissed
    s.objections.append(
        service.file_objection(c, "权属争议一".encode(), "text/plain", dev_account(5))
    )
    s.objections.append(
        service.file_objection(c, "权属争议二".encode(), "text/plain", dev_account(6))
    )
    after()
    service.grant_standing(d, dev_account(5).address, staff)
    s.objections.append(service.file_objection(d, "异议".encode(), "text/plain", dev_account(5)))
    after()
    service.rule_objection(s.objections[0], True, "异议成立", staff)
    after()
    service.rule_objection(s.objections[1], False, "已驳回", staff)
    service.rule_objection(s.objections[2], False, "不成立", staff)
    after()

    travel(chain, NOTICE + 1)
    service.issue(a, staff)
    after()
    service.issue_batch([d, e, f], staff)
    after()

    # after issuance: a change by the holder, a correction by the registrar, a renewal that
    # also moves the source agreement (v2: inside the renewal window before A's expiry); a
    # cancellation and a revocation
    service.change(a, metadata(dev_account(1).address, 0xA2), dev_account(1))
    after()
    service.correct(a, metadata(dev_account(1).address, 0xA3), staff)
    a_until = service.get(a).valid_until
    assert a_until is not None
    travel(chain, int(a_until.timestamp()) - chain.block().timestamp - 30 * 86_400)
    service.renew(a, chain_date(chain, 10 * 365), staff)
    after()
    service.cancel(d, "不再经营", dev_account(4))
    service.revoke(e, 9, "发现欺诈", staff)
    after()

    # a data product derived from A, by A's holder (v2: or a processing-use licensee of A)
    s.ids["P"] = submit(
        "P", 1, 0x9A, asset_kind="product", parents=[a], rights=["product_operation"]
    )
    after()
    return s


@pytest.fixture
def scenario(ctx: RegistryContext) -> Scenario:
    return run_scenario(ctx)


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def assert_mirrors_chain(ctx: RegistryContext, engine: Engine, scenario: Scenario) -> None:
    """The mirror agrees with the contract's views on every registration and objection."""
    now = chain_now(ctx.client)
    service = ctx.registrations
    for name, reg_id in scenario.ids.items():
        on_chain = service.get(reg_id)
        row = registration_row(engine, reg_id, now=now)
        assert row is not None, name
        assert (
            row.id,
            row.effective_status,
            row.holder,
            row.registrar_code,
            row.kind,
            row.rights_set,
            row.level,
            row.data_source,
            row.applicant_type,
            row.submitted_at,
            row.notice_start,
            row.notice_end,
            row.source_agreement_end,
            row.issued_at,
            row.valid_until,
            row.open_objections,
            row.version,
            row.fingerprint,
            row.metadata_hash,
            row.parents,
            row.registration_number,
            row.certificate_number,
        ) == (
            on_chain.id,
            on_chain.status,
            on_chain.holder,
            on_chain.registrar_code,
            on_chain.asset_kind,
            on_chain.rights,
            on_chain.classification,
            int(on_chain.data_source),
            int(on_chain.applicant_type),
            on_chain.submitted_at,
            on_chain.notice_start,
            on_chain.notice_end,
            _seconds(on_chain.source_agreement_end),
            on_chain.issued_at,
            on_chain.valid_until,
            on_chain.open_objections,
            on_chain.version,
            on_chain.fingerprint,
            on_chain.metadata_hash,
            on_chain.parents,
            on_chain.registration_number,
            on_chain.certificate_number,
        ), name
        expected_versions = service.versions(reg_id) if on_chain.version else []
        assert [
            (v.version, v.fingerprint, v.metadata_hash) for v in versions_of(engine, reg_id)
        ] == [(v.version, v.fingerprint, v.metadata_hash) for v in expected_versions], name
    assert count_registrations(engine) == len(scenario.ids)
    for objection_id in scenario.objections:
        on_chain_objection = service.objection(objection_id)
        mirrored = objection_row(engine, objection_id)
        assert mirrored is not None
        assert (
            mirrored.id,
            mirrored.registration_id,
            mirrored.objector,
            mirrored.filed_at,
            mirrored.status,
        ) == (
            on_chain_objection.id,
            on_chain_objection.registration_id,
            on_chain_objection.objector,
            on_chain_objection.filed_at,
            on_chain_objection.status,
        )
    mirrored_registrars = {r.code: r for r in registrars(engine)}
    assert set(mirrored_registrars) == {REGISTRAR_CODE, OTHER_CODE}
    for code, mirrored_registrar in mirrored_registrars.items():
        policy = service.registrar_policy(code)
        assert (
            mirrored_registrar.active,
            mirrored_registrar.objections_open_to_all,
            mirrored_registrar.evidence_required,
            mirrored_registrar.notice_period,
        ) == policy.chain()
        assert all(service.registrar_code_of(a) == code for a in mirrored_registrar.accounts)
    for index in (7, 8, 9):
        account = dev_account(index).address
        bound = [code for code, r in mirrored_registrars.items() if account in r.accounts]
        assert bound == ([c] if (c := service.registrar_code_of(account)) else [])


# --- the mirror equals the contract ------------------------------------------------------------


def test_every_registration_objection_version_and_registrar_matches_the_contract(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    assert sync(ctx) == ctx.client.head()
    assert_mirrors_chain(ctx, ctx.engine, scenario)

    ids = scenario.ids
    now = chain_now(ctx.client)
    rows = {name: registration_row(ctx.engine, reg_id, now=now) for name, reg_id in ids.items()}
    statuses = {name: row.status for name, row in rows.items() if row is not None}
    assert statuses == {
        "A": Status.ISSUED,
        "B": Status.REJECTED,
        "C": Status.REJECTED,
        "D": Status.CANCELLED,
        "E": Status.REVOKED,
        "F": Status.ISSUED,
        "G": Status.SUBMITTED,
        "H": Status.ACCEPTED,
        "N": Status.IN_NOTICE,
        "P": Status.SUBMITTED,
    }
    a, e, p = rows["A"], rows["E"], rows["P"]
    assert a is not None
    assert e is not None
    assert p is not None
    assert a.relayer == ctx.operator.address  # relayed: the operator paid gas
    assert e.relayer == e.holder == dev_account(6).address  # submitted directly
    assert (p.kind, p.parents, p.rights_set) == (
        AssetKind.PRODUCT,
        (ids["A"],),
        frozenset({Right.PRODUCT_OPERATION}),
    )
    assert e.level is Classification.GENERAL
    # v2: who issued and who ended a certificate
    assert a.issued_by == registrar().address
    d = rows["D"]
    assert d is not None
    assert (d.ended_by, d.end_ruling_hash) == (dev_account(4).address, None)
    assert (e.ended_by, e.end_ruling_hash) == (registrar().address, None)
    assert a.ended_by is None
    assert rows["B"] is not None
    assert rows["B"].level is Classification.IMPORTANT
    assert (e.data_source, e.applicant_type) == (4, 2)
    # every derived row points back at the raw events that made it
    with ctx.engine.connect() as connection:
        raw = {
            (r.block_number, r.log_index): r.event
            for r in connection.execute(select(raw_event_table)).all()
        }
        registrations = connection.execute(select(registration_table)).all()
        versions = connection.execute(select(asset_version_table)).all()
        objections = connection.execute(select(objection_table)).all()
    # the scenario emits every event of the lifecycle
    assert {
        "RegistrarConfigured",
        "RegistrarAccountSet",
        "ApplicationSubmitted",
        "ApplicationAccepted",
        "ApplicationReturned",
        "ApplicationResubmitted",
        "ApplicationRejected",
        "NoticeOpened",
        "StandingGranted",
        "ObjectionFiled",
        "ObjectionRuled",
        "CertificateIssued",
        "Transfer",
        "Locked",
        "MetadataUpdate",
        "AssetChanged",
        "CertificateRenewed",
        "CertificateCancelled",
        "CertificateRevoked",
    } <= set(raw.values())
    assert all(
        raw[(r.submitted_block, r.submitted_log_index)] == "ApplicationSubmitted"
        for r in registrations
    )
    assert all((r.last_block, r.last_log_index) in raw for r in registrations)
    assert {raw[(v.block_number, v.log_index)] for v in versions} == {
        "CertificateIssued",
        "AssetChanged",
    }
    assert all(raw[(o.filed_block, o.filed_log_index)] == "ObjectionFiled" for o in objections)
    assert all(
        raw[(o.ruled_block, o.ruled_log_index)] == "ObjectionRuled"
        for o in objections
        if o.ruled_block
    )
    # an upheld objection: the contract rejects in the same call, right after the ruling
    ruling = next(o for o in objections if o.objection_id == scenario.objections[0])
    assert ruling.status == ObjectionStatus.UPHELD
    assert raw[(ruling.ruled_block, ruling.ruled_log_index + 1)] == "ApplicationRejected"


def test_versions_and_objections_carry_their_history(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    sync(ctx)
    a = scenario.ids["A"]
    versions = versions_of(ctx.engine, a)
    assert [(v.version, v.correction) for v in versions] == [(1, False), (2, False), (3, True)]
    holder = dev_account(1).address
    assert [v.changed_by for v in versions] == [holder, holder, registrar().address]
    row = registration_row(ctx.engine, a)
    assert row is not None
    assert row.issued_at == versions[0].changed_at
    assert [v.changed_at for v in versions] == sorted(v.changed_at for v in versions)
    assert versions_of(ctx.engine, scenario.ids["G"]) == []  # never issued

    c_objections = objections_of(ctx.engine, scenario.ids["C"])
    assert [o.id for o in c_objections] == scenario.objections[:2]
    assert [o.status for o in c_objections] == [ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED]
    assert all(o.ruled_by == registrar().address for o in c_objections)
    assert all(o.ruled_at is not None and o.ruled_at >= o.filed_at for o in c_objections)
    assert c_objections[0].ruling_reason_hash is not None
    assert (
        ctx.registrations.documents.get(bytes.fromhex(c_objections[0].evidence_hash[2:]))
        is not None
    )
    assert objections_of(ctx.engine, scenario.ids["A"]) == []
    assert objection_row(ctx.engine, 10_000) is None
    assert registration_row(ctx.engine, 10_000) is None


def test_following_the_scenario_step_by_step_gives_the_same_tables(
    ctx: RegistryContext, other_engine: Engine
) -> None:
    indexer = Indexer(ctx.client, ctx.manifest, other_engine)
    s = run_scenario(ctx, after=indexer.sync_once)
    assert indexer.sync_once() == ctx.client.head()
    sync(ctx)
    assert dump(other_engine) == dump(ctx.engine)
    assert_mirrors_chain(ctx, other_engine, s)


def test_one_block_batches_give_the_same_tables_as_one_sync(
    ctx: RegistryContext, scenario: Scenario, other_engine: Engine
) -> None:
    sync(ctx)
    assert sync(ctx, other_engine, log_range=1) == ctx.client.head()
    assert dump(other_engine) == dump(ctx.engine)


# --- idempotence -------------------------------------------------------------------------------


def test_storing_a_stored_batch_again_changes_nothing(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    contracts = {name: c.address for name, c in ctx.manifest.contracts.items()}
    fetcher = LogFetcher(
        ctx.client, ctx.manifest.chain_id, list(contracts.values()), ctx.client.codec.topics
    )
    batch = Decoder(ctx.client.codec, contracts).decode(
        fetcher.fetch(ctx.manifest.deploy_block, ctx.client.head())
    )
    first = store_batch(ctx.engine, batch)
    assert first.registry_events == len(batch.family("registry")) > 30
    before = dump(ctx.engine)
    second = store_batch(ctx.engine, batch)
    assert second.rows == 0
    assert dump(ctx.engine) == before
    # and after more happened and was synced, the old batch still changes nothing
    ctx.registrations.accept(scenario.ids["G"], registrar())
    sync(ctx)
    after_sync = dump(ctx.engine)
    assert store_batch(ctx.engine, batch).rows == 0
    assert dump(ctx.engine) == after_sync
    assert_mirrors_chain(ctx, ctx.engine, scenario)


def test_a_second_sync_writes_nothing(ctx: RegistryContext, scenario: Scenario) -> None:
    head = sync(ctx)
    before = dump(ctx.engine)
    assert sync(ctx) == head
    assert dump(ctx.engine) == before


# --- expiry is derived when reading ------------------------------------------------------------


def test_expiry_is_derived_at_query_time(ctx: RegistryContext, scenario: Scenario) -> None:
    sync(ctx)
    ids = scenario.ids
    before = chain_now(ctx.client)
    assert list_registrations(ctx.engine, status="expired", now=before) == []
    assert {r.id for r in list_registrations(ctx.engine, status="issued", now=before)} == {
        ids["A"],
        ids["F"],
    }
    # F is valid for three years from its notice; A, renewed, for longer
    f_until = ctx.registrations.get(ids["F"]).valid_until
    assert f_until is not None
    travel(ctx.client, int(f_until.timestamp()) - ctx.client.block().timestamp + 86_400)
    now = chain_now(ctx.client)
    assert ctx.registrations.get(ids["F"]).status is Status.EXPIRED
    assert ctx.registrations.get(ids["A"]).status is Status.ISSUED
    # nothing was indexed since: the mirror derives expiry from valid_until alone
    assert_mirrors_chain(ctx, ctx.engine, scenario)
    assert [r.id for r in list_registrations(ctx.engine, status="expired", now=now)] == [ids["F"]]
    assert [r.id for r in list_registrations(ctx.engine, status="issued", now=now)] == [ids["A"]]
    assert count_registrations(ctx.engine, status="expired", now=now) == 1
    expired = registration_row(ctx.engine, ids["F"], now=now)
    assert expired is not None
    assert (expired.status, expired.effective_status) == (Status.ISSUED, Status.EXPIRED)
    still = registration_row(ctx.engine, ids["F"], now=before)
    assert still is not None
    assert still.effective_status is Status.ISSUED
    # without `now`, the current time is used
    assert all(r.effective_status is not Status.NONE for r in list_registrations(ctx.engine))
    # v2: anyone closes the expired certificate; then the expiry is stored, and still reads so
    closed = ctx.registrations.close_expired(ids["F"], dev_account(5))
    assert closed.status is Status.EXPIRED
    sync(ctx)
    assert_mirrors_chain(ctx, ctx.engine, scenario)
    stored = registration_row(ctx.engine, ids["F"], now=now)
    assert stored is not None
    assert (stored.status, stored.effective_status) == (Status.EXPIRED, Status.EXPIRED)
    assert stored.ended_by == dev_account(5).address
    assert [r.id for r in list_registrations(ctx.engine, status="expired", now=now)] == [ids["F"]]


# --- serving -----------------------------------------------------------------------------------


def test_filters_counts_and_pages(ctx: RegistryContext, scenario: Scenario) -> None:
    sync(ctx)
    ids = scenario.ids
    now = chain_now(ctx.client)

    def listed(**filters: Any) -> list[int]:
        return [r.id for r in list_registrations(ctx.engine, now=now, limit=1000, **filters)]

    everything = listed()
    assert everything == sorted(ids.values(), reverse=True)  # newest first
    assert listed(status="submitted") == sorted([ids["G"], ids["P"]], reverse=True)
    assert listed(status="rejected") == sorted([ids["B"], ids["C"]], reverse=True)
    assert listed(status="in_notice") == [ids["N"]]
    assert listed(status="accepted") == [ids["H"]]
    assert listed(status="cancelled") == [ids["D"]]
    assert listed(status="revoked") == [ids["E"]]
    assert listed(status="returned") == []
    holder = dev_account(1).address
    assert listed(holder=holder.lower()) == sorted([ids["A"], ids["G"], ids["P"]], reverse=True)
    assert listed(holder=holder, status="issued") == [ids["A"]]
    assert listed(kind="product") == [ids["P"]]
    assert len(listed(kind="resource")) == len(ids) - 1
    assert listed(registrar_code=REGISTRAR_CODE) == everything
    assert listed(registrar_code=OTHER_CODE) == []
    for filters in (
        {},
        {"status": "rejected"},
        {"holder": holder},
        {"kind": "product"},
        {"registrar_code": OTHER_CODE},
        {"status": "issued", "holder": dev_account(3).address},
    ):
        assert count_registrations(ctx.engine, now=now, **filters) == len(listed(**filters))
    page = list_registrations(ctx.engine, limit=3, offset=2, now=now)
    assert [r.id for r in page] == everything[2:5]
    for bad in (
        {"status": "frozen"},
        {"status": "none"},
        {"kind": "service"},
        {"holder": "0x1234"},
        {"limit": 0},
        {"limit": 1001},
        {"offset": -1},
        {"now": datetime(2030, 1, 1)},  # naive on purpose
    ):
        with pytest.raises(InputError):
            list_registrations(ctx.engine, **bad)
    with pytest.raises(InputError):
        count_registrations(ctx.engine, status="frozen")


def test_lookup_by_registration_or_certificate_number(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    sync(ctx)
    a = ctx.registrations.get(scenario.ids["A"])
    assert a.certificate_number is not None
    by_certificate = registration_by_number(ctx.engine, a.certificate_number)
    by_registration = registration_by_number(ctx.engine, a.registration_number)
    assert by_certificate is not None
    assert by_registration is not None
    assert by_certificate.id == by_registration.id == a.id
    spaced = " ".join(
        [a.certificate_number[:6], a.certificate_number[6:9], a.certificate_number[9:]]
    )
    found = registration_by_number(ctx.engine, spaced)
    assert found is not None
    assert found.id == a.id
    typo = a.registration_number[:-1] + str((int(a.registration_number[-1]) + 1) % 10)
    with pytest.raises(MalformedNumberError):
        registration_by_number(ctx.engine, typo)
    g = ctx.registrations.get(scenario.ids["G"])
    unissued = registration_by_number(ctx.engine, g.registration_number)
    assert unissued is not None
    assert unissued.certificate_number is None


def test_registrars_list_policies_and_bound_accounts(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    sync(ctx)
    listed = registrars(ctx.engine)
    assert [r.code for r in listed] == [REGISTRAR_CODE, OTHER_CODE]
    main, other = listed
    assert main.accounts == (registrar().address,)
    assert (main.active, main.objections_open_to_all, main.notice_period) == (True, True, NOTICE)
    # re-configured by its own staff; then one account was unbound and the admin retired it
    assert (other.active, other.evidence_required, other.notice_period, other.accounts) == (
        False,
        True,
        NOTICE,
        (dev_account(9).address,),
    )


# --- refusing what the contract could not have done --------------------------------------------


def _submitted_event(ctx: RegistryContext) -> tuple[ChainEvent, int]:
    address = ctx.registrations.contract_address
    logs = ctx.client.get_logs([address], ctx.manifest.deploy_block, ctx.client.head())
    for event in ctx.client.decode(logs):
        if event.name == "ApplicationSubmitted":
            return event, ctx.client.block(event.log.block_number).timestamp
    raise AssertionError("no ApplicationSubmitted")


def test_a_registration_number_that_does_not_match_its_fields_is_refused(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    event, timestamp = _submitted_event(ctx)
    record = to_record(event, timestamp=timestamp)
    assert isinstance(record, ApplicationSubmittedRecord)
    assert (
        record.registration_number
        == ctx.registrations.get(record.registration_id).registration_number
    )
    assert record.submitted_at == datetime.fromtimestamp(timestamp, tz=UTC)
    wrong = replace(
        event, args={**event.args, "registrationNumber": int(record.registration_number) + 1}
    )
    with pytest.raises(IndexerError, match="registration number"):
        to_record(wrong, timestamp=timestamp)
    # a year later the same fields would make another number
    with pytest.raises(IndexerError, match="registration number"):
        to_record(event, timestamp=timestamp + YEAR)
    with pytest.raises(IndexerError, match="timestamp of its block"):
        to_record(event)


def test_an_event_for_a_registration_the_mirror_lacks_is_refused(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    sync(ctx)
    with ctx.engine.begin() as connection:
        connection.execute(
            delete(registration_table).where(registration_table.c.id == scenario.ids["H"])
        )
    before = dump(ctx.engine)
    ctx.registrations.open_notice(scenario.ids["H"], registrar())
    with pytest.raises(IndexerError, match="does not hold"):
        sync(ctx)
    assert dump(ctx.engine) == before


def test_an_event_the_mirrored_state_forbids_is_refused(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    sync(ctx)
    with ctx.engine.begin() as connection:
        connection.execute(
            registration_table.update()
            .where(registration_table.c.id == scenario.ids["G"])
            .values(status=Status.ISSUED.value)
        )
    before = dump(ctx.engine)
    ctx.registrations.accept(scenario.ids["G"], registrar())
    with pytest.raises(IndexerError, match="ApplicationAccepted cannot happen"):
        sync(ctx)
    assert dump(ctx.engine) == before
