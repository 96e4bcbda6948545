// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IDataAssetRegistry} from "../interfaces/IDataAssetRegistry.sol";
import {IRegistryAuthority} from "../interfaces/IRegistryAuthority.sol";
import {DataAssetRegistryStorage} from "./RegistryStorage.sol";
import {RegistryRules} from "./RegistryRules.sol";

/// @title ApplicationReview
/// @notice The DataAssetRegistry's review of applications: acceptance, return, rejection, public
///         notice, standing and objections. Linked library: runs on the registry's storage and
///         emits the registry's events from the registry's address. `sender` is the acting account.
library ApplicationReview {
    uint16 private constant _REASON_OBJECTION_UPHELD = 1;

    /// @notice A registrar accepts a submitted application.
    function accept(DataAssetRegistryStorage.Layout storage $, IRegistryAuthority auth, uint256 id, address sender)
        external
    {
        IDataAssetRegistry.Registration storage r = RegistryRules.asRegistrar($, auth, id, sender);
        RegistryRules.requireStatus(r, id, IDataAssetRegistry.Status.Submitted);
        r.status = IDataAssetRegistry.Status.Accepted;
        emit IDataAssetRegistry.ApplicationAccepted(id, sender);
    }

    /// @notice A registrar returns (`rejected` false) or rejects a submitted or accepted application.
    function decide(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        uint256 id,
        bool rejected,
        uint16 reasonCode,
        bytes32 reasonHash,
        address sender
    ) external {
        IDataAssetRegistry.Registration storage r = RegistryRules.asRegistrar($, auth, id, sender);
        if (r.status != IDataAssetRegistry.Status.Submitted && r.status != IDataAssetRegistry.Status.Accepted) {
            revert IDataAssetRegistry.RegistryWrongStatus(id, r.status);
        }
        if (rejected) {
            r.status = IDataAssetRegistry.Status.Rejected;
            emit IDataAssetRegistry.ApplicationRejected(id, sender, reasonCode, reasonHash);
        } else {
            r.status = IDataAssetRegistry.Status.Returned;
            emit IDataAssetRegistry.ApplicationReturned(id, sender, reasonCode, reasonHash);
        }
    }

    /// @notice A registrar opens the public notice of an accepted application.
    function openNotice(DataAssetRegistryStorage.Layout storage $, IRegistryAuthority auth, uint256 id, address sender)
        external
    {
        IDataAssetRegistry.Registration storage r = RegistryRules.asRegistrar($, auth, id, sender);
        RegistryRules.requireStatus(r, id, IDataAssetRegistry.Status.Accepted);
        uint48 start = uint48(block.timestamp);
        uint48 end = start + auth.registrarPolicy(r.registrarCode).noticePeriod;
        r.noticeStart = start;
        r.noticeEnd = end;
        r.status = IDataAssetRegistry.Status.InNotice;
        emit IDataAssetRegistry.NoticeOpened(id, sender, start, end);
    }

    /// @notice A registrar gives `party` standing to object.
    function grantStanding(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        uint256 id,
        address party,
        address sender
    ) external {
        IDataAssetRegistry.Registration storage r = RegistryRules.asRegistrar($, auth, id, sender);
        if (r.status != IDataAssetRegistry.Status.Accepted && r.status != IDataAssetRegistry.Status.InNotice) {
            revert IDataAssetRegistry.RegistryWrongStatus(id, r.status);
        }
        $.standing[id][party] = true;
        emit IDataAssetRegistry.StandingGranted(id, party, sender);
    }

    /// @notice `sender` objects during the notice window.
    function fileObjection(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        uint256 id,
        bytes32 evidenceHash,
        address sender
    ) external returns (uint256 objectionId) {
        IDataAssetRegistry.Registration storage r = RegistryRules.existing($, id);
        RegistryRules.requireStatus(r, id, IDataAssetRegistry.Status.InNotice);
        // slither-disable-next-line timestamp
        if (block.timestamp >= r.noticeEnd) revert IDataAssetRegistry.RegistryNoticeWindowClosed(id, r.noticeEnd);
        if (evidenceHash == bytes32(0)) revert IDataAssetRegistry.RegistryZeroHash("evidenceHash");
        if (!auth.registrarPolicy(r.registrarCode).objectionsOpenToAll && !_hasStanding($, r, id, sender)) {
            revert IDataAssetRegistry.RegistryNoStanding(id, sender);
        }
        objectionId = ++$.lastObjectionId;
        $.objections[objectionId] = IDataAssetRegistry.Objection({
            registrationId: uint64(id),
            objector: sender,
            filedAt: uint48(block.timestamp),
            status: IDataAssetRegistry.ObjectionStatus.Open
        });
        ++r.openObjections;
        emit IDataAssetRegistry.ObjectionFiled(objectionId, id, sender, evidenceHash);
    }

    /// @notice A registrar rules on an open objection; upheld during the notice rejects the application.
    function ruleObjection(
        DataAssetRegistryStorage.Layout storage $,
        IRegistryAuthority auth,
        uint256 objectionId,
        bool upheld,
        bytes32 reasonHash,
        address sender
    ) external {
        IDataAssetRegistry.Objection storage o = $.objections[objectionId];
        if (o.status != IDataAssetRegistry.ObjectionStatus.Open) {
            revert IDataAssetRegistry.RegistryObjectionNotOpen(objectionId);
        }
        uint256 id = o.registrationId;
        IDataAssetRegistry.Registration storage r = RegistryRules.asRegistrar($, auth, id, sender);
        o.status = upheld ? IDataAssetRegistry.ObjectionStatus.Upheld : IDataAssetRegistry.ObjectionStatus.Dismissed;
        --r.openObjections;
        emit IDataAssetRegistry.ObjectionRuled(objectionId, id, upheld, reasonHash, sender);
        if (upheld && r.status == IDataAssetRegistry.Status.InNotice) {
            r.status = IDataAssetRegistry.Status.Rejected;
            emit IDataAssetRegistry.ApplicationRejected(id, sender, _REASON_OBJECTION_UPHELD, reasonHash);
        }
    }

    function _hasStanding(
        DataAssetRegistryStorage.Layout storage $,
        IDataAssetRegistry.Registration storage r,
        uint256 id,
        address party
    ) private view returns (bool) {
        if ($.standing[id][party]) return true;
        uint256 n = r.parents.length;
        for (uint256 i = 0; i < n; ++i) {
            if ($.registrations[r.parents[i]].holder == party) return true;
        }
        return false;
    }
}
