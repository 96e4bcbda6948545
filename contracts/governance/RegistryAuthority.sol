// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {ERC2771ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/metatx/ERC2771ContextUpgradeable.sol";
import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {IRegistryAuthority} from "../interfaces/IRegistryAuthority.sol";

/// @title RegistryAuthority
/// @notice Roles, registrars and the emergency pause of the registry. See {IRegistryAuthority}.
/// @custom:security-contact security@dareg.invalid
contract RegistryAuthority is
    Initializable,
    ERC2771ContextUpgradeable,
    PausableUpgradeable,
    AccessControlDefaultAdminRulesUpgradeable,
    UUPSUpgradeable,
    IRegistryAuthority
{
    /// @notice May pause and unpause every state change of the registry.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Regulators (data bureau, court, market supervisor): freezes, court orders, approvals.
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");
    /// @notice Floor of every registrar's public-notice window.
    uint32 public constant MIN_NOTICE_PERIOD = 1 days;

    uint16 private constant _MAX_REGISTRAR_CODE = 999;

    /// @custom:storage-location erc7201:dareg.storage.RegistryAuthority
    struct AuthorityStorage {
        mapping(uint16 code => RegistrarPolicy policy) policies;
        mapping(address account => uint16 code) registrarCodes;
    }

    // keccak256(abi.encode(uint256(keccak256("dareg.storage.RegistryAuthority")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE = 0x0bc8b91979c6906474b3d12195a4fd4ce38b97e04b8edb3e7123cc69f244eb00;

    /// @param forwarder the registry's ERC-2771 forwarder, whose relayed calls act for their signer
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) ERC2771ContextUpgradeable(forwarder) {
        _disableInitializers();
    }

    /// @param admin      the admin (DEFAULT_ADMIN_ROLE): a multisig or timelock in production
    /// @param adminDelay delay of a handover of the admin role (two steps: begin, then accept)
    function initialize(address admin, uint48 adminDelay) external initializer {
        __AccessControlDefaultAdminRules_init(adminDelay, admin);
        __Pausable_init();
    }

    // --- admin --------------------------------------------------------------------------

    /// @inheritdoc IRegistryAuthority
    function configureRegistrar(uint16 code, RegistrarPolicy calldata policy)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        whenNotPaused
    {
        _setPolicy(code, policy);
    }

    /// @inheritdoc IRegistryAuthority
    function setRegistrarAccount(uint16 code, address account, bool enabled)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        whenNotPaused
    {
        AuthorityStorage storage $ = _storage();
        if ($.policies[code].noticePeriod == 0) revert AuthorityUnknownRegistrar(code);
        if (account == address(0)) revert AuthorityInvalidAccount(account);
        uint16 bound = $.registrarCodes[account];
        if (enabled) {
            if (bound != 0 && bound != code) revert AuthorityAccountBound(account, bound);
            if (!$.policies[code].active) revert AuthorityRegistrarRetired(code);
            $.registrarCodes[account] = code;
        } else {
            if (bound != code) revert AuthorityNotRegistrarOf(account, code);
            delete $.registrarCodes[account];
        }
        emit RegistrarAccountSet(code, account, enabled, _msgSender());
    }

    // --- registrar staff ----------------------------------------------------------------

    /// @inheritdoc IRegistryAuthority
    function setRegistrarPolicy(uint16 code, RegistrarPolicy calldata policy) external whenNotPaused {
        if (activeRegistrarCodeOf(_msgSender()) != code) revert AuthorityNotRegistrarOf(_msgSender(), code);
        if (!policy.active) revert AuthorityActivationByAdminOnly(code);
        _setPolicy(code, policy);
    }

    // --- pauser -------------------------------------------------------------------------

    /// @inheritdoc IRegistryAuthority
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IRegistryAuthority
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // --- views --------------------------------------------------------------------------

    /// @inheritdoc IRegistryAuthority
    function paused() public view override(IRegistryAuthority, PausableUpgradeable) returns (bool) {
        return super.paused();
    }

    /// @inheritdoc IRegistryAuthority
    function registrarPolicy(uint16 code) external view returns (RegistrarPolicy memory) {
        return _storage().policies[code];
    }

    /// @inheritdoc IRegistryAuthority
    function registrarCodeOf(address account) external view returns (uint16) {
        return _storage().registrarCodes[account];
    }

    /// @inheritdoc IRegistryAuthority
    function activeRegistrarCodeOf(address account) public view returns (uint16 code) {
        AuthorityStorage storage $ = _storage();
        code = $.registrarCodes[account];
        if (code == 0) revert AuthorityNotRegistrarOf(account, 0);
        if (!$.policies[code].active) revert AuthorityRegistrarRetired(code);
    }

    // --- internals ----------------------------------------------------------------------

    /// @dev Upgrades are the admin's (behind its own delay: a timelock in production).
    function _authorizeUpgrade(address) internal view override onlyRole(DEFAULT_ADMIN_ROLE) {}

    function _setPolicy(uint16 code, RegistrarPolicy calldata policy) private {
        if (code == 0 || code > _MAX_REGISTRAR_CODE) revert AuthorityInvalidRegistrarCode(code);
        if (policy.noticePeriod < MIN_NOTICE_PERIOD) {
            revert AuthorityNoticePeriodTooShort(policy.noticePeriod, MIN_NOTICE_PERIOD);
        }
        _storage().policies[code] = policy;
        emit RegistrarConfigured(
            code, policy.active, policy.objectionsOpenToAll, policy.evidenceRequired, policy.noticePeriod, _msgSender()
        );
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

    function _storage() private pure returns (AuthorityStorage storage $) {
        assembly {
            $.slot := _STORAGE
        }
    }
}
