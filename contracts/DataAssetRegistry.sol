// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {ERC2771ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/metatx/ERC2771ContextUpgradeable.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {RegistryModule} from "./base/RegistryModule.sol";
import {IRegistryAuthority} from "./interfaces/IRegistryAuthority.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IDataAssetRegistry} from "./interfaces/IDataAssetRegistry.sol";
import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";
import {RegistryNumbers} from "./libraries/RegistryNumbers.sol";
import {ICertificateLedger} from "./interfaces/ICertificateLedger.sol";
import {ITransferAgent} from "./interfaces/ITransferAgent.sol";

/// @title DataAssetRegistry
/// @notice Registration lifecycle and ERC-721 certificates of data assets. See {IDataAssetRegistry}.
contract DataAssetRegistry is
    IDataAssetRegistry,
    ICertificateLedger,
    ERC721Upgradeable,
    EIP712Upgradeable,
    NoncesUpgradeable,
    RegistryModule
{
    bytes32 private constant _ADMIN_ROLE = 0x00;

    uint8 private constant _ALL_RIGHTS = 7;
    uint256 private constant _MAX_ID = 9_999_999; // seven digits in the certificate number
    uint16 private constant _REASON_OBJECTION_UPHELD = 1;

    bytes32 private constant _APPLICATION_TYPEHASH = keccak256(
        "Application(uint16 registrarCode,uint8 kind,uint8 rights,uint8 level,uint8 dataSource,"
        "uint8 applicantType,uint48 sourceAgreementEnd,bytes32 fingerprint,bytes32 metadataHash,"
        "uint256[] parents,address applicant,uint256 nonce,uint256 deadline)"
    );

    IEvidenceRegistry private _evidence;

    mapping(uint256 id => Registration registration) private _registrations;
    mapping(uint256 id => mapping(uint32 version => bytes32[2] content)) private _pastVersions;
    mapping(uint256 objectionId => Objection record) private _objections;
    mapping(uint256 id => mapping(address party => bool standing)) private _standing;
    uint256 private _lastId;
    uint256 private _lastObjectionId;
    uint48 private _validityPeriod;
    string private _baseTokenURI;
    address private _transferAgent;
    address private _licenceRegistry;

    /// @param forwarder the registry's ERC-2771 forwarder, whose relayed calls act for their signer
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) RegistryModule(forwarder) {}

    /// @param authority_    roles, registrars and the pause
    /// @param evidence      the EvidenceRegistry consulted when a registrar requires evidence first
    /// @param agent         the transfer agent, the only mover of certificates
    /// @param licences      the licence registry
    /// @param baseTokenURI  prefix of every tokenURI; the certificate number is appended
    function initialize(
        IRegistryAuthority authority_,
        IEvidenceRegistry evidence,
        address agent,
        address licences,
        string calldata baseTokenURI
    ) external initializer {
        if (agent == address(0) || licences == address(0)) revert LedgerModulesLocked();
        __RegistryModule_init(authority_);
        __ERC721_init("dareg Data Asset Certificate", "DAC");
        __EIP712_init("dareg.DataAssetRegistry", "1");
        _evidence = evidence;
        _baseTokenURI = baseTokenURI;
        _validityPeriod = 3 * 365 days;
        _transferAgent = agent;
        _licenceRegistry = licences;
        emit ModulesSet(agent, licences);
    }

    // --- admin --------------------------------------------------------------------------

    /// @notice Default validity of a certificate from its notice date (3 years unless changed).
    function setValidityPeriod(uint48 period) external onlyAuthorityRole(_ADMIN_ROLE) {
        if (period == 0) revert RegistryInvalidPolicy();
        _validityPeriod = period;
        emit ValidityPeriodSet(period);
    }

    /// @notice Prefix of tokenURI (the API's certificate metadata endpoint).
    function setBaseURI(string calldata baseURI) external onlyAuthorityRole(_ADMIN_ROLE) {
        _baseTokenURI = baseURI;
        emit BaseURISet(baseURI);
    }

    // --- registrant ---------------------------------------------------------------------

    /// @inheritdoc IDataAssetRegistry
    function submitApplication(ApplicationInput calldata input) external returns (uint256) {
        return _submit(input, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function submitApplicationFor(
        ApplicationInput calldata input,
        address applicant,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256) {
        // slither-disable-next-line timestamp
        if (block.timestamp > deadline) revert RegistryExpiredSignature(deadline);
        bytes32 digest = _hashTypedDataV4(_applicationHash(input, applicant, _useNonce(applicant), deadline));
        if (!SignatureChecker.isValidSignatureNow(applicant, digest, signature)) {
            revert RegistryInvalidSignature(applicant);
        }
        return _submit(input, applicant);
    }

    /// @inheritdoc IDataAssetRegistry
    function resubmit(uint256 id, bytes32 fingerprint, bytes32 metadataHash) external {
        Registration storage r = _existing(id);
        if (r.holder != _msgSender()) revert RegistryNotHolder(id, _msgSender());
        _requireStatus(r, id, Status.Returned);
        _checkContent(r.registrarCode, fingerprint, metadataHash);
        r.fingerprint = fingerprint;
        r.metadataHash = metadataHash;
        r.status = Status.Submitted;
        emit ApplicationResubmitted(id, fingerprint, metadataHash);
    }

    /// @inheritdoc IDataAssetRegistry
    function fileObjection(uint256 id, bytes32 evidenceHash) external returns (uint256 objectionId) {
        Registration storage r = _existing(id);
        _requireStatus(r, id, Status.InNotice);
        // slither-disable-next-line timestamp
        if (block.timestamp >= r.noticeEnd) revert RegistryNoticeWindowClosed(id, r.noticeEnd);
        if (evidenceHash == bytes32(0)) revert RegistryZeroHash("evidenceHash");
        if (!authority().registrarPolicy(r.registrarCode).objectionsOpenToAll && !_hasStanding(r, id, _msgSender())) {
            revert RegistryNoStanding(id, _msgSender());
        }
        objectionId = ++_lastObjectionId;
        _objections[objectionId] = Objection({
            registrationId: uint64(id),
            objector: _msgSender(),
            filedAt: uint48(block.timestamp),
            status: ObjectionStatus.Open
        });
        ++r.openObjections;
        emit ObjectionFiled(objectionId, id, _msgSender(), evidenceHash);
    }

    /// @inheritdoc IDataAssetRegistry
    function change(uint256 id, bytes32 fingerprint, bytes32 metadataHash) external {
        Registration storage r = _live(id);
        if (r.holder != _msgSender()) revert RegistryNotHolder(id, _msgSender());
        _newVersion(r, id, fingerprint, metadataHash, false);
    }

    /// @inheritdoc IDataAssetRegistry
    function cancel(uint256 id, bytes32 reasonHash) external {
        Registration storage r = _existing(id);
        if (r.holder != _msgSender()) revert RegistryNotHolder(id, _msgSender());
        _requireStatus(r, id, Status.Issued);
        r.status = Status.Cancelled;
        emit CertificateCancelled(id, _msgSender(), reasonHash);
        // interaction last: the agent refuses (reverting the cancellation) while frozen or pledged
        address agent = _transferAgent;
        if (agent != address(0)) ITransferAgent(agent).authorizeCancellation(id, _msgSender());
    }

    // --- registrar ----------------------------------------------------------------------

    /// @inheritdoc IDataAssetRegistry
    function accept(uint256 id) external {
        Registration storage r = _asRegistrar(id);
        _requireStatus(r, id, Status.Submitted);
        r.status = Status.Accepted;
        emit ApplicationAccepted(id, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function returnForCorrection(uint256 id, uint16 reasonCode, bytes32 reasonHash) external {
        Registration storage r = _asRegistrar(id);
        _requireReviewable(r, id);
        r.status = Status.Returned;
        emit ApplicationReturned(id, _msgSender(), reasonCode, reasonHash);
    }

    /// @inheritdoc IDataAssetRegistry
    function reject(uint256 id, uint16 reasonCode, bytes32 reasonHash) external {
        Registration storage r = _asRegistrar(id);
        _requireReviewable(r, id);
        r.status = Status.Rejected;
        emit ApplicationRejected(id, _msgSender(), reasonCode, reasonHash);
    }

    /// @inheritdoc IDataAssetRegistry
    function openNotice(uint256 id) external {
        Registration storage r = _asRegistrar(id);
        _requireStatus(r, id, Status.Accepted);
        uint48 start = uint48(block.timestamp);
        uint48 end = start + authority().registrarPolicy(r.registrarCode).noticePeriod;
        r.noticeStart = start;
        r.noticeEnd = end;
        r.status = Status.InNotice;
        emit NoticeOpened(id, _msgSender(), start, end);
    }

    /// @inheritdoc IDataAssetRegistry
    function grantStanding(uint256 id, address party) external {
        Registration storage r = _asRegistrar(id);
        if (r.status != Status.Accepted && r.status != Status.InNotice) revert RegistryWrongStatus(id, r.status);
        _standing[id][party] = true;
        emit StandingGranted(id, party);
    }

    /// @inheritdoc IDataAssetRegistry
    function ruleObjection(uint256 objectionId, bool upheld, bytes32 reasonHash) external {
        Objection storage o = _objections[objectionId];
        if (o.status != ObjectionStatus.Open) revert RegistryObjectionNotOpen(objectionId);
        uint256 id = o.registrationId;
        Registration storage r = _asRegistrar(id);
        o.status = upheld ? ObjectionStatus.Upheld : ObjectionStatus.Dismissed;
        --r.openObjections;
        emit ObjectionRuled(objectionId, id, upheld, reasonHash, _msgSender());
        if (upheld && r.status == Status.InNotice) {
            r.status = Status.Rejected;
            emit ApplicationRejected(id, _msgSender(), _REASON_OBJECTION_UPHELD, reasonHash);
        }
    }

    /// @inheritdoc IDataAssetRegistry
    function issue(uint256 id) external returns (uint64) {
        return _issue(id, _callerRegistrarCode());
    }

    /// @inheritdoc IDataAssetRegistry
    function issueBatch(uint256[] calldata ids) external {
        uint16 code = _callerRegistrarCode();
        uint256 n = ids.length;
        for (uint256 i = 0; i < n; ++i) {
            _issue(ids[i], code);
        }
    }

    /// @inheritdoc IDataAssetRegistry
    function correct(uint256 id, bytes32 fingerprint, bytes32 metadataHash) external {
        Registration storage r = _asRegistrar(id);
        _requireStatus(r, id, Status.Issued);
        _newVersion(r, id, fingerprint, metadataHash, true);
    }

    /// @inheritdoc IDataAssetRegistry
    function renew(uint256 id, uint48 sourceAgreementEnd) external {
        Registration storage r = _asRegistrar(id);
        _requireStatus(r, id, Status.Issued);
        _requireUnexpired(r, id);
        uint48 validUntil = _capped(r.validUntil + _validityPeriod, sourceAgreementEnd);
        if (validUntil <= r.validUntil) revert RegistrySourceAgreementEnded(id, sourceAgreementEnd);
        r.validUntil = validUntil;
        r.sourceAgreementEnd = sourceAgreementEnd;
        emit CertificateRenewed(id, validUntil, sourceAgreementEnd);
    }

    /// @inheritdoc IDataAssetRegistry
    function revoke(uint256 id, uint16 reasonCode, bytes32 reasonHash) external {
        Registration storage r = _asRegistrar(id);
        _requireStatus(r, id, Status.Issued);
        r.status = Status.Revoked;
        emit CertificateRevoked(id, _msgSender(), reasonCode, reasonHash);
    }

    // --- views --------------------------------------------------------------------------

    /// @inheritdoc IDataAssetRegistry
    function registration(uint256 id) external view override(IDataAssetRegistry, ICertificateLedger) returns (Registration memory) {
        return _existing(id);
    }

    /// @inheritdoc IDataAssetRegistry
    function statusOf(uint256 id) public view returns (Status) {
        Registration storage r = _registrations[id];
        // slither-disable-next-line timestamp
        if (r.status == Status.Issued && block.timestamp > r.validUntil) return Status.Expired;
        return r.status;
    }

    /// @inheritdoc IDataAssetRegistry
    function versionOf(uint256 id, uint32 version) external view returns (bytes32, bytes32) {
        Registration storage r = _existing(id);
        if (version == r.version) return (r.fingerprint, r.metadataHash);
        if (version == 0 || version > r.version) revert RegistryWrongStatus(id, r.status);
        bytes32[2] storage past = _pastVersions[id][version];
        return (past[0], past[1]);
    }

    /// @inheritdoc IDataAssetRegistry
    function objection(uint256 objectionId) external view returns (Objection memory) {
        return _objections[objectionId];
    }

    /// @inheritdoc IDataAssetRegistry
    function registrationNumber(uint256 id) public view returns (uint64) {
        Registration storage r = _existing(id);
        return RegistryNumbers.registrationNumber(r.submittedAt, r.dataSource, r.applicantType, id);
    }

    /// @inheritdoc IDataAssetRegistry
    function certificateNumber(uint256 id) public view returns (uint64) {
        Registration storage r = _existing(id);
        if (r.issuedAt == 0) revert RegistryWrongStatus(id, r.status);
        return RegistryNumbers.certificateNumber(r.issuedAt, r.registrarCode, id);
    }

    /// @inheritdoc IDataAssetRegistry
    function idOfRegistrationNumber(uint64 number) external view returns (uint256 id) {
        if (!RegistryNumbers.hasValidCheckDigit(number, 16)) revert RegistryInvalidNumber(number);
        id = (number / 10) % 1e9;
        // slither-disable-next-line incorrect-equality
        if (_registrations[id].status == Status.None || registrationNumber(id) != number) {
            revert RegistryInvalidNumber(number);
        }
    }

    /// @inheritdoc IDataAssetRegistry
    function idOfCertificateNumber(uint64 number) external view returns (uint256 id) {
        if (!RegistryNumbers.hasValidCheckDigit(number, 17)) revert RegistryInvalidNumber(number);
        id = (number / 10) % 1e7;
        Registration storage r = _registrations[id];
        if (r.issuedAt == 0 || RegistryNumbers.certificateNumber(r.issuedAt, r.registrarCode, id) != number) {
            revert RegistryInvalidNumber(number);
        }
    }

    /// @inheritdoc IDataAssetRegistry
    function applicationNonce(address applicant) external view returns (uint256) {
        return nonces(applicant);
    }

    /// @inheritdoc IDataAssetRegistry
    function validityPeriod() external view returns (uint48) {
        return _validityPeriod;
    }

    /// @notice `<base URI><certificate number>`: the API serves the metadata JSON whose RFC 8785
    ///         canonical SHA-256 is the registration's `metadataHash`.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return string.concat(_baseTokenURI, Strings.toString(certificateNumber(tokenId)));
    }

    /// @inheritdoc ICertificateLedger
    function certificateState(uint256 tokenId)
        external
        view
        returns (address holder, Status status, Classification level, uint48 validUntil, uint8 rights)
    {
        Registration storage r = _existing(tokenId);
        return (r.holder, statusOf(tokenId), r.level, r.validUntil, r.rights);
    }

    /// @inheritdoc ICertificateLedger
    function transferAgent() external view returns (address) {
        return _transferAgent;
    }

    /// @inheritdoc ICertificateLedger
    function licenceRegistry() external view returns (address) {
        return _licenceRegistry;
    }

    /// @inheritdoc ICertificateLedger
    function moveCertificate(address to, uint256 tokenId) external {
        _transfer(_requireOwned(tokenId), to, tokenId);
    }

    /// @inheritdoc ERC721Upgradeable
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721Upgradeable)
        returns (bool)
    {
        return interfaceId == type(IDataAssetRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    // --- internals ----------------------------------------------------------------------

    /// @dev The one override point for token movements. Certificates are minted at issuance; every
    ///      later movement must come from the transfer agent, which enforces the transfer rules
    ///      (freezes, pledges, approvals, cross-border records) first. Plain `transferFrom` and
    ///      `safeTransferFrom` therefore revert. The registration's holder follows the token.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (_ownerOf(tokenId) != address(0)) {
            if (msg.sender != _transferAgent || _transferAgent == address(0)) {
                revert LedgerTransferViaAgentOnly(tokenId, msg.sender);
            }
            _registrations[tokenId].holder = to;
        }
        return super._update(to, tokenId, auth);
    }

    function _msgSender() internal view override(ContextUpgradeable, ERC2771ContextUpgradeable) returns (address) {
        return ERC2771ContextUpgradeable._msgSender();
    }

    function _msgData() internal view override(ContextUpgradeable, ERC2771ContextUpgradeable) returns (bytes calldata) {
        return ERC2771ContextUpgradeable._msgData();
    }

    function _contextSuffixLength()
        internal
        view
        override(ContextUpgradeable, ERC2771ContextUpgradeable)
        returns (uint256)
    {
        return ERC2771ContextUpgradeable._contextSuffixLength();
    }

    function _submit(ApplicationInput calldata input, address applicant) private returns (uint256 id) {
        if (!authority().registrarPolicy(input.registrarCode).active) revert RegistryUnknownRegistrar(input.registrarCode);
        if (input.level == Classification.Core) revert RegistryCoreDataNotRegistrable();
        if (input.rights == 0 || input.rights > _ALL_RIGHTS) revert RegistryInvalidRights(input.rights);
        if (input.dataSource == 0 || input.dataSource > 4) revert RegistryInvalidCode("dataSource", input.dataSource);
        if (input.applicantType == 0 || (input.applicantType > 4 && input.applicantType != 9)) {
            revert RegistryInvalidCode("applicantType", input.applicantType);
        }
        _checkContent(input.registrarCode, input.fingerprint, input.metadataHash);
        uint256 parentCount = input.parents.length;
        if (input.kind == AssetKind.Product) {
            if (parentCount == 0) revert RegistryProductWithoutParent();
            for (uint256 i = 0; i < parentCount; ++i) {
                _requireIssuedParent(input.parents[i]);
            }
        } else if (parentCount != 0) {
            revert RegistryResourceWithParents(parentCount);
        }
        id = ++_lastId;
        if (id > _MAX_ID) revert RegistryFull(id);
        Registration storage r = _registrations[id];
        r.holder = applicant;
        r.submittedAt = uint48(block.timestamp);
        r.registrarCode = input.registrarCode;
        r.status = Status.Submitted;
        r.kind = input.kind;
        r.rights = input.rights;
        r.level = input.level;
        r.sourceAgreementEnd = input.sourceAgreementEnd;
        r.dataSource = input.dataSource;
        r.applicantType = input.applicantType;
        r.fingerprint = input.fingerprint;
        r.metadataHash = input.metadataHash;
        if (parentCount != 0) r.parents = input.parents;
        _emitSubmitted(id, r, input, applicant);
    }

    function _emitSubmitted(uint256 id, Registration storage r, ApplicationInput calldata input, address applicant)
        private
    {
        emit ApplicationSubmitted(
            id,
            applicant,
            input.registrarCode,
            RegistryNumbers.registrationNumber(r.submittedAt, input.dataSource, input.applicantType, id),
            input.kind,
            input.rights,
            input.level,
            input.dataSource,
            input.applicantType,
            input.sourceAgreementEnd,
            input.fingerprint,
            input.metadataHash,
            input.parents,
            _msgSender()
        );
    }

    function _issue(uint256 id, uint16 callerCode) private returns (uint64 number) {
        Registration storage r = _existing(id);
        if (r.registrarCode != callerCode) revert RegistryNotRegistrarOf(_msgSender(), r.registrarCode);
        _requireStatus(r, id, Status.InNotice);
        // slither-disable-next-line timestamp
        if (block.timestamp < r.noticeEnd) revert RegistryNoticeWindowOpen(id, r.noticeEnd);
        if (r.openObjections != 0) revert RegistryObjectionsOpen(id, r.openObjections);
        if (r.kind == AssetKind.Product) {
            // only products have parents (enforced at submission): resources skip a cold read
            uint256 parentCount = r.parents.length;
            for (uint256 i = 0; i < parentCount; ++i) {
                _requireIssuedParent(r.parents[i]);
            }
        }
        uint48 validUntil = _capped(r.noticeStart + _validityPeriod, r.sourceAgreementEnd);
        // slither-disable-next-line timestamp
        if (validUntil <= block.timestamp) revert RegistrySourceAgreementEnded(id, r.sourceAgreementEnd);
        uint48 nowTs = uint48(block.timestamp);
        r.status = Status.Issued;
        r.issuedAt = nowTs;
        r.validUntil = validUntil;
        r.version = 1;
        number = RegistryNumbers.certificateNumber(nowTs, callerCode, id);
        _mint(r.holder, id);
        emit CertificateIssued(id, r.holder, number, nowTs, validUntil, r.fingerprint, r.metadataHash);
    }

    function _newVersion(Registration storage r, uint256 id, bytes32 fingerprint, bytes32 metadataHash, bool correction)
        private
    {
        // A new dataset fingerprint is held to the registrar's evidence policy like the first one.
        _checkContent(fingerprint == r.fingerprint ? 0 : r.registrarCode, fingerprint, metadataHash);
        uint32 current = r.version;
        _pastVersions[id][current] = [r.fingerprint, r.metadataHash];
        r.fingerprint = fingerprint;
        r.metadataHash = metadataHash;
        r.version = current + 1;
        emit AssetChanged(id, current + 1, fingerprint, metadataHash, correction, _msgSender());
    }

    function _checkContent(uint16 registrarCode, bytes32 fingerprint, bytes32 metadataHash) private view {
        if (fingerprint == bytes32(0)) revert RegistryZeroHash("fingerprint");
        if (metadataHash == bytes32(0)) revert RegistryZeroHash("metadataHash");
        if (
            registrarCode != 0 && authority().registrarPolicy(registrarCode).evidenceRequired
                && _evidence.evidenceOf(fingerprint).anchorer == address(0)
        ) revert RegistryEvidenceNotAnchored(fingerprint);
    }

    function _requireIssuedParent(uint256 parentId) private view {
        Status status = statusOf(parentId);
        if (status != Status.Issued) revert RegistryParentNotIssued(parentId, status);
    }

    function _hasStanding(Registration storage r, uint256 id, address party) private view returns (bool) {
        if (_standing[id][party]) return true;
        uint256 n = r.parents.length;
        for (uint256 i = 0; i < n; ++i) {
            if (_registrations[r.parents[i]].holder == party) return true;
        }
        return false;
    }

    function _applicationHash(ApplicationInput calldata input, address applicant, uint256 nonce, uint256 deadline)
        private
        pure
        returns (bytes32)
    {
        return keccak256(
            bytes.concat(
                abi.encode(
                    _APPLICATION_TYPEHASH,
                    input.registrarCode,
                    uint8(input.kind),
                    input.rights,
                    uint8(input.level),
                    input.dataSource,
                    input.applicantType
                ),
                abi.encode(
                    input.sourceAgreementEnd,
                    input.fingerprint,
                    input.metadataHash,
                    keccak256(abi.encodePacked(input.parents)),
                    applicant,
                    nonce,
                    deadline
                )
            )
        );
    }

    /// @dev The code of the active registrar the caller is staff of (the authority reverts otherwise).
    function _callerRegistrarCode() private view returns (uint16) {
        return authority().activeRegistrarCodeOf(_msgSender());
    }

    function _asRegistrar(uint256 id) private view returns (Registration storage r) {
        r = _existing(id);
        if (_callerRegistrarCode() != r.registrarCode) revert RegistryNotRegistrarOf(_msgSender(), r.registrarCode);
    }

    function _existing(uint256 id) private view returns (Registration storage r) {
        r = _registrations[id];
        if (r.status == Status.None) revert RegistryUnknownRegistration(id);
    }

    function _live(uint256 id) private view returns (Registration storage r) {
        r = _existing(id);
        _requireStatus(r, id, Status.Issued);
        _requireUnexpired(r, id);
    }

    function _requireStatus(Registration storage r, uint256 id, Status expected) private view {
        if (r.status != expected) revert RegistryWrongStatus(id, r.status);
    }

    function _requireReviewable(Registration storage r, uint256 id) private view {
        if (r.status != Status.Submitted && r.status != Status.Accepted) revert RegistryWrongStatus(id, r.status);
    }

    function _requireUnexpired(Registration storage r, uint256 id) private view {
        // slither-disable-next-line timestamp
        if (block.timestamp > r.validUntil) revert RegistryExpired(id, r.validUntil);
    }

    function _capped(uint48 validUntil, uint48 sourceAgreementEnd) private pure returns (uint48) {
        return sourceAgreementEnd != 0 && sourceAgreementEnd < validUntil ? sourceAgreementEnd : validUntil;
    }
}
