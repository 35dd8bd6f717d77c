import Foundation

/// A company: one tenant. Everything a company's users and keys see is scoped to its `id`.
///
/// `number` is a small sequential id for the APIs that show numeric ids; `id` is what the
/// rest of the system keys data by.
public struct Company: Sendable, Equatable, Codable {
    public var id: UUID
    public var number: Int64
    public var name: String
    public var createdAt: Date
    /// The IANA time zone its care appointments are given and shown in (`CompanyTimeZone`).
    public var timeZone: String

    public init(id: UUID, number: Int64, name: String, createdAt: Date, timeZone: String = CompanyTimeZone.standard) {
        self.id = id
        self.number = number
        self.name = name
        self.createdAt = createdAt
        self.timeZone = timeZone
    }

    /// The longest accepted company name, in characters.
    public static let maxNameLength = 200
}
