// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {RegistryModule} from "./base/RegistryModule.sol";
import {IRegistryAuthority} from "./interfaces/IRegistryAuthority.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ITransferAgent} from "./interfaces/ITransferAgent.sol";
import {IDataAssetRegistry} from "./interfaces/IDataAssetRegistry.sol";
import {ICertificateLedger} from "./interfaces/ICertificateLedger.sol";

/// @title TransferAgent
/// @notice Transfers, pledges, freezes, approvals and cross-border records. See {ITransferAgent}.
contract TransferAgent is ITransferAgent, EIP712Upgradeable, RegistryModule {
    bytes32 private constant _PLEDGE_TYPEHASH = keccak256(
        "Pledge(uint256 tokenId,address pledgor,address pledgee,uint128 securedAmount,bytes3 currency,"
        "bytes32 loanRef,uint48 maturity,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _REGULATOR_ROLE = keccak256("REGULATOR_ROLE");
    bytes32 private constant _ADMIN_ROLE = 0x00;
    bytes2 private constant _DOMESTIC = "CN";

    ICertificateLedger private _ledger;

    mapping(uint256 pledgeId => Pledge record) private _pledges;
    mapping(uint256 tokenId => uint256 pledgeId) private _livePledge;
    mapping(uint256 tokenId => uint256 nonce) private _pledgeNonces;
    mapping(uint256 pledgeId => mapping(bytes32 consentKey => bool granted)) private _consents;
    mapping(uint256 tokenId => Freeze record) private _freezes;
    mapping(uint256 tokenId => mapping(address to => uint48 expiry)) private _approvals;
    mapping(uint256 tokenId => mapping(address recipient => CrossBorderRecord record)) private _crossBorder;
    mapping(address party => bytes2 country) private _countries;
    uint256 private _lastPledgeId;
    bool private _importantNeedsApproval;

    /// @param forwarder the registry's ERC-2771 forwarder, whose relayed calls act for their signer
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) RegistryModule(forwarder) {}

    /// @param authority_ roles, registrars and the pause
    /// @param ledger     the certificate contract whose tokens this agent moves
    function initialize(IRegistryAuthority authority_, ICertificateLedger ledger) external initializer {
        __RegistryModule_init(authority_);
        __EIP712_init("dareg.TransferAgent", "1");
        _ledger = ledger;
        _importantNeedsApproval = true;
    }

    modifier onlyRegulator() {
        if (!authority().hasRole(_REGULATOR_ROLE, _msgSender())) revert AgentNotRegulator(_msgSender());
        _;
    }

    // --- transfers ----------------------------------------------------------------------

    /// @inheritdoc ITransferAgent
    function transfer(uint256 tokenId, address to, TransferReason reason, bytes32 documentHash) external {
        if (reason != TransferReason.Sale && reason != TransferReason.Inheritance && reason != TransferReason.Merger) {
            revert AgentInvalidReason(reason);
        }
        (address holder,,) = _requireLive(tokenId);
        if (holder != _msgSender()) revert AgentNotHolder(tokenId, _msgSender());
        _requireNotFrozen(tokenId);
        uint256 pledgeId = _livePledge[tokenId];
        if (pledgeId != 0) {
            _useConsent(pledgeId, tokenId, ConsentAction.Transfer, to);
            _pledges[pledgeId].pledgor = to;
            emit PledgorChanged(pledgeId, tokenId, to);
        }
        _checkRecipient(tokenId, to);
        _move(tokenId, holder, to, reason, documentHash);
    }

    /// @inheritdoc ITransferAgent
    function courtOrderTransfer(uint256 tokenId, address to, bytes32 caseRef) external onlyRegulator {
        (address holder,,) = _requireLive(tokenId);
        _checkRecipient(tokenId, to);
        uint256 pledgeId = _livePledge[tokenId];
        if (pledgeId != 0) {
            _pledges[pledgeId].pledgor = to;
            emit PledgorChanged(pledgeId, tokenId, to);
        }
        _move(tokenId, holder, to, TransferReason.CourtOrder, caseRef);
    }

    // --- pledges ------------------------------------------------------------------------

    /// @inheritdoc ITransferAgent
    function registerPledge(PledgeTerms calldata terms, bytes calldata pledgorSignature, bytes calldata pledgeeSignature)
        external
        returns (uint256)
    {
        _checkPledgeTerms(terms);
        bytes32 digest = _hashTypedDataV4(_pledgeHash(terms));
        if (!SignatureChecker.isValidSignatureNow(terms.pledgor, digest, pledgorSignature)) {
            revert AgentInvalidSignature(terms.pledgor);
        }
        if (!SignatureChecker.isValidSignatureNow(terms.pledgee, digest, pledgeeSignature)) {
            revert AgentInvalidSignature(terms.pledgee);
        }
        return _recordPledge(terms);
    }

    /// @inheritdoc ITransferAgent
    function releasePledge(uint256 pledgeId) external {
        Pledge storage p = _livePledgeAsPledgee(pledgeId);
        p.status = PledgeStatus.Released;
        delete _livePledge[p.tokenId];
        emit PledgeReleased(pledgeId, p.tokenId, _msgSender());
    }

    /// @inheritdoc ITransferAgent
    function enforcePledge(uint256 pledgeId, address to) external {
        Pledge storage p = _livePledgeAsPledgee(pledgeId);
        uint256 tokenId = p.tokenId;
        // slither-disable-next-line timestamp
        if (block.timestamp <= p.maturity) revert AgentPledgeNotMatured(pledgeId, p.maturity);
        (address holder,,) = _requireLive(tokenId);
        _requireNotFrozen(tokenId);
        _checkRecipient(tokenId, to);
        p.status = PledgeStatus.Enforced;
        delete _livePledge[tokenId];
        emit PledgeEnforced(pledgeId, tokenId, to, _msgSender());
        _move(tokenId, holder, to, TransferReason.PledgeEnforcement, bytes32(pledgeId));
    }

    /// @inheritdoc ITransferAgent
    function grantConsent(uint256 pledgeId, ConsentAction action, address counterparty) external {
        Pledge storage p = _livePledgeAsPledgee(pledgeId);
        _consents[pledgeId][_consentKey(action, counterparty)] = true;
        emit PledgeConsentGranted(pledgeId, p.tokenId, action, counterparty);
    }

    /// @inheritdoc ITransferAgent
    function authorizeCancellation(uint256 tokenId, address holder) external {
        if (msg.sender != address(_ledger)) revert AgentUnauthorizedModule(msg.sender);
        _requireNotFrozen(tokenId);
        uint256 pledgeId = _livePledge[tokenId];
        if (pledgeId != 0) _useConsent(pledgeId, tokenId, ConsentAction.Cancel, holder);
    }

    /// @inheritdoc ITransferAgent
    function authorizeExclusiveLicence(uint256 tokenId, address licensee) external {
        if (msg.sender != _ledger.licenceRegistry()) revert AgentUnauthorizedModule(msg.sender);
        _requireNotFrozen(tokenId);
        uint256 pledgeId = _livePledge[tokenId];
        if (pledgeId != 0) _useConsent(pledgeId, tokenId, ConsentAction.ExclusiveLicence, licensee);
    }

    /// @inheritdoc ITransferAgent
    function authorizeChange(uint256 tokenId, address holder) external {
        if (msg.sender != address(_ledger)) revert AgentUnauthorizedModule(msg.sender);
        _requireNotFrozen(tokenId);
        uint256 pledgeId = _livePledge[tokenId];
        if (pledgeId != 0) _useConsent(pledgeId, tokenId, ConsentAction.Change, holder);
    }

    /// @inheritdoc ITransferAgent
    function settleCertificateEnd(uint256 tokenId, uint8 endStatus) external {
        if (msg.sender != address(_ledger)) revert AgentUnauthorizedModule(msg.sender);
        uint256 pledgeId = _livePledge[tokenId];
        if (pledgeId == 0) return;
        _pledges[pledgeId].status = PledgeStatus.Settled;
        delete _livePledge[tokenId];
        emit PledgeSettled(pledgeId, tokenId, endStatus);
    }

    // --- regulators ---------------------------------------------------------------------

    /// @inheritdoc ITransferAgent
    function freeze(uint256 tokenId, bytes32 caseRef) external onlyRegulator {
        // slither-disable-next-line unused-return
        _ledger.certificateState(tokenId); // reverts for an unknown registration
        if (_freezes[tokenId].frozen) revert AgentFrozen(tokenId);
        _freezes[tokenId] = Freeze({frozen: true, since: uint48(block.timestamp), by: _msgSender(), caseRef: caseRef});
        emit CertificateFrozen(tokenId, _msgSender(), caseRef);
    }

    /// @inheritdoc ITransferAgent
    function unfreeze(uint256 tokenId, bytes32 caseRef) external onlyRegulator {
        if (!_freezes[tokenId].frozen) revert AgentNotFrozen(tokenId);
        delete _freezes[tokenId];
        emit CertificateUnfrozen(tokenId, _msgSender(), caseRef);
    }

    /// @inheritdoc ITransferAgent
    function approveTransfer(uint256 tokenId, address to, uint48 expiry) external onlyRegulator {
        _approvals[tokenId][to] = expiry;
        emit TransferApproved(tokenId, to, expiry, _msgSender());
    }

    /// @inheritdoc ITransferAgent
    function recordCrossBorder(uint256 tokenId, address recipient, CrossBorderRecord calldata record)
        external
        onlyRegulator
    {
        if (record.mechanism == CrossBorderMechanism.None || record.country == bytes2(0)) {
            revert AgentInvalidCrossBorder();
        }
        _crossBorder[tokenId][recipient] = record;
        emit CrossBorderRecorded(
            tokenId, recipient, record.mechanism, record.expiry, record.country, record.approvalNumberHash, _msgSender()
        );
    }

    /// @inheritdoc ITransferAgent
    function setPartyCountry(address party, bytes2 country) external onlyRegulator {
        _countries[party] = country;
        emit PartyCountrySet(party, country, _msgSender());
    }

    /// @inheritdoc ITransferAgent
    function setImportantDataApprovalRequired(bool required) external {
        if (!_isAdmin(_msgSender())) revert AgentNotRegulator(_msgSender());
        _importantNeedsApproval = required;
        emit ImportantDataApprovalRequired(required);
    }

    // --- views --------------------------------------------------------------------------

    /// @inheritdoc ITransferAgent
    function pledge(uint256 pledgeId) external view returns (Pledge memory) {
        return _pledges[pledgeId];
    }

    /// @inheritdoc ITransferAgent
    function livePledgeOf(uint256 tokenId) external view returns (uint256) {
        return _livePledge[tokenId];
    }

    /// @inheritdoc ITransferAgent
    function pledgeNonce(uint256 tokenId) external view returns (uint256) {
        return _pledgeNonces[tokenId];
    }

    /// @inheritdoc ITransferAgent
    function encumbrance(uint256 tokenId) external view returns (uint256, bool) {
        return (_livePledge[tokenId], _freezes[tokenId].frozen);
    }

    /// @inheritdoc ITransferAgent
    function freezeOf(uint256 tokenId) external view returns (Freeze memory) {
        return _freezes[tokenId];
    }

    /// @inheritdoc ITransferAgent
    function partyCountry(address party) public view returns (bytes2) {
        bytes2 country = _countries[party];
        return country == bytes2(0) ? _DOMESTIC : country;
    }

    /// @inheritdoc ITransferAgent
    function crossBorderRecord(uint256 tokenId, address recipient) external view returns (CrossBorderRecord memory) {
        return _crossBorder[tokenId][recipient];
    }

    /// @inheritdoc ITransferAgent
    function transferApprovalExpiry(uint256 tokenId, address to) external view returns (uint48) {
        return _approvals[tokenId][to];
    }

    /// @inheritdoc ITransferAgent
    function importantDataApprovalRequired() external view returns (bool) {
        return _importantNeedsApproval;
    }

    // --- internals ----------------------------------------------------------------------

    function _move(uint256 tokenId, address from, address to, TransferReason reason, bytes32 documentHash) private {
        emit CertificateTransferred(tokenId, from, to, reason, documentHash);
        _ledger.moveCertificate(to, tokenId);
    }

    /// @return holder, level, validUntil of an issued, unexpired certificate
    function _requireLive(uint256 tokenId) private view returns (address, IDataAssetRegistry.Classification, uint48) {
        // slither-disable-next-line unused-return
        (address holder, IDataAssetRegistry.Status status, IDataAssetRegistry.Classification level, uint48 validUntil,) =
            _ledger.certificateState(tokenId);
        if (status != IDataAssetRegistry.Status.Issued) revert AgentNotIssued(tokenId, uint8(status));
        return (holder, level, validUntil);
    }

    function _requireNotFrozen(uint256 tokenId) private view {
        if (_freezes[tokenId].frozen) revert AgentFrozen(tokenId);
    }

    function _checkRecipient(uint256 tokenId, address to) private view {
        if (to == address(0)) revert AgentInvalidRecipient(to);
        (, IDataAssetRegistry.Classification level,) = _requireLive(tokenId);
        // slither-disable-next-line timestamp
        if (
            level == IDataAssetRegistry.Classification.Important && _importantNeedsApproval
                && _approvals[tokenId][to] < block.timestamp
        ) revert AgentApprovalRequired(tokenId, to);
        bytes2 country = partyCountry(to);
        if (country != _DOMESTIC) {
            CrossBorderRecord storage record = _crossBorder[tokenId][to];
            // slither-disable-next-line timestamp
            if (record.country != country || record.expiry < block.timestamp) {
                revert AgentCrossBorderRecordRequired(tokenId, to, country);
            }
        }
    }

    function _checkPledgeTerms(PledgeTerms calldata terms) private view {
        // slither-disable-next-line timestamp
        if (block.timestamp > terms.deadline) revert AgentExpiredSignature(terms.deadline);
        uint256 tokenId = terms.tokenId;
        (address holder,, uint48 validUntil) = _requireLive(tokenId);
        if (holder != terms.pledgor) revert AgentNotHolder(tokenId, terms.pledgor);
        _requireNotFrozen(tokenId);
        if (terms.pledgee == address(0) || terms.pledgee == terms.pledgor) revert AgentInvalidPledgeTerms("pledgee");
        if (terms.securedAmount == 0) revert AgentInvalidPledgeTerms("securedAmount");
        if (!_isCurrency(terms.currency)) revert AgentInvalidPledgeTerms("currency");
        // slither-disable-next-line timestamp
        if (terms.maturity <= block.timestamp) revert AgentPledgeMaturityPassed(terms.maturity);
        // enforcement comes after maturity and needs an unexpired certificate: leave it a window
        if (terms.maturity >= validUntil) revert AgentPledgeOutlastsCertificate(terms.maturity, validUntil);
        uint256 live = _livePledge[tokenId];
        if (live != 0) revert AgentPledgeAlreadyLive(tokenId, live);
        uint256 expected = _pledgeNonces[tokenId];
        if (terms.nonce != expected) revert AgentBadNonce(tokenId, expected, terms.nonce);
    }

    function _recordPledge(PledgeTerms calldata terms) private returns (uint256 pledgeId) {
        uint256 tokenId = terms.tokenId;
        ++_pledgeNonces[tokenId];
        pledgeId = ++_lastPledgeId;
        _livePledge[tokenId] = pledgeId;
        _pledges[pledgeId] = Pledge({
            tokenId: tokenId,
            pledgor: terms.pledgor,
            pledgee: terms.pledgee,
            securedAmount: terms.securedAmount,
            currency: terms.currency,
            registeredAt: uint48(block.timestamp),
            maturity: terms.maturity,
            status: PledgeStatus.Live,
            loanRef: terms.loanRef
        });
        emit PledgeRegistered(pledgeId, tokenId, terms.pledgee, _pledges[pledgeId], _msgSender());
    }

    function _livePledgeAsPledgee(uint256 pledgeId) private view returns (Pledge storage p) {
        p = _pledges[pledgeId];
        if (p.status != PledgeStatus.Live) revert AgentPledgeNotLive(pledgeId);
        if (p.pledgee != _msgSender()) revert AgentNotPledgee(pledgeId, _msgSender());
    }

    function _useConsent(uint256 pledgeId, uint256 tokenId, ConsentAction action, address counterparty) private {
        bytes32 key = _consentKey(action, counterparty);
        if (!_consents[pledgeId][key]) revert AgentPledged(tokenId, pledgeId);
        delete _consents[pledgeId][key];
        emit PledgeConsentUsed(pledgeId, tokenId, action, counterparty);
    }

    function _consentKey(ConsentAction action, address counterparty) private pure returns (bytes32) {
        return keccak256(abi.encode(action, counterparty));
    }

    function _pledgeHash(PledgeTerms calldata t) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                _PLEDGE_TYPEHASH,
                t.tokenId,
                t.pledgor,
                t.pledgee,
                t.securedAmount,
                t.currency,
                t.loanRef,
                t.maturity,
                t.nonce,
                t.deadline
            )
        );
    }

    /// @dev Three upper-case ASCII letters (ISO 4217 shape).
    function _isCurrency(bytes3 code) private pure returns (bool) {
        for (uint256 i = 0; i < 3; ++i) {
            bytes1 c = code[i];
            if (c < "A" || c > "Z") return false;
        }
        return true;
    }
}
