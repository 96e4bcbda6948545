"""What clients send: addresses (with their EIP-55 checksum when mixed-case) and signatures."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from registry.domain.inputs import InvalidValueError, as_value_error, checked_address
from registry.errors import AddressChecksumError, InputError

#: EIP-55's own example of a checksummed address.
CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def _miscased(address: str) -> str:
    """``address`` with the case of its first letter swapped: still mixed case, wrong checksum."""
    index = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    return address[:index] + address[index].swapcase() + address[index + 1 :]


def test_one_case_hex_carries_no_checksum_and_is_accepted() -> None:
    assert checked_address(CHECKSUMMED, "to") == CHECKSUMMED
    assert checked_address(CHECKSUMMED.lower(), "to") == CHECKSUMMED
    assert checked_address("0x" + CHECKSUMMED[2:].upper(), "to") == CHECKSUMMED


def test_a_mixed_case_address_with_a_wrong_checksum_is_refused() -> None:
    wrong = _miscased(CHECKSUMMED)
    assert wrong.lower() == CHECKSUMMED.lower()
    assert wrong != CHECKSUMMED
    with pytest.raises(AddressChecksumError, match="checksum") as refused:
        checked_address(wrong, "pledgee")
    assert refused.value.code == "address_checksum_mismatch"
    assert refused.value.http_status == 422
    assert "pledgee" in str(refused.value)


@pytest.mark.parametrize("text", ["0x1234", "0x" + "g" * 40, "", "0x" + "ab" * 21])
def test_what_is_no_address_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="not an Ethereum address"):
        checked_address(text, "to")


class _Party(BaseModel):
    address: str

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        return as_value_error(checked_address, value, "address")


def test_a_validator_keeps_the_code_of_the_check() -> None:
    with pytest.raises(ValidationError) as refused:
        _Party(address=_miscased(CHECKSUMMED))
    error = refused.value.errors()[0]["ctx"]["error"]
    assert isinstance(error, InvalidValueError)
    assert error.code == "address_checksum_mismatch"
