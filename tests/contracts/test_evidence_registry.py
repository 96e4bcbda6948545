"""EvidenceRegistry against a real anvil."""

from __future__ import annotations

import pytest
from eth_account.messages import encode_typed_data

from registry.chain.client import ChainClient, dev_account
from registry.domain.deployment import DeploymentManifest
from registry.errors import ContractRevertError

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


def test_second_anchor_of_same_fingerprint_is_refused(
    chain: ChainClient, deployment: DeploymentManifest
) -> None:
    first, second = dev_account(0), dev_account(2)
    chain.transact("EvidenceRegistry", _addr(deployment), "anchor", [FP], first)
    with pytest.raises(ContractRevertError) as info:
        chain.transact("EvidenceRegistry", _addr(deployment), "anchor", [FP], second)
    assert info.value.error_name == "EvidenceAlreadyAnchored"
    assert info.value.args_by_name["anchorer"] == first.address


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
