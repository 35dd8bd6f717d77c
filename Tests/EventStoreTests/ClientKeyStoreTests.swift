import Crypto
@testable import EventStore
import Foundation
import Postgres
import XCTest

/// The command service's client data keys: what the readers' route reads, and how.
final class ClientKeyStoreTests: XCTestCase {
    /// The keys' table starts empty and grows with every client; a projection batch asks for
    /// fifty or so new keys at a time. Each is looked up through the primary key whatever the
    /// table's size was when the statement was first run: the plain `= ANY` was planned as a
    /// scan of the whole table at a few thousand keys.
    func testKeysAreReadThroughTheKeyAsTheTableGrowsFromEmpty() async throws {
        let fixture = try await EventStoreFixture.make(poolSize: 1)
        let master = try XCTUnwrap(AESGCM(key: SecureRandom.bytes(count: 32)))
        let keys = ClientKeyStore(pool: fixture.pool, keyring: ClientKeyring(master: master))
        let none = try await keys.storedKeys([UUID()])
        XCTAssertTrue(none.isEmpty, "asked while the table is empty")

        let keyring = ClientKeyring(master: master)
        var written: [UUID] = []
        for _ in 0..<20 {
            let ids = (0..<400).map { _ in UUID() }
            let wrapped = ids.map { id in keyring.makeKey(for: id).wrapped.map { String(format: "%02x", $0) }.joined() }
            try await fixture.pool.execute("""
                INSERT INTO client_keys (stream_id, wrapped_key)
                SELECT id, decode(hex, 'hex') FROM unnest($1::uuid[], $2::text[]) AS t(id, hex)
                """, [PostgresArray(ids), PostgresArray(wrapped)])
            written += ids
            let asked = Array(written.suffix(60)) + [UUID()]
            let stored = try await keys.storedKeys(asked)
            XCTAssertEqual(Set(stored.keys), Set(asked.dropLast()), "every written key found, the unknown one left out")
        }
        let asked = PostgresArray(Array(written.suffix(60)))
        let plan = try await fixture.pool.withConnection { connection in
            try connection.query("EXPLAIN " + ClientKeyStore.storedKeysSQL, [asked], prepared: false)
                .map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
        }
        XCTAssertTrue(plan.contains("Index Scan using client_keys_pkey"), plan)
        XCTAssertFalse(plan.contains("Seq Scan on client_keys"), plan)
    }
}
