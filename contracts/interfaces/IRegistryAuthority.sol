// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title IRegistryAuthority
/// @notice The one place that says who may act in the registry: the admin (a separate account,
///         a multisig or timelock in production, handed over in two delayed steps), the pauser,
///         regulators, and the registration agencies (登记机构) with their staff accounts.
///
/// Every other registry contract asks this contract whether an account holds a role, whether an
/// account is staff of an active registrar, and whether the registry is paused. The service's
/// operator only pays gas and relays; it holds no role here.
/// @dev Roles use OpenZeppelin's AccessControlDefaultAdminRules (DEFAULT_ADMIN_ROLE = 0x00 is the
///      admin of every other role and changes hands only through the two-step, delayed transfer).
interface IRegistryAuthority is IAccessControl {
    /// @notice A registration agency's policy.
    /// @param active           false: retired (its staff can no longer act); only the admin sets it
    /// @param objectionsOpenToAll true: anyone may object; false: only interested parties
    /// @param evidenceRequired true: the applicant must have anchored the fingerprint first
    /// @param noticePeriod     public-notice window in seconds, at least {MIN_NOTICE_PERIOD}
    struct RegistrarPolicy {
        bool active;
        bool objectionsOpenToAll;
        bool evidenceRequired;
        uint32 noticePeriod;
    }

    /// @notice `by` (the admin, or staff of the registrar) set the registrar's policy.
    event RegistrarConfigured(
        uint16 indexed code,
        bool active,
        bool objectionsOpenToAll,
        bool evidenceRequired,
        uint32 noticePeriod,
        address indexed by
    );
    /// @notice `by` (the admin) bound `account` to registrar `code` as staff (or unbound it).
    event RegistrarAccountSet(uint16 indexed code, address indexed account, bool enabled, address indexed by);

    /// @notice The code is outside 1-999.
    error AuthorityInvalidRegistrarCode(uint16 code);
    /// @notice No registrar was ever configured under this code.
    error AuthorityUnknownRegistrar(uint16 code);
    /// @notice The registrar is retired: its staff cannot act until the admin reactivates it.
    error AuthorityRegistrarRetired(uint16 code);
    /// @notice `account` is not staff of registrar `code`.
    error AuthorityNotRegistrarOf(address account, uint16 code);
    /// @notice `account` is already staff of another registrar.
    error AuthorityAccountBound(address account, uint16 code);
    /// @notice The notice window is shorter than the floor.
    error AuthorityNoticePeriodTooShort(uint32 noticePeriod, uint32 minimum);
    /// @notice Only the admin activates or retires a registrar.
    error AuthorityActivationByAdminOnly(uint16 code);
    /// @notice The zero address cannot be staff.
    error AuthorityInvalidAccount(address account);

    // --- admin --------------------------------------------------------------------------

    /// @notice Create, reconfigure, activate or retire a registration agency (admin only).
    function configureRegistrar(uint16 code, RegistrarPolicy calldata policy) external;

    /// @notice Bind (or unbind) a staff account to a registrar (admin only; unbinding works on a
    ///         retired registrar too).
    function setRegistrarAccount(uint16 code, address account, bool enabled) external;

    // --- registrar staff ----------------------------------------------------------------

    /// @notice Staff of an active registrar change its policy; `active` must stay true.
    function setRegistrarPolicy(uint16 code, RegistrarPolicy calldata policy) external;

    // --- pauser -------------------------------------------------------------------------

    /// @notice Stop every state change in the registry (PAUSER_ROLE); reads keep working.
    function pause() external;

    /// @notice Resume state changes (PAUSER_ROLE).
    function unpause() external;

    // --- views --------------------------------------------------------------------------

    function paused() external view returns (bool);
    function registrarPolicy(uint16 code) external view returns (RegistrarPolicy memory);

    /// @notice The registrar code `account` is staff of (0: none), active or not.
    function registrarCodeOf(address account) external view returns (uint16);

    /// @notice The code of the active registrar `account` is staff of; reverts otherwise.
    function activeRegistrarCodeOf(address account) external view returns (uint16);
}
