"""The ABI codec's fast paths agree with eth-abi's general decoder."""

from __future__ import annotations

from eth_abi.abi import decode as abi_decode


def test_the_word_fast_path_reads_value_types_as_the_general_decoder_does() -> None:
    from eth_abi.abi import encode

    from registry.chain.abi import _normalise, _topic_value, _word_value

    cases: list[tuple[str, object]] = [
        ("address", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"),
        ("uint256", 2**255 + 7),
        ("uint48", 1_790_000_000),
        ("int256", -5),
        ("int8", -128),
        ("bool", True),
        ("bool", False),
        ("bytes32", b"\x01" * 32),
        ("bytes3", b"CNY"),
        ("bytes1", b"\xff"),
    ]
    for kind, value in cases:
        word = encode([kind], [value]).hex()
        (decoded,) = abi_decode([kind], bytes.fromhex(word))
        expected = _normalise(kind, decoded)
        assert _word_value(kind, word) == expected, kind
        if not kind.startswith("bytes") or kind == "bytes32":
            assert _topic_value(kind, "0x" + word) == expected, kind
