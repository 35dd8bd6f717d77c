import Errors
import Foundation

extension IdentityStore {
    /// The time zone the company's care appointments are given and shown in: an IANA name
    /// (identity migration 10, default `CompanyTimeZone.standard`). Times are stored in UTC.
    public func timeZone(ofCompany id: UUID) async throws -> TimeZone {
        let rows = try await pool.query("SELECT time_zone FROM companies WHERE id = $1", [id])
        let name = try rows.first?.decode(0, as: String.self) ?? CompanyTimeZone.standard
        return TimeZone(identifier: name) ?? TimeZone(identifier: CompanyTimeZone.standard)!
    }

    /// Sets the company's time zone; `name` must be one `TimeZone(identifier:)` knows.
    public func setTimeZone(ofCompany id: UUID, to name: String) async throws {
        guard CompanyTimeZone.isKnown(name) else { throw CompanyTimeZone.unknown }
        _ = try await pool.query("UPDATE companies SET time_zone = $2 WHERE id = $1", [id, name])
    }
}

/// The company setting for care appointments' local times.
public enum CompanyTimeZone {
    public static let standard = "Australia/Sydney"
    /// The longest name accepted (IANA names are far shorter).
    public static let maxLength = 64

    /// The error for a name `isKnown` refuses.
    public static let unknown = ClienteleError(.invalidArgument, "timeZone must be an IANA time zone name",
                                               context: ["field": "timeZone"])

    public static func isKnown(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxLength && name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f })
            && TimeZone(identifier: name) != nil
    }
}
