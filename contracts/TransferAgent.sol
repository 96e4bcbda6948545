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
    bytes2 private constant _DOMESTIC = "CN";

    /// @inheritdoc ITransferAgent
    uint48 public constant CROSS_BORDER_MAX_TERM = 1096 days;

    /// @custom:storage-location erc7201:dareg.storage.TransferAgent
    struct AgentStorage {
        ICertificateLedger ledger;
        uint256 lastPledgeId;
        bool importantNeedsApproval;
        mapping(uint256 pledgeId => Pledge record) pledges;
        mapping(uint256 tokenId => uint256 pledgeId) livePledge;
        mapping(uint256 tokenId => uint256 nonce) pledgeNonces;
        mapping(uint256 pledgeId => mapping(bytes32 consentKey => Consent consent)) consents;
        mapping(uint256 tokenId => Freeze record) freezes;
        mapping(uint256 tokenId => mapping(address to => TransferApproval approval)) approvals;
        mapping(uint256 tokenId => mapping(address recipient => CrossBorderRecord record)) crossBorder;
        mapping(address party => bytes2 country) countries;
    }

    // keccak256(abi.encode(uint256(keccak256("dareg.storage.TransferAgent")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _AGENT_STORAGE = 0xe1ac77ea8f031139830f2d90d7a77d72078e41d8cc78cd6abf7a2031278cec00;

    /// @param forwarder the registry's ERC-2771 forwarder, whose relayed calls act for their signer
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) RegistryModule(forwarder) {}

    /// @param authority_ roles, registrars and the pause
    /// @param ledger     the certificate contract whose tokens this agent moves
    function initialize(IRegistryAuthority authority_, ICertificateLedger ledger) external initializer {
        __EIP712_init("dareg.TransferAgent", "1");
        __RegistryModule_init(authority_);
        AgentStorage storage $ = _storage();
        $.ledger = ledger;
        $.importantNeedsApproval = true;
    }

    modifier onlyRegulator() {
        if (!_isRegulator(_msgSender())) revert AgentNotRegulator(_msgSender());
        _;
    }

    modifier onlyLedger() {
        if (msg.sender != address(_storage().ledger)) revert AgentUnauthorizedModule(msg.sender);
        _;
    }

    // --- transfers ----------------------------------------------------------------------

    /// @inheritdoc ITransferAgent
    function transfer(uint256 tokenId, address to, TransferReason reason, bytes32 documentHash)
        external
        whenNotPaused
    {
        if (reason != TransferReason.Sale && reason != TransferReason.Inheritance && reason != TransferReason.Merger) {
            revert AgentInvalidReason(reason);
        }
        (address holder,,) = _requireLive(tokenId);
        if (holder != _msgSender()) revert AgentNotHolder(tokenId, _msgSender());
        _requireNotFrozen(tokenId);
        uint256 pledgeId = _storage().livePledge[tokenId];
        if (pledgeId != 0) {
            _useConsent(pledgeId, tokenId, ConsentAction.Transfer, to, holder);
            _changePledgor(pledgeId, tokenId, to);
        }
        _checkRecipient(tokenId, holder, to);
        _move(tokenId, holder, to, reason, documentHash);
    }

    /// @inheritdoc ITransferAgent
    function courtOrderTransfer(uint256 tokenId, address to, bytes32 caseRef) external whenNotPaused onlyRegulator {
        (address holder,,) = _requireLive(tokenId);
        _checkRecipient(tokenId, holder, to);
        uint256 pledgeId = _storage().livePledge[tokenId];
        if (pledgeId != 0) _changePledgor(pledgeId, tokenId, to);
        _move(tokenId, holder, to, TransferReason.CourtOrder, caseRef);
    }

    // --- pledges ------------------------------------------------------------------------

    /// @inheritdoc ITransferAgent
    function registerPledge(PledgeTerms calldata terms, bytes calldata pledgorSignature, bytes calldata pledgeeSignature)
        external
        whenNotPaused
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
    function releasePledge(uint256 pledgeId) external whenNotPaused {
        Pledge storage p = _livePledgeAsPledgee(pledgeId);
        p.status = PledgeStatus.Released;
        delete _storage().livePledge[p.tokenId];
        emit PledgeReleased(pledgeId, p.tokenId, _msgSender());
    }

    /// @inheritdoc ITransferAgent
    function enforcePledge(uint256 pledgeId, address to) external whenNotPaused {
        Pledge storage p = _livePledgeAsPledgee(pledgeId);
        uint256 tokenId = p.tokenId;
        // slither-disable-next-line timestamp
        if (block.timestamp <= p.maturity) revert AgentPledgeNotMatured(pledgeId, p.maturity);
        (address holder,,) = _requireLive(tokenId);
        _requireNotFrozen(tokenId);
        _checkRecipient(tokenId, holder, to);
        p.status = PledgeStatus.Enforced;
        delete _storage().livePledge[tokenId];
        emit PledgeEnforced(pledgeId, tokenId, to, _msgSender());
        _move(tokenId, holder, to, TransferReason.PledgeEnforcement, bytes32(pledgeId));
    }

    /// @inheritdoc ITransferAgent
    function grantConsent(uint256 pledgeId, ConsentAction action, address counterparty, uint48 deadline)
        external
        whenNotPaused
    {
        Pledge storage p = _livePledgeAsPledgee(pledgeId);
        // slither-disable-next-line timestamp
        if (deadline <= block.timestamp) revert AgentConsentDeadlinePassed(deadline);
        address pledgor = p.pledgor;
        _storage().consents[pledgeId][_consentKey(action, counterparty)] =
            Consent({pledgor: pledgor, deadline: deadline});
        emit PledgeConsentGranted(pledgeId, p.tokenId, action, counterparty, pledgor, deadline, _msgSender());
    }

    /// @inheritdoc ITransferAgent
    function withdrawConsent(uint256 pledgeId, ConsentAction action, address counterparty) external whenNotPaused {
        Pledge storage p = _livePledgeAsPledgee(pledgeId);
        mapping(bytes32 => Consent) storage consents = _storage().consents[pledgeId];
        bytes32 key = _consentKey(action, counterparty);
        if (consents[key].pledgor == address(0)) revert AgentNoConsent(pledgeId, action, counterparty);
        delete consents[key];
        emit PledgeConsentWithdrawn(pledgeId, p.tokenId, action, counterparty, _msgSender());
    }

    /// @inheritdoc ITransferAgent
    function authorizeCancellation(uint256 tokenId, address holder) external whenNotPaused onlyLedger {
        _requireNotFrozen(tokenId);
        uint256 pledgeId = _storage().livePledge[tokenId];
        if (pledgeId != 0) _useConsent(pledgeId, tokenId, ConsentAction.Cancel, holder, holder);
    }

    /// @inheritdoc ITransferAgent
    function authorizeExclusiveLicence(uint256 tokenId, address licensee) external whenNotPaused {
        AgentStorage storage $ = _storage();
        if (msg.sender != $.ledger.licenceRegistry()) revert AgentUnauthorizedModule(msg.sender);
        _requireNotFrozen(tokenId);
        uint256 pledgeId = $.livePledge[tokenId];
        if (pledgeId != 0) {
            _useConsent(pledgeId, tokenId, ConsentAction.ExclusiveLicence, licensee, $.pledges[pledgeId].pledgor);
        }
    }

    /// @inheritdoc ITransferAgent
    function authorizeChange(uint256 tokenId, address holder) external whenNotPaused onlyLedger {
        _requireNotFrozen(tokenId);
        uint256 pledgeId = _storage().livePledge[tokenId];
        if (pledgeId != 0) _useConsent(pledgeId, tokenId, ConsentAction.Change, holder, holder);
    }

    /// @inheritdoc ITransferAgent
    function settleCertificateEnd(uint256 tokenId, uint8 endStatus) external whenNotPaused onlyLedger {
        AgentStorage storage $ = _storage();
        uint256 pledgeId = $.livePledge[tokenId];
        if (pledgeId == 0) return;
        $.pledges[pledgeId].status = PledgeStatus.Settled;
        delete $.livePledge[tokenId];
        emit PledgeSettled(pledgeId, tokenId, endStatus);
    }

    // --- regulators ---------------------------------------------------------------------

    /// @inheritdoc ITransferAgent
    function freeze(uint256 tokenId, bytes32 caseRef) external whenNotPaused onlyRegulator {
        AgentStorage storage $ = _storage();
        // slither-disable-next-line unused-return
        $.ledger.certificateState(tokenId); // reverts for an unknown registration
        if ($.freezes[tokenId].frozen) revert AgentFrozen(tokenId);
        $.freezes[tokenId] = Freeze({frozen: true, since: uint48(block.timestamp), by: _msgSender(), caseRef: caseRef});
        emit CertificateFrozen(tokenId, _msgSender(), caseRef);
    }

    /// @inheritdoc ITransferAgent
    function unfreeze(uint256 tokenId, bytes32 caseRef) external whenNotPaused {
        AgentStorage storage $ = _storage();
        Freeze storage f = $.freezes[tokenId];
        address sender = _msgSender();
        if (!f.frozen) revert AgentNotFrozen(tokenId);
        if (_isAdmin(sender)) {
            if (caseRef == bytes32(0)) revert AgentCaseReferenceRequired(tokenId);
        } else if (f.by != sender || !_isRegulator(sender)) {
            revert AgentNotFreezer(tokenId, sender, f.by);
        }
        delete $.freezes[tokenId];
        emit CertificateUnfrozen(tokenId, sender, caseRef);
    }

    /// @inheritdoc ITransferAgent
    function approveTransfer(uint256 tokenId, address to, uint48 expiry) external whenNotPaused onlyRegulator {
        mapping(address => TransferApproval) storage approvals = _storage().approvals[tokenId];
        address holder;
        if (expiry == 0) {
            holder = approvals[to].from;
            delete approvals[to];
        } else {
            // slither-disable-next-line timestamp
            if (expiry <= block.timestamp) revert AgentInvalidApprovalExpiry(expiry);
            (holder,,) = _requireLive(tokenId);
            approvals[to] = TransferApproval({from: holder, expiry: expiry, regulator: _msgSender()});
        }
        emit TransferApproved(tokenId, to, holder, expiry, _msgSender());
    }

    /// @inheritdoc ITransferAgent
    function recordCrossBorder(uint256 tokenId, address recipient, CrossBorderRecord calldata record)
        external
        whenNotPaused
        onlyRegulator
    {
        (address holder, IDataAssetRegistry.Classification level,) = _requireLive(tokenId);
        if (record.exporter != holder) revert AgentNotHolder(tokenId, record.exporter);
        if (recipient == address(0)) revert AgentInvalidRecipient(recipient);
        CrossBorderMechanism mechanism = record.mechanism;
        if (
            mechanism == CrossBorderMechanism.None
                || (level != IDataAssetRegistry.Classification.General && mechanism != CrossBorderMechanism.SecurityAssessment)
        ) revert AgentCrossBorderMechanismNotAllowed(tokenId, uint8(level), mechanism);
        uint48 latest = uint48(block.timestamp) + CROSS_BORDER_MAX_TERM;
        // slither-disable-next-line timestamp
        if (record.expiry <= block.timestamp || record.expiry > latest) {
            revert AgentCrossBorderExpiryInvalid(record.expiry, latest);
        }
        if (!_isCountry(record.country) || record.country == _DOMESTIC) revert AgentInvalidCountry(record.country);
        _storage().crossBorder[tokenId][recipient] = record;
        emit CrossBorderRecorded(
            tokenId,
            recipient,
            mechanism,
            record.expiry,
            record.country,
            record.approvalNumberHash,
            holder,
            _msgSender()
        );
    }

    /// @inheritdoc ITransferAgent
    function setPartyCountry(address party, bytes2 country) external whenNotPaused onlyRegulator {
        if (country != bytes2(0) && !_isCountry(country)) revert AgentInvalidCountry(country);
        _storage().countries[party] = country;
        emit PartyCountrySet(party, country, _msgSender());
    }

    /// @inheritdoc ITransferAgent
    function setImportantDataApprovalRequired(bool required) external whenNotPaused {
        if (!_isAdmin(_msgSender())) revert AgentNotAdmin(_msgSender());
        _storage().importantNeedsApproval = required;
        emit ImportantDataApprovalRequired(required, _msgSender());
    }

    // --- views --------------------------------------------------------------------------

    /// @inheritdoc ITransferAgent
    function pledge(uint256 pledgeId) external view returns (Pledge memory p) {
        p = _storage().pledges[pledgeId];
        if (p.status == PledgeStatus.Live && !_inForce(p.tokenId)) p.status = PledgeStatus.Settled;
    }

    /// @inheritdoc ITransferAgent
    function livePledgeOf(uint256 tokenId) external view returns (uint256) {
        return _effectiveLivePledge(tokenId);
    }

    /// @inheritdoc ITransferAgent
    function pledgeNonce(uint256 tokenId) external view returns (uint256) {
        return _storage().pledgeNonces[tokenId];
    }

    /// @inheritdoc ITransferAgent
    function consentOf(uint256 pledgeId, ConsentAction action, address counterparty)
        external
        view
        returns (Consent memory)
    {
        return _storage().consents[pledgeId][_consentKey(action, counterparty)];
    }

    /// @inheritdoc ITransferAgent
    function encumbrance(uint256 tokenId) external view returns (uint256, bool) {
        return (_effectiveLivePledge(tokenId), _storage().freezes[tokenId].frozen);
    }

    /// @inheritdoc ITransferAgent
    function freezeOf(uint256 tokenId) external view returns (Freeze memory) {
        return _storage().freezes[tokenId];
    }

    /// @inheritdoc ITransferAgent
    function partyCountry(address party) external view returns (bytes2) {
        return _storage().countries[party];
    }

    /// @inheritdoc ITransferAgent
    function crossBorderRecord(uint256 tokenId, address recipient) external view returns (CrossBorderRecord memory) {
        return _storage().crossBorder[tokenId][recipient];
    }

    /// @inheritdoc ITransferAgent
    function transferApproval(uint256 tokenId, address to) external view returns (TransferApproval memory) {
        return _storage().approvals[tokenId][to];
    }

    /// @inheritdoc ITransferAgent
    function transferApprovalExpiry(uint256 tokenId, address to) external view returns (uint48) {
        return _storage().approvals[tokenId][to].expiry;
    }

    /// @inheritdoc ITransferAgent
    function importantDataApprovalRequired() external view returns (bool) {
        return _storage().importantNeedsApproval;
    }

    // --- internals ----------------------------------------------------------------------

    function _storage() private pure returns (AgentStorage storage $) {
        assembly {
            $.slot := _AGENT_STORAGE
        }
    }

    function _isRegulator(address account) private view returns (bool) {
        return authority().hasRole(_REGULATOR_ROLE, account);
    }

    function _move(uint256 tokenId, address from, address to, TransferReason reason, bytes32 documentHash) private {
        emit CertificateTransferred(tokenId, from, to, reason, documentHash, _msgSender());
        _storage().ledger.moveCertificate(to, tokenId);
    }

    function _changePledgor(uint256 pledgeId, uint256 tokenId, address to) private {
        _storage().pledges[pledgeId].pledgor = to;
        emit PledgorChanged(pledgeId, tokenId, to, _msgSender());
    }

    /// @return holder, level, validUntil of an issued, unexpired certificate
    function _requireLive(uint256 tokenId) private view returns (address, IDataAssetRegistry.Classification, uint48) {
        // slither-disable-next-line unused-return
        (address holder, IDataAssetRegistry.Status status, IDataAssetRegistry.Classification level, uint48 validUntil,) =
            _storage().ledger.certificateState(tokenId);
        if (status != IDataAssetRegistry.Status.Issued) revert AgentNotIssued(tokenId, uint8(status));
        return (holder, level, validUntil);
    }

    /// @dev Whether the certificate is issued and unexpired (its effective status is Issued).
    function _inForce(uint256 tokenId) private view returns (bool) {
        // slither-disable-next-line unused-return
        (, IDataAssetRegistry.Status status,,,) = _storage().ledger.certificateState(tokenId);
        return status == IDataAssetRegistry.Status.Issued;
    }

    function _effectiveLivePledge(uint256 tokenId) private view returns (uint256 pledgeId) {
        pledgeId = _storage().livePledge[tokenId];
        if (pledgeId != 0 && !_inForce(tokenId)) pledgeId = 0;
    }

    function _requireNotFrozen(uint256 tokenId) private view {
        if (_storage().freezes[tokenId].frozen) revert AgentFrozen(tokenId);
    }

    /// @dev Fails closed: a recipient without a recorded country receives nothing; important data
    ///      spends the approval of exactly this move; a recipient abroad needs a valid record
    ///      naming `from` as the exporter.
    function _checkRecipient(uint256 tokenId, address from, address to) private {
        if (to == address(0)) revert AgentInvalidRecipient(to);
        AgentStorage storage $ = _storage();
        (, IDataAssetRegistry.Classification level,) = _requireLive(tokenId);
        bytes2 country = $.countries[to];
        if (country == bytes2(0)) revert AgentRecipientWithoutCountry(to);
        if (level == IDataAssetRegistry.Classification.Important && $.importantNeedsApproval) {
            TransferApproval storage approval = $.approvals[tokenId][to];
            // slither-disable-next-line timestamp
            if (approval.from != from || approval.expiry < block.timestamp) revert AgentApprovalRequired(tokenId, to);
            address regulator = approval.regulator;
            delete $.approvals[tokenId][to];
            emit TransferApprovalUsed(tokenId, to, from, regulator, _msgSender());
        }
        if (country != _DOMESTIC) {
            CrossBorderRecord storage record = $.crossBorder[tokenId][to];
            // slither-disable-next-line timestamp
            if (record.country != country || record.expiry < block.timestamp || record.exporter != from) {
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
        AgentStorage storage $ = _storage();
        uint256 live = $.livePledge[tokenId];
        if (live != 0) revert AgentPledgeAlreadyLive(tokenId, live);
        uint256 expected = $.pledgeNonces[tokenId];
        if (terms.nonce != expected) revert AgentBadNonce(tokenId, expected, terms.nonce);
    }

    function _recordPledge(PledgeTerms calldata terms) private returns (uint256 pledgeId) {
        AgentStorage storage $ = _storage();
        uint256 tokenId = terms.tokenId;
        ++$.pledgeNonces[tokenId];
        pledgeId = ++$.lastPledgeId;
        $.livePledge[tokenId] = pledgeId;
        Pledge storage p = $.pledges[pledgeId];
        p.tokenId = tokenId;
        p.pledgor = terms.pledgor;
        p.pledgee = terms.pledgee;
        p.securedAmount = terms.securedAmount;
        p.currency = terms.currency;
        p.registeredAt = uint48(block.timestamp);
        p.maturity = terms.maturity;
        p.status = PledgeStatus.Live;
        p.loanRef = terms.loanRef;
        emit PledgeRegistered(pledgeId, tokenId, terms.pledgee, p, _msgSender());
    }

    /// @dev The live pledge `pledgeId` of a certificate in force, called by its pledgee.
    function _livePledgeAsPledgee(uint256 pledgeId) private view returns (Pledge storage p) {
        p = _storage().pledges[pledgeId];
        if (p.status != PledgeStatus.Live || !_inForce(p.tokenId)) revert AgentPledgeNotLive(pledgeId);
        if (p.pledgee != _msgSender()) revert AgentNotPledgee(pledgeId, _msgSender());
    }

    /// @dev Spends the pledgee's consent to `action` with `counterparty`, given to `pledgor` (the
    ///      current one) and not past its deadline; else the pledge blocks the action.
    function _useConsent(uint256 pledgeId, uint256 tokenId, ConsentAction action, address counterparty, address pledgor)
        private
    {
        mapping(bytes32 => Consent) storage consents = _storage().consents[pledgeId];
        bytes32 key = _consentKey(action, counterparty);
        Consent storage consent = consents[key];
        // slither-disable-next-line timestamp
        if (consent.pledgor != pledgor || consent.deadline < block.timestamp) revert AgentPledged(tokenId, pledgeId);
        delete consents[key];
        emit PledgeConsentUsed(pledgeId, tokenId, action, counterparty, pledgor);
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

    /// @dev Two upper-case ASCII letters (ISO 3166-1 alpha-2 shape).
    function _isCountry(bytes2 code) private pure returns (bool) {
        return code[0] >= "A" && code[0] <= "Z" && code[1] >= "A" && code[1] <= "Z";
    }
}
