import Postgres

/// Reads and writes a projection's rows of `projection_offsets`.
public enum ProjectionOffsets {
    /// The stored next offset per partition (partitions never applied are absent).
    public static func load(_ projection: String, on connection: PostgresConnection) throws -> [Int32: Int64] {
        var offsets: [Int32: Int64] = [:]
        for row in try connection.query("SELECT partition, next_offset FROM projection_offsets WHERE projection = $1",
                                        [projection]) {
            offsets[try row.decode(0, as: Int32.self)] = try row.decode(1, as: Int64.self)
        }
        return offsets
    }

    /// Stores next offsets; never moves one backwards (a stale writer cannot undo progress).
    ///
    /// One statement for all partitions (in partition order), however many a batch touched.
    public static func store(_ projection: String, _ offsets: [Int32: Int64], on connection: PostgresConnection) throws {
        guard !offsets.isEmpty else { return }
        let sorted = offsets.sorted(by: { $0.key < $1.key })
        try connection.execute("""
            INSERT INTO projection_offsets (projection, partition, next_offset)
            SELECT $1, partition, next_offset FROM unnest($2::int[], $3::bigint[]) AS given(partition, next_offset)
            ON CONFLICT (projection, partition)
            DO UPDATE SET next_offset = GREATEST(projection_offsets.next_offset, EXCLUDED.next_offset)
            """, [projection, arrayLiteral(sorted.map { Int64($0.key) }), arrayLiteral(sorted.map(\.value))])
    }

    /// A PostgreSQL array literal of integers, such as `{1,2}`.
    static func arrayLiteral(_ values: [Int64]) -> String {
        "{" + values.map(String.init).joined(separator: ",") + "}"
    }

    /// Moves every partition of `projection` back to offset 0, to read a replaced log again
    /// from its start (`store` alone never moves an offset back).
    public static func rewind(_ projection: String, on connection: PostgresConnection) throws {
        try connection.execute("UPDATE projection_offsets SET next_offset = 0 WHERE projection = $1", [projection])
    }
}
