"""The JSON text the store writes for a raw event's ``topics`` and ``args`` is exactly what
``json.dumps`` (SQLAlchemy's JSON type) wrote before the store encoded it itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from registry.domain.chain import ChainEvent, ChainLog
from registry.indexer.decode import DecodedLog, topics_json

LOG = ChainLog(
    address="0x" + "ab" * 20,
    topics=("0x" + "11" * 32, "0x" + "22" * 32),
    data="0x",
    block_number=7,
    block_hash="0x" + "33" * 32,
    tx_hash="0x" + "44" * 32,
    log_index=3,
)


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"fingerprint": b"\x01" * 32, "anchorer": "0x" + "Ab" * 20, "at": 1_700_000_000},
        {"big": 2**255, "flag": True, "none": None, "text": 'quote " and é ✓'},
        {"nested": (b"\xff", [1, (b"", "x")], {"k": b"\x00"}), "raw": bytearray(b"\x02")},
        {"negative": -(2**200), "zero": 0, "false": False, "empty": b"", "ctrl": "a\nb\x00"},
        {"fraction": 0.5, "last": b"\x00"},
    ],
)
def test_args_json_is_json_dumps_of_the_json_safe_args(args: dict[str, Any]) -> None:
    decoded = DecodedLog(log=LOG, contract="C", event=ChainEvent("C", "E", args, LOG), record=None)
    assert decoded.args_json == json.dumps(decoded.args)
    assert json.loads(decoded.args_json) == decoded.args


def test_args_json_of_an_unknown_event_is_json_null() -> None:
    assert DecodedLog(log=LOG, contract=None, event=None, record=None).args_json == "null"


@pytest.mark.parametrize("topics", [(), ("0x" + "aa" * 32,), LOG.topics, ('a"b\\c', "é")])
def test_topics_json_is_json_dumps_of_the_list(topics: tuple[str, ...]) -> None:
    assert topics_json(topics) == json.dumps(list(topics))
