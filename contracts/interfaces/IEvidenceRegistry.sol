// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IEvidenceRegistry
/// @notice Evidence anchoring (存证): a dataset fingerprint is recorded with each party that
///         anchored it (each at most once) and the time. The first anchor stays the public
///         "first anchored" record ({evidenceOf}); {anchoredBy} answers for any one party, so a
///         stranger anchoring a holder's fingerprint first neither locks the holder out nor
///         stands in for the holder's own anchor. The fingerprint is computed off chain with the versioned
///         algorithm in docs/fingerprint.md; the contract only stores and dates it.
/// @dev Every fact an indexer needs is in the {EvidenceAnchored} event; no follow-up call is needed.
interface IEvidenceRegistry {
    /// @notice One anchored fingerprint.
    /// @param anchorer   the party that vouches for the data (signer of a delegated anchor, or the sender)
    /// @param anchoredAt block timestamp of anchoring, in seconds
    /// @param blockNumber block in which it was anchored
    struct Evidence {
        address anchorer;
        uint48 anchoredAt;
        uint48 blockNumber;
    }

    /// @notice A fingerprint was anchored.
    /// @param fingerprint the dataset fingerprint (Merkle root, docs/fingerprint.md)
    /// @param anchorer    the party on whose behalf it was anchored
    /// @param relayer     the acting account (ERC-2771 signer of a relayed call, else the sender):
    ///                    equal to `anchorer` unless anchored with {anchorFor}
    /// @param anchoredAt  block timestamp
    event EvidenceAnchored(
        bytes32 indexed fingerprint, address indexed anchorer, address relayer, uint48 anchoredAt
    );

    /// @notice `anchorer` anchored the fingerprint before (at `anchoredAt`); a record is never overwritten.
    error EvidenceAlreadyAnchored(bytes32 fingerprint, address anchorer, uint48 anchoredAt);

    /// @notice The zero value is not a fingerprint.
    error EvidenceZeroFingerprint();

    /// @notice The zero address cannot anchor.
    error EvidenceInvalidAnchorer(address anchorer);

    /// @notice A delegated anchor arrived after its deadline.
    error EvidenceExpiredSignature(uint256 deadline, uint256 nowTimestamp);

    /// @notice A delegated anchor's signature does not come from `anchorer` (or uses a spent nonce).
    error EvidenceInvalidSignature(address anchorer);

    /// @notice Anchor `fingerprint` with the sender (the signer of a relayed ERC-2771 request) as anchorer.
    function anchor(bytes32 fingerprint) external;

    /// @notice Anchor `fingerprint` on behalf of `anchorer`, who signed the EIP-712 message
    ///         `Anchor(bytes32 fingerprint,address anchorer,uint256 nonce,uint256 deadline)`.
    ///         Lets registrants anchor without holding gas; the nonce stops replay.
    function anchorFor(bytes32 fingerprint, address anchorer, uint256 deadline, bytes calldata signature)
        external;

    /// @notice The first anchor of `fingerprint`; `anchorer` is zero when it was never anchored.
    function evidenceOf(bytes32 fingerprint) external view returns (Evidence memory);

    /// @notice How many distinct parties anchored `fingerprint`.
    function anchorCountOf(bytes32 fingerprint) external view returns (uint256);

    /// @notice The next nonce `anchorer` must sign for {anchorFor}.
    function anchorNonce(address anchorer) external view returns (uint256);

    /// @notice When `anchorer` anchored `fingerprint` (0: it did not).
    function anchoredBy(bytes32 fingerprint, address anchorer) external view returns (uint48);
}
