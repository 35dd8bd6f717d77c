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
        let pending = Pending(projection: projection, offsets: offsets)
        try connection.execute("WITH \(Pending.cte(firstParameter: 1)) SELECT", pending.parameters)
    }

    /// A batch's next offsets, to be stored in its transaction: by a read model inside one of
    /// its own statements (`cte`, one round trip fewer per batch), else by the runner (`store`).
    public struct Pending: Sendable, Equatable {
        public var projection: String
        public var offsets: [Int32: Int64]

        public init(projection: String, offsets: [Int32: Int64]) {
            self.projection = projection
            self.offsets = offsets
        }

        /// A common table expression (`stored_offsets AS (INSERT ...)`) that stores the offsets
        /// as `store` does, reading `parameters` as $`first`, $`first`+1 and $`first`+2. Its text
        /// depends only on `first`, so a statement that includes it stays prepared.
        public static func cte(firstParameter first: Int) -> String {
            """
            stored_offsets AS (
                INSERT INTO projection_offsets (projection, partition, next_offset)
                SELECT $\(first), partition, next_offset
                FROM unnest($\(first + 1)::int[], $\(first + 2)::bigint[]) AS given(partition, next_offset)
                ON CONFLICT (projection, partition)
                DO UPDATE SET next_offset = GREATEST(projection_offsets.next_offset, EXCLUDED.next_offset)
            )
            """
        }

        /// The three parameters `cte` reads (empty offsets store nothing).
        public var parameters: [any PostgresEncodable] {
            let sorted = offsets.sorted(by: { $0.key < $1.key })
            return [projection, arrayLiteral(sorted.map { Int64($0.key) }), arrayLiteral(sorted.map(\.value))]
        }
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
