"""EvidenceRegistry against a real anvil."""

from __future__ import annotations

import pytest
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from registry.chain.client import ChainClient, dev_account
from registry.domain.chain import ContractCall
from registry.domain.deployment import DeploymentManifest
from registry.errors import ContractRevertError
from registry.relay.service import RelayService
from tests.conftest import admin

FP = bytes.fromhex("ab" * 32)


def _addr(deployment: DeploymentManifest) -> str:
    return deployment.address_of("EvidenceRegistry")


def test_anchor_records_sender_time_and_block(
    chain: ChainClient, deployment: DeploymentManifest
) -> None:
    holder = dev_account(1)
    chain.rpc("anvil_setBalance", [holder.address, hex(10**18)])
    receipt = chain.transact("EvidenceRegistry", _addr(deployment), "anchor", [FP], holder)
    (event,) = receipt.events
    assert event.name == "EvidenceAnchored"
    assert event.args["fingerprint"] == "0x" + FP.hex()
    assert event.args["anchorer"] == holder.address
    assert event.args["relayer"] == holder.address
    block = chain.block(receipt.block_number)
    assert event.args["anchoredAt"] == block.timestamp
    record = chain.call("EvidenceRegistry", _addr(deployment), "evidenceOf", [FP])
    assert tuple(record) == (holder.address, block.timestamp, receipt.block_number)


def test_second_anchor_of_same_fingerprint_by_the_same_account_is_refused(
    chain: ChainClient, deployment: DeploymentManifest
) -> None:
    """v2: each account anchors a fingerprint at most once (another account may anchor it too,
    see the defect 6a test)."""
    first = dev_account(0)
    receipt = chain.transact("EvidenceRegistry", _addr(deployment), "anchor", [FP], first)
    with pytest.raises(ContractRevertError) as info:
        chain.transact("EvidenceRegistry", _addr(deployment), "anchor", [FP], first)
    assert info.value.error_name == "EvidenceAlreadyAnchored"
    assert info.value.args_by_name["anchorer"] == first.address
    assert info.value.args_by_name["anchoredAt"] == chain.block(receipt.block_number).timestamp


def test_defect_6a_a_stranger_anchoring_first_does_not_lock_the_holder_out(
    chain: ChainClient, deployment: DeploymentManifest
) -> None:
    """Defect 6a: a stranger anchored a holder's fingerprint first and the holder's own anchor
    was refused (EvidenceAlreadyAnchored), so the only anchor on record was the stranger's. Now
    every account anchors it once; the first anchor stays the public record and
    ``anchoredBy`` answers per account."""
    fp = bytes.fromhex("6a" * 32)
    stranger, holder = dev_account(5), dev_account(1)
    for account in (stranger, holder):
        chain.rpc("anvil_setBalance", [account.address, hex(10**18)])
    first = chain.transact("EvidenceRegistry", _addr(deployment), "anchor", [fp], stranger)
    assert (
        chain.call("EvidenceRegistry", _addr(deployment), "anchoredBy", [fp, holder.address]) == 0
    )
    second = chain.transact("EvidenceRegistry", _addr(deployment), "anchor", [fp], holder)
    (event,) = second.events
    assert event.args["anchorer"] == holder.address
    first_at = chain.block(first.block_number).timestamp
    second_at = chain.block(second.block_number).timestamp
    record = chain.call("EvidenceRegistry", _addr(deployment), "evidenceOf", [fp])
    assert tuple(record) == (stranger.address, first_at, first.block_number)
    by = {
        a.address: chain.call("EvidenceRegistry", _addr(deployment), "anchoredBy", [fp, a.address])
        for a in (stranger, holder, dev_account(6))
    }
    assert by == {stranger.address: first_at, holder.address: second_at, dev_account(6).address: 0}
    assert chain.call("EvidenceRegistry", _addr(deployment), "anchorCountOf", [fp]) == 2


def test_anchoring_stops_while_paused(chain: ChainClient, deployment: DeploymentManifest) -> None:
    """v2: anchoring is a state change, refused while the authority is paused; reads work."""
    authority = deployment.address_of("RegistryAuthority")
    pauser = dev_account(21)
    chain.rpc("anvil_setBalance", [pauser.address, hex(10**18)])
    chain.transact(
        "RegistryAuthority",
        authority,
        "grantRole",
        [keccak(text="PAUSER_ROLE"), pauser.address],
        admin(),
    )
    chain.transact("RegistryAuthority", authority, "pause", [], pauser)
    try:
        with pytest.raises(ContractRevertError) as info:
            chain.transact(
                "EvidenceRegistry", _addr(deployment), "anchor", [FP[::-1]], dev_account(0)
            )
        assert info.value.error_name == "EnforcedPause"
        assert chain.call("EvidenceRegistry", _addr(deployment), "anchorCountOf", [FP[::-1]]) == 0
    finally:
        chain.transact("RegistryAuthority", authority, "unpause", [], pauser)


