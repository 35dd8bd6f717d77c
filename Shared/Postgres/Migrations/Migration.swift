/// One schema change: a version number, a name for people, and the SQL that applies it.
///
/// `sql` may hold several statements; it runs in one transaction together with the row that
/// records it, so statements that cannot run in a transaction (`CREATE INDEX CONCURRENTLY`)
/// do not belong here. Once applied, a migration must not change: its checksum is recorded.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// A 64-bit FNV-1a hash of the SQL text, in hex: what `MigrationRunner` records and
    /// compares.
    public var checksum: String {
        let hash = FNV1a.hash(sql.utf8)
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The 64-bit FNV-1a hash: small, stable across runs and platforms (unlike `Hasher`).
enum FNV1a {
    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
