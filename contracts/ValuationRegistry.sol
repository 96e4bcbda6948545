// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RegistryModule} from "./base/RegistryModule.sol";
import {IRegistryAuthority} from "./interfaces/IRegistryAuthority.sol";
import {IValuationRegistry} from "./interfaces/IValuationRegistry.sol";
import {ICertificateLedger} from "./interfaces/ICertificateLedger.sol";
import {IDataAssetRegistry} from "./interfaces/IDataAssetRegistry.sol";

/// @title ValuationRegistry
/// @notice Appraisers' valuations of certificates and holders' accounting classes. See {IValuationRegistry}.
contract ValuationRegistry is IValuationRegistry, RegistryModule {
    /// @notice Longest report URI, in bytes.
    uint256 public constant MAX_REPORT_URI_LENGTH = 512;
    bytes32 private constant _REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    /// @dev One slot: the class and the holder who chose it (a choice lapses with a transfer).
    struct AccountingChoice {
        address holder;
        AccountingClass accountingClass;
    }

    /// @custom:storage-location erc7201:dareg.storage.ValuationRegistry
    struct ValuationStorage {
        ICertificateLedger ledger;
        mapping(address account => Appraiser record) appraisers;
        mapping(uint256 valuationId => Valuation record) valuations;
        mapping(uint256 tokenId => uint256[] valuationIds) byToken;
        mapping(uint256 tokenId => AccountingChoice choice) accounting;
        uint256 lastId;
    }

    // keccak256(abi.encode(uint256(keccak256("dareg.storage.ValuationRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _VALUATION_STORAGE = 0x98f848890f066c94639998136bb11f2e2006d5e2e4e4c85280a56dc69256df00;

    /// @param forwarder the registry's ERC-2771 forwarder, whose relayed calls act for their signer
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) RegistryModule(forwarder) {}

    /// @param authority_ roles, registrars and the pause
    /// @param ledger     the certificate contract: certificates' state and versions
    function initialize(IRegistryAuthority authority_, ICertificateLedger ledger) external initializer {
        __RegistryModule_init(authority_);
        _storage().ledger = ledger;
    }

    // --- accreditation ------------------------------------------------------------------

    /// @inheritdoc IValuationRegistry
    function accreditAppraiser(address account, bytes32 accreditationHash) external whenNotPaused {
        _onlyAdminOrRegulator();
        if (account == address(0)) revert ValuationInvalidInput("appraiser");
        if (accreditationHash == bytes32(0)) revert ValuationInvalidInput("accreditationHash");
        Appraiser storage a = _storage().appraisers[account];
        if (a.accredited) revert ValuationAppraiserAlreadyAccredited(account);
        a.accredited = true;
        a.accreditedAt = uint48(block.timestamp);
        a.removedAt = 0;
        a.accreditationHash = accreditationHash;
        emit AppraiserAccredited(account, accreditationHash, _msgSender());
    }

    /// @inheritdoc IValuationRegistry
    function removeAppraiser(address account, bytes32 reasonHash) external whenNotPaused {
        _onlyAdminOrRegulator();
        Appraiser storage a = _storage().appraisers[account];
        if (!a.accredited) revert ValuationAppraiserNotAccredited(account);
        a.accredited = false;
        a.removedAt = uint48(block.timestamp);
        emit AppraiserRemoved(account, reasonHash, _msgSender());
    }

    // --- valuations ---------------------------------------------------------------------

    /// @inheritdoc IValuationRegistry
    function submitValuation(uint256 tokenId, ValuationInput calldata input) external whenNotPaused returns (uint256 id) {
        ValuationStorage storage $ = _storage();
        address sender = _msgSender();
        if (!$.appraisers[sender].accredited) revert ValuationNotAppraiser(sender);
        _checkInput(input);
        // slither-disable-next-line unused-return
        (, IDataAssetRegistry.Status status,,,) = $.ledger.certificateState(tokenId);
        if (status != IDataAssetRegistry.Status.Issued) revert ValuationCertificateNotIssued(tokenId, uint8(status));
        uint32 current = $.ledger.registration(tokenId).version;
        if (input.assetVersion == 0 || input.assetVersion > current) {
            revert ValuationUnknownVersion(tokenId, input.assetVersion, current);
        }
        id = ++$.lastId;
        Valuation storage v = $.valuations[id];
        // token ids are registration ids, at most 9,999,999 (the certificate contract caps them)
        v.tokenId = uint64(tokenId);
        v.appraiser = sender;
        v.assetVersion = input.assetVersion;
        v.value = input.value;
        v.submittedAt = uint48(block.timestamp);
        v.baseDate = input.baseDate;
        v.currency = input.currency;
        v.method = input.method;
        v.valueType = input.valueType;
        v.purpose = input.purpose;
        v.status = ValuationStatus.Active;
        v.reportHash = input.reportHash;
        v.factsHash = input.factsHash;
        $.byToken[tokenId].push(id);
        emit ValuationSubmitted(id, tokenId, sender, v, input.reportURI);
    }

    /// @inheritdoc IValuationRegistry
    function withdrawValuation(uint256 valuationId, bytes32 reasonHash) external whenNotPaused {
        Valuation storage v = _existing(valuationId);
        if (v.appraiser != _msgSender()) revert ValuationNotOwnAppraisal(valuationId, _msgSender());
        if (v.status != ValuationStatus.Active) revert ValuationNotActive(valuationId);
        v.status = ValuationStatus.Withdrawn;
        v.withdrawnAt = uint48(block.timestamp);
        emit ValuationWithdrawn(valuationId, v.tokenId, v.appraiser, reasonHash);
    }

    // --- accounting class ---------------------------------------------------------------

    /// @inheritdoc IValuationRegistry
    function setAccountingClass(uint256 tokenId, AccountingClass accountingClass) external whenNotPaused {
        // slither-disable-next-line unused-return
        (address holder, IDataAssetRegistry.Status status,,,) = _storage().ledger.certificateState(tokenId);
        if (status != IDataAssetRegistry.Status.Issued) revert ValuationCertificateNotIssued(tokenId, uint8(status));
        if (holder != _msgSender()) revert ValuationNotHolder(tokenId, _msgSender());
        if (accountingClass == AccountingClass.None) revert ValuationInvalidInput("accountingClass");
        _storage().accounting[tokenId] = AccountingChoice(holder, accountingClass);
        emit AccountingClassSet(tokenId, accountingClass, holder);
    }

    // --- views --------------------------------------------------------------------------

    /// @inheritdoc IValuationRegistry
    function valuation(uint256 valuationId) external view returns (Valuation memory) {
        return _existing(valuationId);
    }

    /// @inheritdoc IValuationRegistry
    function valuationsOf(uint256 tokenId) external view returns (uint256[] memory) {
        return _storage().byToken[tokenId];
    }

    /// @inheritdoc IValuationRegistry
    function latestValuationOf(uint256 tokenId) external view returns (uint256) {
        uint256[] storage ids = _storage().byToken[tokenId];
        for (uint256 i = ids.length; i > 0; --i) {
            uint256 id = ids[i - 1];
            // a listed valuation is Active or Withdrawn
            if (_storage().valuations[id].status != ValuationStatus.Withdrawn) return id;
        }
        return 0;
    }

    /// @inheritdoc IValuationRegistry
    function appraiser(address account) external view returns (Appraiser memory) {
        return _storage().appraisers[account];
    }

    /// @inheritdoc IValuationRegistry
    function isAppraiser(address account) external view returns (bool) {
        return _storage().appraisers[account].accredited;
    }

    /// @inheritdoc IValuationRegistry
    function accountingClassOf(uint256 tokenId) external view returns (AccountingClass) {
        AccountingChoice storage choice = _storage().accounting[tokenId];
        if (choice.accountingClass == AccountingClass.None) return AccountingClass.None;
        // slither-disable-next-line unused-return
        (address holder,,,,) = _storage().ledger.certificateState(tokenId);
        return holder == choice.holder ? choice.accountingClass : AccountingClass.None;
    }

    // --- internals ----------------------------------------------------------------------

    function _onlyAdminOrRegulator() private view {
        address sender = _msgSender();
        if (!_isAdmin(sender) && !authority().hasRole(_REGULATOR_ROLE, sender)) {
            revert ValuationNotAuthorized(sender);
        }
    }

    function _checkInput(ValuationInput calldata input) private view {
        if (input.method == Method.None) revert ValuationInvalidInput("method");
        if (input.value == 0) revert ValuationInvalidInput("value");
        if (!_isCurrencyCode(input.currency)) revert ValuationInvalidInput("currency");
        if (input.valueType == ValueType.None) revert ValuationInvalidInput("valueType");
        if (input.baseDate == 0) revert ValuationInvalidInput("baseDate");
        // slither-disable-next-line timestamp
        if (input.baseDate > block.timestamp) {
            revert ValuationBaseDateInFuture(input.baseDate, uint48(block.timestamp));
        }
        if (input.purpose == Purpose.None) revert ValuationInvalidInput("purpose");
        if (input.reportHash == bytes32(0)) revert ValuationInvalidInput("reportHash");
        if (!_isUriText(bytes(input.reportURI))) revert ValuationInvalidInput("reportURI");
    }

    /// @dev At most MAX_REPORT_URI_LENGTH bytes of visible ASCII (0x21-0x7e): a URI (RFC 3986)
    ///      percent-encodes everything else, and readers of the event (indexers, databases that
    ///      refuse NUL or malformed UTF-8) must never choke on it.
    ///      One calldata byte per step without bounds checks (about 30 gas a byte, against
    ///      about 200 with indexed access).
    function _isUriText(bytes calldata uri) private pure returns (bool ok) {
        uint256 n = uri.length;
        if (n > MAX_REPORT_URI_LENGTH) return false;
        ok = true;
        assembly ("memory-safe") {
            let start := uri.offset
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let c := byte(0, calldataload(add(start, i)))
                if or(lt(c, 0x21), gt(c, 0x7e)) {
                    ok := 0
                    break
                }
            }
        }
    }

    /// @dev Three upper-case ASCII letters (the shape of an ISO 4217 alphabetic code).
    function _isCurrencyCode(bytes3 code) private pure returns (bool) {
        for (uint256 i = 0; i < 3; ++i) {
            if (code[i] < "A" || code[i] > "Z") return false;
        }
        return true;
    }

    function _storage() private pure returns (ValuationStorage storage $) {
        assembly {
            $.slot := _VALUATION_STORAGE
        }
    }

    function _existing(uint256 valuationId) private view returns (Valuation storage v) {
        v = _storage().valuations[valuationId];
        if (v.status == ValuationStatus.None) revert ValuationUnknown(valuationId);
    }
}