def test_zero_fingerprint_is_refused(chain: ChainClient, deployment: DeploymentManifest) -> None:
    with pytest.raises(ContractRevertError) as info:
        chain.transact("EvidenceRegistry", _addr(deployment), "anchor", [bytes(32)], dev_account(0))
    assert info.value.error_name == "EvidenceZeroFingerprint"


def _sign_anchor(
    chain: ChainClient,
    deployment: DeploymentManifest,
    signer_index: int,
    fp: bytes,
    deadline: int,
    nonce: int | None = None,
) -> bytes:
    signer = dev_account(signer_index)
    if nonce is None:
        nonce = chain.call("EvidenceRegistry", _addr(deployment), "anchorNonce", [signer.address])
    typed = {
        "domain": {
            "name": "dareg.EvidenceRegistry",
            "version": "1",
            "chainId": chain.chain_id(),
            "verifyingContract": _addr(deployment),
        },
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Anchor": [
                {"name": "fingerprint", "type": "bytes32"},
                {"name": "anchorer", "type": "address"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Anchor",
        "message": {
            "fingerprint": fp,
            "anchorer": signer.address,
            "nonce": nonce,
            "deadline": deadline,
        },
    }
    return bytes(signer.sign_message(encode_typed_data(full_message=typed)).signature)


def test_delegated_anchor_credits_the_signer_not_the_relayer(
    chain: ChainClient, deployment: DeploymentManifest
) -> None:
    registrant, relayer = dev_account(3), dev_account(0)
    deadline = chain.block().timestamp + 600
    sig = _sign_anchor(chain, deployment, 3, FP, deadline)
    receipt = chain.transact(
        "EvidenceRegistry",
        _addr(deployment),
        "anchorFor",
        [FP, registrant.address, deadline, sig],
        relayer,
    )
    (event,) = receipt.events
    assert event.args["anchorer"] == registrant.address
    assert event.args["relayer"] == relayer.address


def test_delegated_anchor_replay_and_expiry_and_forgery_are_refused(
    chain: ChainClient, deployment: DeploymentManifest
) -> None:
    registrant, relayer = dev_account(3), dev_account(0)
    addr = _addr(deployment)
    deadline = chain.block().timestamp + 600
    sig = _sign_anchor(chain, deployment, 3, FP, deadline)
    chain.transact(
        "EvidenceRegistry", addr, "anchorFor", [FP, registrant.address, deadline, sig], relayer
    )
    other = bytes.fromhex("cd" * 32)
    # replay of the spent nonce for another fingerprint: the signature no longer matches
    with pytest.raises(ContractRevertError) as replay:
        chain.transact(
            "EvidenceRegistry",
            addr,
            "anchorFor",
            [other, registrant.address, deadline, sig],
            relayer,
        )
    assert replay.value.error_name == "EvidenceInvalidSignature"
    # signed by someone else
    forged = _sign_anchor(chain, deployment, 4, other, deadline, nonce=1)
    with pytest.raises(ContractRevertError) as forgery:
        chain.transact(
            "EvidenceRegistry",
            addr,
            "anchorFor",
            [other, registrant.address, deadline, forged],
            relayer,
        )
    assert forgery.value.error_name == "EvidenceInvalidSignature"
    # expired
    past = chain.block().timestamp - 1
    expired = _sign_anchor(chain, deployment, 3, other, past)
    with pytest.raises(ContractRevertError) as late:
        chain.transact(
            "EvidenceRegistry",
            addr,
            "anchorFor",
            [other, registrant.address, past, expired],
            relayer,
        )
    assert late.value.error_name == "EvidenceExpiredSignature"


def test_deployed_code_is_below_the_eip170_limit(
    chain: ChainClient, deployment: DeploymentManifest
) -> None:
    from registry.artifacts import DEPLOYED_CONTRACTS, load_artifact
    from registry.settings import Settings

    for name in DEPLOYED_CONTRACTS:
        size = len(load_artifact(Settings().artifacts_dir, name).deployed_bytecode)
        assert 0 < size < 24_576, f"{name} runtime code is {size} bytes"


def test_a_relayed_anchor_credits_its_signer(
    chain: ChainClient, deployment: DeploymentManifest
) -> None:
    """v2: ``anchor`` reads the ERC-2771 sender, so an anchor relayed through the registry's
    forwarder is the signer's own (it used to credit the relayer, msg.sender)."""
    fp = bytes.fromhex("2771" * 16)
    signer, relayer = dev_account(8), dev_account(0)
    receipt = RelayService(chain, deployment).relay(
        ContractCall("EvidenceRegistry", "anchor", (fp,)), signer, relayer
    )
    (event,) = [e for e in receipt.events if e.name == "EvidenceAnchored"]
    assert event.args["anchorer"] == signer.address
    assert event.args["relayer"] == signer.address
    assert chain.call("EvidenceRegistry", _addr(deployment), "anchoredBy", [fp, signer.address])
    assert (
        chain.call("EvidenceRegistry", _addr(deployment), "anchoredBy", [fp, relayer.address]) == 0
    )
