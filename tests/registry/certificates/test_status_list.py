"""Bitstring Status Lists: what a credential's status entries point at, each list's value of a
standing, and the encoding, read back by a reader written here from the W3C specification
(multibase ``u``, base64url, GZIP, bit 0 the first byte's most significant bit, entry ``i`` at bit
``i * statusSize``)."""

from __future__ import annotations

import base64
import gzip
import string
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from registry import mirror
from registry.certificates.bitstring import LIST_ENTRIES, encoded_list, list_bytes
from registry.certificates.standing import Encumbrance, Lifecycle, Standing
from registry.certificates.status_list import (
    STATUS_LIST_ENTRIES,
    STATUS_LISTS,
    entry_value,
    status_entries,
)
from registry.db.models import cursor_table
from registry.errors import MirrorBusyError
from registry.indexer.follow import Indexer
from registry.mirror.snapshot import SNAPSHOT_ATTEMPTS
from tests.demo_registry import SeededDemo, seeded_demo


def _standing(lifecycle: Lifecycle, *encumbrances: Encumbrance) -> Standing:
    return Standing(
        lifecycle=lifecycle,
        encumbrances=list(encumbrances),
        as_of_block=1,
        as_of_time=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_entries_have_the_same_keys_and_point_at_the_registrars_lists() -> None:
    token_id = STATUS_LIST_ENTRIES + 19
    entries = status_entries("https://registry.example/", 440, token_id)
    assert [e["statusListCredential"] for e in entries] == [
        f"https://registry.example/api/v1/status-lists/440/{name}/1" for name in STATUS_LISTS
    ]
    assert {frozenset(e) for e in entries} == {frozenset(entries[0])}
    for entry, status_list in zip(entries, STATUS_LISTS.values(), strict=True):
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusListIndex"] == "19"
        assert entry["id"] == entry["statusListCredential"] + "#19"
        assert entry["statusPurpose"] == status_list.purpose
        assert len(entry["statusMessage"]) == 2 ** entry["statusSize"]
        assert [m["status"] for m in entry["statusMessage"]] == [
            hex(v) for v in range(2 ** entry["statusSize"])
        ]


def test_values_of_each_standing() -> None:
    clear = _standing(Lifecycle.IN_FORCE)
    assert [entry_value(clear, name) for name in STATUS_LISTS] == [0, 0, 0, 0]
    frozen_pledged = _standing(Lifecycle.IN_FORCE, Encumbrance.FROZEN, Encumbrance.PLEDGED)
    assert [entry_value(frozen_pledged, name) for name in STATUS_LISTS] == [0, 1, 0, 3]
    assert entry_value(_standing(Lifecycle.EXPIRED), "revocation") == 0
    assert entry_value(_standing(Lifecycle.EXPIRED), "lifecycle") == 1
    assert entry_value(_standing(Lifecycle.CANCELLED), "revocation") == 1
    assert entry_value(_standing(Lifecycle.REVOKED), "lifecycle") == 3
    every = _standing(Lifecycle.IN_FORCE, *Encumbrance)
    assert entry_value(every, "encumbrances") == 15
    messages = STATUS_LISTS["encumbrances"].messages
    assert messages[15] == (
        "已冻结、已质押、有异议、已独占许可 frozen, pledged, under objection, exclusively licensed"
    )


def decode(encoded: str) -> bytes:
    """The uncompressed bitstring of an ``encodedList``."""
    assert encoded.startswith("u"), "multibase base64url prefix"
    body = encoded[1:]
    assert set(body) <= set(string.ascii_letters + string.digits + "-_")  # no padding
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def entry(bits: bytes, index: int, size: int) -> int:
    """Entry ``index`` of ``size`` bits: its bits read one by one, most significant first."""
    value = 0
    for position in range(index * size, (index + 1) * size):
        value = value << 1 | (bits[position // 8] >> (7 - position % 8)) & 1
    return value


def nonzero_entries(bits: bytes, size: int) -> set[int]:
    """The indices of the entries with a bit set."""
    return {
        (byte_index * 8 + bit) // size
        for byte_index, byte in enumerate(bits)
        if byte
        for bit in range(8)
        if byte >> (7 - bit) & 1
    }


def test_an_empty_list_is_every_entry_zero() -> None:
    for size in (1, 2, 4):
        bits = decode(encoded_list([], size))
        assert len(bits) == LIST_ENTRIES * size // 8  # 16 KiB per bit of an entry
        assert not any(bits)


def test_bit_positions_follow_the_specification() -> None:
    # entry 0 is the first byte's most significant bit
    assert list_bytes([(0, 1)], 1, entries=16) == b"\x80\x00"
    assert list_bytes([(7, 1), (8, 1)], 1, entries=16) == b"\x01\x80"
    # two bits per entry: entry 1 holds bits 2 and 3, the value big-endian
    assert list_bytes([(1, 0b10)], 2, entries=8) == bytes([0b0010_0000, 0])
    assert list_bytes([(1, 0b01), (3, 0b11)], 2, entries=8) == bytes([0b0001_0011, 0])
    # four bits per entry: one nibble each, the even entry in the high nibble
    assert list_bytes([(0, 0b1001), (1, 0b0110), (3, 0b0001)], 4, entries=4) == bytes(
        [0b1001_0110, 0b0000_0001]
    )


@settings(deadline=None, max_examples=50)  # each example compresses a 16 to 128 KiB list
@given(
    size=st.sampled_from([1, 2, 4, 8]),
    data=st.data(),
)
def test_encoding_round_trips(size: int, data: st.DataObject) -> None:
    values = data.draw(
        st.dictionaries(
            st.integers(0, LIST_ENTRIES - 1), st.integers(0, (1 << size) - 1), max_size=40
        )
    )
    bits = decode(encoded_list(values.items(), size))
    assert len(bits) == LIST_ENTRIES * size // 8
    for index in {0, LIST_ENTRIES - 1, *values, *(i + 1 for i in values if i + 1 < LIST_ENTRIES)}:
        assert entry(bits, index, size) == values.get(index, 0)
    assert sum(bin(b).count("1") for b in bits) == sum(bin(v).count("1") for v in values.values())


def test_the_encoding_is_deterministic() -> None:
    values = [(5, 1), (131_071, 1)]
    assert encoded_list(values, 1) == encoded_list(list(reversed(values)), 1)


@pytest.mark.parametrize(
    ("values", "size"),
    [([(LIST_ENTRIES, 1)], 1), ([(-1, 1)], 1), ([(0, 2)], 1), ([(0, 16)], 4), ([(0, -1)], 2)],
)
def test_an_entry_outside_the_list_or_too_wide_is_refused(
    values: list[tuple[int, int]], size: int
) -> None:
    with pytest.raises(ValueError, match=r"outside|fit"):
        list_bytes(values, size)


# --- the lists of the demo registry, from the mirror ---------------------------------------

DEMO_CODES = (440, 441, 442)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededDemo]:
    with seeded_demo(tmp_path_factory.mktemp("status-lists") / "var") as seeded:
        yield seeded


def token(demo: SeededDemo, key: str) -> int:
    """The registration id (= token id) of the demo's dataset ``key``."""
    return int(demo.seeded["registrations"][key]["id"])


def assert_every_value_is_the_chains(demo: SeededDemo) -> None:
    """Every list of every demo registrar holds, for each of its certificates, the value of the
    standing the chain gives at the block the list is as of, and 0 everywhere else."""
    ctx = demo.ctx
    issued = {
        key: int(r["id"])
        for key, r in demo.seeded["registrations"].items()
        if r["certificate_number"] is not None
    }
    assert len(issued) >= 7
    seen: set[int] = set()
    for code in DEMO_CODES:
        for name, status_list in STATUS_LISTS.items():
            state = ctx.status_lists.state(code, name, 0)
            assert state.as_of_block == mirror.indexer_head(ctx.engine, ctx.manifest.chain_id)
            bits = decode(state.encoded_list)
            assert len(bits) == STATUS_LIST_ENTRIES * status_list.size // 8
            expected: dict[int, int] = {}
            for key, token_id in issued.items():
                registration = ctx.registrations.get(token_id, state.as_of_block)
                if registration.registrar_code != code:
                    continue
                on_chain = ctx.verification.standing_of(registration, state.as_of_block)
                assert state.standings[token_id] == on_chain, key
                expected[token_id] = entry_value(on_chain, name)
                seen.add(token_id)
            assert set(state.standings) == set(expected)
            for token_id, value in expected.items():
                assert entry(bits, token_id % STATUS_LIST_ENTRIES, status_list.size) == value
            # and every other entry is 0
            assert nonzero_entries(bits, status_list.size) == {
                token_id % STATUS_LIST_ENTRIES for token_id, value in expected.items() if value
            }
    assert seen == set(issued.values())


@pytest.mark.slow
def test_every_list_value_is_the_standing_the_chain_gives_at_the_same_block(
    demo: SeededDemo,
) -> None:
    assert_every_value_is_the_chains(demo)


#: Encumbrance flags of the ``encumbrances`` list (its entry is their sum).
FROZEN, PLEDGED, OBJECTED, EXCLUSIVE = 1, 2, 4, 8


@pytest.mark.slow
def test_the_demo_certificates_have_the_values_their_story_gives(demo: SeededDemo) -> None:
    ctx = demo.ctx

    def values(key: str) -> dict[str, int]:
        token_id = token(demo, key)
        code = ctx.registrations.get(token_id).registrar_code
        out = {}
        for name, status_list in STATUS_LISTS.items():
            state = ctx.status_lists.state(code, name, token_id // STATUS_LIST_ENTRIES)
            bits = decode(state.encoded_list)
            out[name] = entry(bits, token_id % STATUS_LIST_ENTRIES, status_list.size)
            assert out[name] == state.value(token_id)
        return out

    lists = ("revocation", "suspension", "lifecycle", "encumbrances")

    def expect(*row: int) -> dict[str, int]:
        return dict(zip(lists, row, strict=True))

    # frozen by a court (and sold before: no pledge, no exclusive licence)
    assert values("port") == expect(0, 1, 0, FROZEN)
    # a live loan against it
    assert values("vessels") == expect(0, 0, 0, PLEDGED)
    # cancelled by its holder, revoked by its registrar
    assert values("drugs") == expect(1, 0, 2, 0)
    assert values("typhoon") == expect(1, 0, 3, 0)
    # an exclusive product-operation licence is live
    assert values("index") == expect(0, 0, 0, EXCLUSIVE)
    # expired (its source agreement ended): neither revoked nor encumbered
    weather = ctx.registrations.get(token(demo, "weather"))
    assert weather.valid_until is not None
    assert weather.valid_until < ctx.status_lists.state(442, "lifecycle", 0).as_of_time
    assert values("weather") == expect(0, 0, 1, 0)
    # an unaffected certificate: 0 everywhere
    assert values("arcades") == expect(0, 0, 0, 0)
    # the objected application has no certificate: its token id is 0 in every list (an
    # objection can only be filed during a notice, before issue, so no certificate in force is
    # ever under objection on this chain)
    clinic = token(demo, "clinic")
    assert demo.seeded["registrations"]["clinic"]["certificate_number"] is None
    assert ctx.registrations.get(clinic).open_objections == 1
    assert values("clinic") == expect(0, 0, 0, 0)


def test_a_mirror_moving_during_every_read_answers_busy_not_500(demo: SeededDemo) -> None:
    """The indexer commits between the two looks at the cursor on every attempt: 503
    ``mirror_busy`` (try again), never a mixed read and never a 500."""
    ctx = demo.ctx
    chain_id = ctx.manifest.chain_id
    with ctx.engine.connect() as connection:
        before = connection.execute(
            select(cursor_table.c.last_block_hash).where(cursor_table.c.chain_id == chain_id)
        ).scalar_one()
    moves = 0

    def indexer_moves(number: int, block_hash: str) -> datetime:
        nonlocal moves
        moves += 1
        with ctx.engine.begin() as connection:
            connection.execute(
                update(cursor_table)
                .where(cursor_table.c.chain_id == chain_id)
                .values(last_block_hash="0x" + f"{moves:064x}")
            )
        return datetime.now(tz=UTC)

    try:
        with pytest.raises(MirrorBusyError) as raised:
            mirror.standings_at_head(ctx.engine, chain_id, 440, 0, 100, indexer_moves)
    finally:
        with ctx.engine.begin() as connection:
            connection.execute(
                update(cursor_table)
                .where(cursor_table.c.chain_id == chain_id)
                .values(last_block_hash=before)
            )
    assert raised.value.status == 503
    assert raised.value.code == "mirror_busy"
    assert moves == SNAPSHOT_ATTEMPTS


@pytest.mark.slow
def test_expiry_is_judged_at_the_indexed_heads_time(demo: SeededDemo) -> None:
    """Last in this module: it moves the demo's clock. The pledged vessel-call certificate
    expires in a block with no registry event (the mirror stores no header of it): the lists
    judge expiry at that block's time, and a pledge ends with its certificate in force."""
    ctx = demo.ctx
    vessels = ctx.registrations.get(token(demo, "vessels"))
    assert vessels.valid_until is not None
    moment = int(vessels.valid_until.timestamp()) + 1
    ctx.client.rpc("evm_setNextBlockTimestamp", [moment])
    ctx.client.rpc("evm_mine")
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()
    head = mirror.indexer_head(ctx.engine, ctx.manifest.chain_id)
    assert head == ctx.client.head()
    assert mirror.block_time(ctx.engine, ctx.manifest.chain_id, head) != datetime.fromtimestamp(
        moment, tz=UTC
    )  # the last mirrored header is older than the head
    state = ctx.status_lists.state(vessels.registrar_code, "lifecycle", 0)
    assert state.as_of_block == head
    assert state.as_of_time == datetime.fromtimestamp(moment, tz=UTC)
    assert state.value(vessels.id) == 1  # expired
    encumbrances = ctx.status_lists.state(vessels.registrar_code, "encumbrances", 0)
    assert encumbrances.value(vessels.id) == 0  # the pledge is no longer live
    assert_every_value_is_the_chains(demo)
