// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title RegistryNumbers
/// @notice Registration and certificate numbers with an ISO 7064 MOD 11,10 check digit
///         (GB/T 17710), so a mistyped number is detected. See docs/numbers.md.
library RegistryNumbers {
    /// @dev Dates in numbers are civil dates in China Standard Time (UTC+8).
    uint256 private constant _CST_OFFSET = 8 hours;

    /// @notice The ISO 7064 MOD 11,10 check digit of the `digits` decimal digits of `body`
    ///         (leading zeros count as digits).
    /// @dev Unchecked: every intermediate value is below 10**digits * 21 (digits <= 17).
    function checkDigit(uint256 body, uint256 digits) internal pure returns (uint256) {
        unchecked {
            uint256 p = 10;
            uint256 divisor = 10 ** (digits - 1);
            for (uint256 i = 0; i < digits; ++i) {
                uint256 s = (p + (body / divisor) % 10) % 10;
                if (s == 0) s = 10;
                p = (s * 2) % 11;
                divisor /= 10;
            }
            return (11 - p) % 10;
        }
    }

    /// @notice Year and month of `timestamp` in UTC+8 (proleptic Gregorian calendar).
    /// @dev Howard Hinnant's days-to-civil algorithm: its integer divisions are intended.
    // slither-disable-start divide-before-multiply
    ///      Unchecked: block timestamps (uint48) keep every term far from overflow, and each
    ///      subtraction is of a smaller term by construction of the algorithm.
    function yearMonth(uint256 timestamp) internal pure returns (uint256 year, uint256 month) {
        unchecked {
            uint256 z = (timestamp + _CST_OFFSET) / 1 days + 719_468;
            uint256 era = z / 146_097;
            uint256 doe = z - era * 146_097;
            uint256 yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            uint256 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            uint256 mp = (5 * doy + 2) / 153;
            month = mp < 10 ? mp + 3 : mp - 9;
            year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        }
    }
    // slither-disable-end divide-before-multiply

    /// @notice 16 digits: year(4) dataSource(1) applicantType(1) id(9) check(1).
    function registrationNumber(uint256 submittedAt, uint256 dataSource, uint256 applicantType, uint256 id)
        internal
        pure
        returns (uint64)
    {
        (uint256 year,) = yearMonth(submittedAt);
        uint256 body = year * 1e11 + dataSource * 1e10 + applicantType * 1e9 + id;
        return uint64(body * 10 + checkDigit(body, 15));
    }

    /// @notice 17 digits: year(4) month(2) registrarCode(3) id(7) check(1).
    function certificateNumber(uint256 issuedAt, uint256 registrarCode, uint256 id) internal pure returns (uint64) {
        (uint256 year, uint256 month) = yearMonth(issuedAt);
        uint256 body = (year * 100 + month) * 1e10 + registrarCode * 1e7 + id;
        return uint64(body * 10 + checkDigit(body, 16));
    }

    /// @notice 16 digits: grant year(4) right(1) exclusive(1) licence id(9) check(1).
    function voucherNumber(uint256 grantedAt, uint256 right, bool exclusive, uint256 id) internal pure returns (uint64) {
        (uint256 year,) = yearMonth(grantedAt);
        uint256 body = year * 1e11 + right * 1e10 + (exclusive ? 1e9 : 0) + id;
        return uint64(body * 10 + checkDigit(body, 15));
    }

    /// @notice True when the last digit of `number` is the check digit of the `digits - 1` before it.
    function hasValidCheckDigit(uint256 number, uint256 digits) internal pure returns (bool) {
        return number < 10 ** digits && checkDigit(number / 10, digits - 1) == number % 10;
    }
}
