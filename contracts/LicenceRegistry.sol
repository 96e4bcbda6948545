// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RegistryModule} from "./base/RegistryModule.sol";
import {IRegistryAuthority} from "./interfaces/IRegistryAuthority.sol";
import {ILicenceRegistry} from "./interfaces/ILicenceRegistry.sol";
import {ICertificateLedger} from "./interfaces/ICertificateLedger.sol";
import {IDataAssetRegistry} from "./interfaces/IDataAssetRegistry.sol";
import {ITransferAgent} from "./interfaces/ITransferAgent.sol";
import {RegistryNumbers} from "./libraries/RegistryNumbers.sol";

/// @title LicenceRegistry
/// @notice Licences and sublicences of certificates' usage rights. See {ILicenceRegistry}.
contract LicenceRegistry is ILicenceRegistry, RegistryModule {
    /// @notice Longest sublicence chain (a direct licence has depth 1).
    uint256 public constant MAX_DEPTH = 8;
    uint8 private constant _PROCESSING_USE = 2;
    uint8 private constant _PRODUCT_OPERATION = 4;

    ICertificateLedger private _ledger;

    mapping(uint256 licenceId => Licence record) private _licences;
    mapping(uint256 tokenId => uint256[] licenceIds) private _byToken;
    mapping(uint256 tokenId => mapping(address licensee => mapping(uint8 right => uint256 licenceId))) private _latest;
    uint256 private _lastId;

    /// @param forwarder the registry's ERC-2771 forwarder, whose relayed calls act for their signer
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) RegistryModule(forwarder) {}

    /// @param authority_ roles, registrars and the pause
    /// @param ledger     the certificate contract whose rights are licensed
    function initialize(IRegistryAuthority authority_, ICertificateLedger ledger) external initializer {
        __RegistryModule_init(authority_);
        _ledger = ledger;
    }

    /// @inheritdoc ILicenceRegistry
    function grantLicence(uint256 tokenId, LicenceInput calldata input) external returns (uint256) {
        // slither-disable-next-line unused-return
        (address holder, IDataAssetRegistry.Status status,, uint48 validUntil, uint8 rights) =
            _ledger.certificateState(tokenId);
        if (status != IDataAssetRegistry.Status.Issued) revert LicenceCertificateNotIssued(tokenId, uint8(status));
        if (holder != _msgSender()) revert LicenceNotHolder(tokenId, _msgSender());
        if (input.right != _PROCESSING_USE && input.right != _PRODUCT_OPERATION) revert LicenceInvalidRight(input.right);
        if (rights & input.right == 0) revert LicenceRightNotCertified(tokenId, input.right);
        _checkInput(input, holder);
        if (input.end > validUntil) revert LicenceOutlastsCertificate(input.end, validUntil);
        ITransferAgent agent = ITransferAgent(_ledger.transferAgent());
        if (agent.freezeOf(tokenId).frozen) revert ITransferAgent.AgentFrozen(tokenId);
        _checkExclusivity(tokenId, 0, input);
        uint256 id = _record(tokenId, 0, input);
        // interaction last: the agent refuses (reverting the grant) while frozen or pledged without consent
        if (input.exclusive) agent.authorizeExclusiveLicence(tokenId, input.licensee);
        return id;
    }

    /// @inheritdoc ILicenceRegistry
    function grantSublicence(uint256 parentId, LicenceInput calldata input) external returns (uint256) {
        Licence storage parent = _existing(parentId);
        if (parent.licensee != _msgSender()) revert LicenceNotLicensee(parentId, _msgSender());
        if (!parent.sublicensable) revert LicenceNotSublicensable(parentId);
        if (parent.status != LicenceStatus.Active || !isLive(parentId)) revert LicenceParentNotActive(parentId);
        if (_depth(parentId) >= MAX_DEPTH) revert LicenceChainTooDeep(parentId);
        _checkInput(input, _msgSender());
        if (input.right != parent.right) revert LicenceExceedsParent(parentId, "right");
        if (input.purposes & ~parent.purposes != 0) revert LicenceExceedsParent(parentId, "purposes");
        if (input.territories & ~parent.territories != 0) revert LicenceExceedsParent(parentId, "territories");
        if (input.start < parent.start || input.end > parent.end) revert LicenceExceedsParent(parentId, "term");
        if (input.exclusive && !parent.exclusive) revert LicenceExceedsParent(parentId, "exclusive");
        uint256 tokenId = parent.tokenId;
        if (ITransferAgent(_ledger.transferAgent()).freezeOf(tokenId).frozen) revert ITransferAgent.AgentFrozen(tokenId);
        _checkExclusivity(tokenId, parentId, input);
        return _record(tokenId, parentId, input);
    }

    /// @inheritdoc ILicenceRegistry
    function terminate(uint256 licenceId, bytes32 reasonHash) external {
        Licence storage l = _existing(licenceId);
        if (_msgSender() != l.licensor && _msgSender() != l.licensee) revert LicenceNotParty(licenceId, _msgSender());
        if (l.status != LicenceStatus.Active) revert LicenceNotActive(licenceId);
        l.status = LicenceStatus.Terminated;
        emit LicenceTerminated(licenceId, l.tokenId, _msgSender(), reasonHash);
    }

    /// @inheritdoc ILicenceRegistry
    function settleCertificateEnd(uint256 tokenId, uint8 endStatus) external {
        if (msg.sender != address(_ledger)) revert LicenceUnauthorizedModule(msg.sender);
        emit LicencesSettled(tokenId, endStatus);
    }

    /// @inheritdoc ILicenceRegistry
    function hasLiveLicence(uint256 tokenId, address licensee, uint8 right) external view returns (bool) {
        uint256 id = _latest[tokenId][licensee][right];
        return id != 0 && isLive(id);
    }

    /// @inheritdoc ILicenceRegistry
    function licence(uint256 licenceId) external view returns (Licence memory) {
        return _existing(licenceId);
    }

    /// @inheritdoc ILicenceRegistry
    function isLive(uint256 licenceId) public view returns (bool) {
        Licence storage l = _licences[licenceId];
        if (l.status != LicenceStatus.Active) return false;
        // slither-disable-next-line timestamp
        if (block.timestamp < l.start || block.timestamp > l.end) return false;
        if (l.parentId != 0) return isLive(l.parentId);
        // slither-disable-next-line unused-return
        (, IDataAssetRegistry.Status status,,,) = _ledger.certificateState(l.tokenId);
        return status == IDataAssetRegistry.Status.Issued;
    }

    /// @inheritdoc ILicenceRegistry
    function licencesOf(uint256 tokenId) external view returns (uint256[] memory) {
        return _byToken[tokenId];
    }

    /// @inheritdoc ILicenceRegistry
    function voucherNumber(uint256 licenceId) public view returns (uint64) {
        Licence storage l = _existing(licenceId);
        return RegistryNumbers.voucherNumber(l.grantedAt, l.right, l.exclusive, licenceId);
    }

    function _record(uint256 tokenId, uint256 parentId, LicenceInput calldata input) private returns (uint256 id) {
        id = ++_lastId;
        uint48 nowTs = uint48(block.timestamp);
        Licence storage l = _licences[id];
        l.tokenId = tokenId;
        l.parentId = parentId;
        l.licensor = _msgSender();
        l.grantedAt = nowTs;
        l.start = input.start;
        l.licensee = input.licensee;
        l.end = input.end;
        l.right = input.right;
        l.exclusive = input.exclusive;
        l.sublicensable = input.sublicensable;
        l.status = LicenceStatus.Active;
        l.purposes = input.purposes;
        l.territories = input.territories;
        l.termsHash = input.termsHash;
        l.feeTermsHash = input.feeTermsHash;
        _byToken[tokenId].push(id);
        _latest[tokenId][input.licensee][input.right] = id;
        emit LicenceGranted(
            id, tokenId, input.licensee, RegistryNumbers.voucherNumber(nowTs, input.right, input.exclusive, id), l, _msgSender()
        );
    }

    function _checkInput(LicenceInput calldata input, address licensor) private view {
        if (input.licensee == address(0) || input.licensee == licensor) revert LicenceInvalidLicensee(input.licensee);
        // slither-disable-next-line timestamp
        if (input.end <= input.start || input.end <= block.timestamp) revert LicenceInvalidTerm(input.start, input.end);
        if (input.purposes == 0 || input.territories == 0) revert LicenceInvalidScope();
        if (input.termsHash == bytes32(0)) revert LicenceZeroTerms();
    }

    /// @dev Licences granted at one level (the holder's direct licences, parentId 0, or the
    ///      sublicences of one parent) of one right whose terms overlap may coexist only if neither
    ///      is exclusive. Levels need no cross-check: a sublicence stays inside its parent's term.
    function _checkExclusivity(uint256 tokenId, uint256 parentId, LicenceInput calldata input) private view {
        uint256[] storage ids = _byToken[tokenId];
        uint256 n = ids.length;
        for (uint256 i = 0; i < n; ++i) {
            Licence storage other = _licences[ids[i]];
            if (
                other.parentId == parentId && other.status == LicenceStatus.Active && other.right == input.right
                    && (other.exclusive || input.exclusive) && other.start <= input.end && input.start <= other.end
                    // slither-disable-next-line timestamp
                    && other.end >= block.timestamp
            ) revert LicenceExclusiveConflict(tokenId, ids[i]);
        }
    }

    function _depth(uint256 licenceId) private view returns (uint256 depth) {
        while (licenceId != 0) {
            ++depth;
            licenceId = _licences[licenceId].parentId;
        }
    }

    function _existing(uint256 licenceId) private view returns (Licence storage l) {
        l = _licences[licenceId];
        if (l.status == LicenceStatus.None) revert LicenceUnknown(licenceId);
    }
}
