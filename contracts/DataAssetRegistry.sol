// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {ERC2771ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/metatx/ERC2771ContextUpgradeable.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {RegistryModule} from "./base/RegistryModule.sol";
import {IRegistryAuthority} from "./interfaces/IRegistryAuthority.sol";
import {IDataAssetRegistry} from "./interfaces/IDataAssetRegistry.sol";
import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";
import {IERC5192} from "./interfaces/IERC5192.sol";
import {ICertificateLedger} from "./interfaces/ICertificateLedger.sol";
import {ITransferAgent} from "./interfaces/ITransferAgent.sol";
import {ILicenceRegistry} from "./interfaces/ILicenceRegistry.sol";
import {DataAssetRegistryStorage} from "./libraries/RegistryStorage.sol";
import {RegistryViews} from "./libraries/RegistryViews.sol";
import {RegistryRules} from "./libraries/RegistryRules.sol";
import {ApplicationIntake} from "./libraries/ApplicationIntake.sol";
import {ApplicationReview} from "./libraries/ApplicationReview.sol";
import {CertificateLifecycle} from "./libraries/CertificateLifecycle.sol";

/// @title DataAssetRegistry
/// @notice Registration lifecycle and ERC-721 certificates of data assets. See {IDataAssetRegistry}.
/// @dev State lives in one ERC-7201 namespace ({DataAssetRegistryStorage}); most code lives in
///      linked libraries ({ApplicationIntake}, {ApplicationReview}, {CertificateLifecycle}) that
///      run on that storage by DELEGATECALL, so events still come from this contract's address.
/// @custom:oz-upgrades-unsafe-allow external-library-linking
contract DataAssetRegistry is
    IDataAssetRegistry,
    ICertificateLedger,
    IERC5192,
    IERC4906,
    ERC721Upgradeable,
    EIP712Upgradeable,
    NoncesUpgradeable,
    RegistryModule,
    DataAssetRegistryStorage
{
    using RegistryRules for Registration;

    bytes32 private constant _ADMIN_ROLE = 0x00;

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
        __ERC721_init("dareg Data Asset Certificate", "DAC");
        __EIP712_init("dareg.DataAssetRegistry", "1");
        __RegistryModule_init(authority_);
        Layout storage $ = _storage();
        $.evidence = evidence;
        $.baseTokenURI = baseTokenURI;
        $.validityPeriod = 3 * 365 days;
        $.renewalWindow = 90 days;
        $.transferAgent = agent;
        $.licenceRegistry = licences;
        emit ModulesSet(agent, licences);
    }

    // --- admin --------------------------------------------------------------------------

    /// @notice Default validity of a certificate from its notice date (3 years unless changed).
    function setValidityPeriod(uint48 period) external whenNotPaused onlyAuthorityRole(_ADMIN_ROLE) {
        if (period == 0) revert RegistryInvalidPolicy();
        _storage().validityPeriod = period;
        emit ValidityPeriodSet(period, _msgSender());
    }

    /// @notice How long before its expiry a certificate may be renewed (90 days unless changed).
    function setRenewalWindow(uint48 window) external whenNotPaused onlyAuthorityRole(_ADMIN_ROLE) {
        if (window == 0) revert RegistryInvalidPolicy();
        _storage().renewalWindow = window;
        emit RenewalWindowSet(window, _msgSender());
    }

    /// @notice Prefix of tokenURI (the API's certificate metadata endpoint).
    function setBaseURI(string calldata baseURI) external whenNotPaused onlyAuthorityRole(_ADMIN_ROLE) {
        _storage().baseTokenURI = baseURI;
        emit BaseURISet(baseURI, _msgSender());
        emit BatchMetadataUpdate(1, type(uint256).max);
    }

    // --- registrant ---------------------------------------------------------------------

    /// @inheritdoc IDataAssetRegistry
    function submitApplication(ApplicationInput calldata input) external whenNotPaused returns (uint256) {
        address sender = _msgSender();
        return ApplicationIntake.submit(_storage(), authority(), input, sender, sender);
    }

    /// @inheritdoc IDataAssetRegistry
    function submitApplicationFor(
        ApplicationInput calldata input,
        address applicant,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused returns (uint256) {
        ApplicationIntake.verifySignature(input, applicant, _useNonce(applicant), deadline, _domainSeparatorV4(), signature);
        return ApplicationIntake.submit(_storage(), authority(), input, applicant, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function resubmit(uint256 id, bytes32 fingerprint, bytes32 metadataHash) external whenNotPaused {
        ApplicationIntake.resubmit(_storage(), authority(), id, fingerprint, metadataHash, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function fileObjection(uint256 id, bytes32 evidenceHash) external whenNotPaused returns (uint256) {
        return ApplicationReview.fileObjection(_storage(), authority(), id, evidenceHash, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function change(uint256 id, bytes32 fingerprint, bytes32 metadataHash) external whenNotPaused {
        CertificateLifecycle.newVersion(_storage(), authority(), id, fingerprint, metadataHash, false, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function cancel(uint256 id, bytes32 reasonHash) external whenNotPaused {
        address sender = _msgSender();
        Layout storage $ = _storage();
        CertificateLifecycle.cancel($, id, reasonHash, sender);
        _burnEnded(id);
        // interactions last: the agent refuses (reverting the cancellation) while frozen, and
        // spends the pledgee's consent while pledged; then the pledge and licences are settled
        ITransferAgent($.transferAgent).authorizeCancellation(id, sender);
        _settle($, id, Status.Cancelled);
    }

    // --- registrar ----------------------------------------------------------------------

    /// @inheritdoc IDataAssetRegistry
    function accept(uint256 id) external whenNotPaused {
        ApplicationReview.accept(_storage(), authority(), id, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function returnForCorrection(uint256 id, uint16 reasonCode, bytes32 reasonHash) external whenNotPaused {
        ApplicationReview.decide(_storage(), authority(), id, false, reasonCode, reasonHash, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function reject(uint256 id, uint16 reasonCode, bytes32 reasonHash) external whenNotPaused {
        ApplicationReview.decide(_storage(), authority(), id, true, reasonCode, reasonHash, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function openNotice(uint256 id) external whenNotPaused {
        ApplicationReview.openNotice(_storage(), authority(), id, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function grantStanding(uint256 id, address party) external whenNotPaused {
        ApplicationReview.grantStanding(_storage(), authority(), id, party, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function ruleObjection(uint256 objectionId, bool upheld, bytes32 reasonHash) external whenNotPaused {
        ApplicationReview.ruleObjection(_storage(), authority(), objectionId, upheld, reasonHash, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function issue(uint256 id) external whenNotPaused returns (uint64 number) {
        address holder;
        (holder, number) = CertificateLifecycle.issueOne(_storage(), authority(), id, _msgSender());
        _mint(holder, id);
        emit Locked(id);
    }

    /// @inheritdoc IDataAssetRegistry
    function issueBatch(uint256[] calldata ids) external whenNotPaused {
        address[] memory holders = CertificateLifecycle.issue(_storage(), authority(), ids, _msgSender());
        uint256 n = ids.length;
        for (uint256 i = 0; i < n; ++i) {
            _mint(holders[i], ids[i]);
            emit Locked(ids[i]);
        }
    }

    /// @inheritdoc IDataAssetRegistry
    function correct(uint256 id, bytes32 fingerprint, bytes32 metadataHash) external whenNotPaused {
        CertificateLifecycle.newVersion(_storage(), authority(), id, fingerprint, metadataHash, true, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function renew(uint256 id, uint48 sourceAgreementEnd) external whenNotPaused {
        CertificateLifecycle.renew(_storage(), authority(), id, sourceAgreementEnd, _msgSender());
    }

    /// @inheritdoc IDataAssetRegistry
    function revoke(uint256 id, uint16 reasonCode, bytes32 reasonHash) external whenNotPaused {
        _revoke(id, reasonCode, reasonHash, bytes32(0));
    }

    /// @inheritdoc IDataAssetRegistry
    function revokeEncumbered(uint256 id, uint16 reasonCode, bytes32 reasonHash, bytes32 rulingHash)
        external
        whenNotPaused
    {
        if (rulingHash == bytes32(0)) revert RegistryZeroRuling();
        _revoke(id, reasonCode, reasonHash, rulingHash);
    }

    // --- anyone -------------------------------------------------------------------------

    /// @inheritdoc IDataAssetRegistry
    function closeExpired(uint256 id) external whenNotPaused {
        CertificateLifecycle.closeExpired(_storage(), id, _msgSender());
        _burnEnded(id);
        _settle(_storage(), id, Status.Expired);
    }

    // --- views --------------------------------------------------------------------------

    /// @inheritdoc IDataAssetRegistry
    /// @dev `status` is the effective status (Expired once the validity ended).
    function registration(uint256 id)
        external
        view
        override(IDataAssetRegistry, ICertificateLedger)
        returns (Registration memory)
    {
        return RegistryViews.registration(_storage(), id);
    }

    /// @inheritdoc IDataAssetRegistry
    function statusOf(uint256 id) public view returns (Status) {
        return _storage().registrations[id].effectiveStatus();
    }

    /// @inheritdoc IDataAssetRegistry
    function versionOf(uint256 id, uint32 version) external view returns (bytes32, bytes32) {
        return RegistryViews.versionOf(_storage(), id, version);
    }

    /// @inheritdoc IDataAssetRegistry
    function objection(uint256 objectionId) external view returns (Objection memory) {
        return _storage().objections[objectionId];
    }

    /// @inheritdoc IDataAssetRegistry
    function registrationNumber(uint256 id) external view returns (uint64) {
        return RegistryViews.registrationNumber(_storage(), id);
    }

    /// @inheritdoc IDataAssetRegistry
    function certificateNumber(uint256 id) public view returns (uint64) {
        return RegistryViews.certificateNumber(_storage(), id);
    }

    /// @inheritdoc IDataAssetRegistry
    function idOfRegistrationNumber(uint64 number) external view returns (uint256) {
        return RegistryViews.idOfRegistrationNumber(_storage(), number);
    }

    /// @inheritdoc IDataAssetRegistry
    function idOfCertificateNumber(uint64 number) external view returns (uint256) {
        return RegistryViews.idOfCertificateNumber(_storage(), number);
    }

    /// @inheritdoc IDataAssetRegistry
    function applicationNonce(address applicant) external view returns (uint256) {
        return nonces(applicant);
    }

    /// @inheritdoc IDataAssetRegistry
    function validityPeriod() external view returns (uint48) {
        return _storage().validityPeriod;
    }

    /// @inheritdoc IDataAssetRegistry
    function renewalWindow() external view returns (uint48) {
        return _storage().renewalWindow;
    }

    /// @inheritdoc IDataAssetRegistry
    function liveRegistrationOf(bytes32 fingerprint) external view returns (uint256 id) {
        Layout storage $ = _storage();
        id = $.liveByFingerprint[fingerprint];
        if (id == RegistryRules.FINGERPRINT_RESERVED || (id != 0 && !$.registrations[id].isLive())) id = 0;
    }

    /// @notice `<base URI><certificate number>`: the API serves the metadata JSON whose RFC 8785
    ///         canonical SHA-256 is the registration's `metadataHash`. Ended certificates are
    ///         burned, so their tokenURI reverts.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return string.concat(_storage().baseTokenURI, Strings.toString(certificateNumber(tokenId)));
    }

    /// @inheritdoc IERC5192
    /// @dev Every certificate is locked: only the transfer agent moves it, after its checks.
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @inheritdoc ICertificateLedger
    function certificateState(uint256 tokenId)
        external
        view
        returns (address holder, Status status, Classification level, uint48 validUntil, uint8 rights)
    {
        Registration storage r = RegistryRules.existing(_storage(), tokenId);
        return (r.holder, r.effectiveStatus(), r.level, r.validUntil, r.rights);
    }

    /// @inheritdoc ICertificateLedger
    function transferAgent() external view returns (address) {
        return _storage().transferAgent;
    }

    /// @inheritdoc ICertificateLedger
    function licenceRegistry() external view returns (address) {
        return _storage().licenceRegistry;
    }

    /// @inheritdoc ICertificateLedger
    function moveCertificate(address to, uint256 tokenId) external whenNotPaused {
        if (msg.sender != _storage().transferAgent) revert LedgerTransferViaAgentOnly(tokenId, msg.sender);
        _transfer(_requireOwned(tokenId), to, tokenId);
        emit MetadataUpdate(tokenId);
    }

    /// @notice Refused: certificates move only through the transfer agent (EIP-6093 error).
    function approve(address, uint256) public view override(ERC721Upgradeable, IERC721) {
        revert ERC721InvalidApprover(_msgSender());
    }

    /// @notice Refused: certificates move only through the transfer agent (EIP-6093 error).
    function setApprovalForAll(address operator, bool) public pure override(ERC721Upgradeable, IERC721) {
        revert ERC721InvalidOperator(operator);
    }

    /// @inheritdoc ERC721Upgradeable
    function supportsInterface(bytes4 interfaceId) public view override(ERC721Upgradeable, IERC165) returns (bool) {
        return interfaceId == type(IDataAssetRegistry).interfaceId || interfaceId == type(IERC5192).interfaceId
            || interfaceId == bytes4(0x49064906) || super.supportsInterface(interfaceId);
    }

    // --- internals ----------------------------------------------------------------------

    /// @dev The one override point for token movements. Certificates are minted at issuance and
    ///      burned at their end; every other movement comes from the transfer agent
    ///      ({moveCertificate}, no `auth`), which enforces the transfer rules first. A plain
    ///      `transferFrom`/`safeTransferFrom` (with `auth`) reverts with the standard
    ///      `ERC721InsufficientApproval`. The registration's holder follows the token.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (auth != address(0)) revert ERC721InsufficientApproval(auth, tokenId);
        address from = super._update(to, tokenId, address(0));
        if (from != address(0) && to != address(0)) _storage().registrations[tokenId].holder = to;
        return from;
    }

    function _revoke(uint256 id, uint16 reasonCode, bytes32 reasonHash, bytes32 rulingHash) private {
        CertificateLifecycle.revoke(_storage(), authority(), id, reasonCode, reasonHash, rulingHash, _msgSender());
        _burnEnded(id);
        _settle(_storage(), id, Status.Revoked);
    }

    function _burnEnded(uint256 id) private {
        _burn(id);
        emit MetadataUpdate(id);
    }

    /// @dev Settle the live pledge and licences of a certificate that ended with `endStatus`
    ///      (`$` is read before any external call: nothing is written after them).
    function _settle(Layout storage $, uint256 id, Status endStatus) private {
        ITransferAgent($.transferAgent).settleCertificateEnd(id, uint8(endStatus));
        ILicenceRegistry($.licenceRegistry).settleCertificateEnd(id, uint8(endStatus));
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
}
