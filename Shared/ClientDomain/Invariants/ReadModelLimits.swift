import Errors

/// What the stores can physically hold of a profile, whatever the field limits say: the
/// backstop `ClientFieldLimits.validate` runs last, and the check the input fuzz target
/// applies to every profile an API's parser accepts.
///
/// - PostgreSQL's `text` and `jsonb` refuse U+0000 (SQLSTATE 22P05 for `jsonb`): no field,
///   agents' names included, may hold it.
/// - A B-tree index entry may not exceed 2,704 bytes on 8 kB pages (SQLSTATE 54000), and a
///   value too large for one fails the whole projection batch that writes it. The values
///   under B-tree indexes: in the search read model name, email (and the lower-cased email
///   domain), phone, display name and company name, each in `(tenant_id, value, id)`; in the
///   stats read model company, industry, provider and the country taken from location, each in
///   `(tenant_id, dimension, value)` and `(tenant_id, dimension, count, value)`; in the event
///   store the lower-cased email and username as unique claims `(tenant_id, kind, value)`.
///   Each value, as written and lower-cased, must be at most `maxIndexedValueBytes`: half the
///   entry limit, which leaves room for the key's other columns (UUIDs, a dimension name, a
///   count, headers: under 64 bytes) and for PostgreSQL's `lower()`, which can lengthen a
///   character's UTF-8 (U+023A, 2 bytes, lower-cases to U+2C65, 3 bytes).
public enum ReadModelLimits {
    public static let maxIndexedValueBytes = 1_300

    /// The profile's values that read models or the event store keep under a B-tree index,
    /// by profile field.
    public static func indexedValues(of profile: ClientProfile) -> [(field: String, value: String)] {
        let values: [(String, String?)] = [
            ("name", profile.name), ("email", profile.email), ("phone", profile.phone), ("displayName", profile.displayName),
            ("companyName", profile.companyName), ("industry", profile.industry), ("location", profile.location),
            ("provider", profile.provider), ("username", profile.username),
        ]
        return values.compactMap { field, value in value.map { (field: field, value: $0) } }
    }

    /// Throws `invalidArgument` naming the first field the stores cannot hold.
    public static func check(_ profile: ClientProfile) throws {
        for (field, text, _) in ClientFieldLimits().texts(of: profile) where text.unicodeScalars.contains("\u{0}") {
            throw ClienteleError(.invalidArgument, "\(field) must not contain U+0000", context: ["field": field])
        }
        if let username = profile.username, username.unicodeScalars.contains("\u{0}") {
            throw ClienteleError(.invalidArgument, "username must not contain U+0000", context: ["field": "username"])
        }
        for (field, value) in indexedValues(of: profile)
        where value.utf8.count > maxIndexedValueBytes || value.lowercased().utf8.count > maxIndexedValueBytes {
            throw ClienteleError(.invalidArgument, "\(field) must be at most \(maxIndexedValueBytes) bytes of UTF-8",
                                 context: ["field": field])
        }
    }
}
