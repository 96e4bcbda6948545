// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ERC2771ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/metatx/ERC2771ContextUpgradeable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {IRegistryAuthority} from "../interfaces/IRegistryAuthority.sol";

/// @title RegistryModule
/// @notice What every upgradeable registry contract shares: it lives behind an ERC-1967 proxy
///         upgraded through UUPS by the admin only, it reads roles, registrars and the pause from
///         the {IRegistryAuthority}, and it trusts the registry's ERC-2771 forwarder, so a
///         relayed call acts for its signer.
/// @dev Storage is ERC-7201 namespaced (`dareg.storage.RegistryModule`); a contract built on
///      this one keeps its own state in its own namespace.
abstract contract RegistryModule is Initializable, UUPSUpgradeable, ERC2771ContextUpgradeable {
    bytes32 private constant _DEFAULT_ADMIN_ROLE = 0x00;

    /// @custom:storage-location erc7201:dareg.storage.RegistryModule
    struct ModuleStorage {
        IRegistryAuthority authority;
    }

    // keccak256(abi.encode(uint256(keccak256("dareg.storage.RegistryModule")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _MODULE_STORAGE = 0xa3708eb6b6564f880e0f8f801a5856063833c8f9f77af02ec153f9cac48c6200;

    /// @param forwarder the registry's ERC-2771 forwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address forwarder) ERC2771ContextUpgradeable(forwarder) {
        _disableInitializers();
    }

    /// @dev Refuses every state change while the authority is paused.
    modifier whenNotPaused() {
        _requireNotPaused();
        _;
    }

    /// @dev Only an account holding `role` in the authority.
    modifier onlyAuthorityRole(bytes32 role) {
        _checkAuthorityRole(role, _msgSender());
        _;
    }

    /// @notice The authority this contract reads roles, registrars and the pause from.
    function authority() public view returns (IRegistryAuthority) {
        return _moduleStorage().authority;
    }

    // solhint-disable-next-line func-name-mixedcase
    function __RegistryModule_init(IRegistryAuthority authority_) internal onlyInitializing {
        _moduleStorage().authority = authority_;
    }

    function _requireNotPaused() internal view {
        if (_moduleStorage().authority.paused()) revert PausableUpgradeable.EnforcedPause();
    }

    function _checkAuthorityRole(bytes32 role, address account) internal view {
        if (!_moduleStorage().authority.hasRole(role, account)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(account, role);
        }
    }

    function _isAdmin(address account) internal view returns (bool) {
        return _moduleStorage().authority.hasRole(_DEFAULT_ADMIN_ROLE, account);
    }

    /// @dev Upgrades are the admin's (behind its own delay: a timelock in production).
    function _authorizeUpgrade(address) internal view override {
        _checkAuthorityRole(_DEFAULT_ADMIN_ROLE, _msgSender());
    }

    function _moduleStorage() private pure returns (ModuleStorage storage $) {
        assembly {
            $.slot := _MODULE_STORAGE
        }
    }
}
