import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// The care export of 100,000 clients through the real gateway: streamed (chunked), parsed
/// back equal to the list page by page, with the CSV-injection cases neutralised.
///
/// The clients are written straight into the search read model (one statement) for a company
/// of their own: the export and the list read that table, and 100,000 creates through the
/// command service would take minutes of the suite's time.
final class CareExportTests: XCTestCase {
    static let adminEmail = "root@care-export.test"
    static let adminPassword = "care-export-\(UUID().uuidString)"
    private static let shared = SharedStack("careexport", gatewayEnvironment: [
        "ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword,
    ])
    private let http = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(300)))

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    /// The first names that try formula injection (and CSV quoting), cycled through the clients.
    static let hostileNames = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tTab", "\rReturn", "Plain, \"quoted\"", "Ann"]

    /// RFC 4180 rows of `text` (CRLF line ends, quoted cells).
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell = ""
        var quoted = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? scalars.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    if let next = scalars.next() {
                        if next == "\"" { cell.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { cell.unicodeScalars.append(scalar) }
                continue
            }
            switch scalar {
            case "\"": quoted = true
            case ",": row.append(cell); cell = ""
            case "\r":
                if let next = scalars.next(), next != "\n" { pending = next }
                row.append(cell); rows.append(row); row = []; cell = ""
            default: cell.unicodeScalars.append(scalar)
            }
        }
        if !cell.isEmpty || !row.isEmpty { row.append(cell); rows.append(row) }
        return rows
    }

    /// How the export writes a value: prefixed with `'` when it starts a formula.
    static func neutralised(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return value }
        return "'" + value
    }

    func testAnExportOf100000ClientsStreamsAndParsesBackEqualToTheList() async throws {
        let stack = try await Self.shared.stack()
        let gateway = try await GatewayCaller(http: http, shared: Self.shared)
        let token = try await gateway.login(email: Self.adminEmail, password: Self.adminPassword)
        let company = try await gateway.call(.POST, "/api/companies", as: .session(token),
                                             json: ["name": .string("Export \(UUID().uuidString.prefix(6))")])
        let companyId = try XCTUnwrap(company.json["data"]?.string("id"))
        let count = 100_000
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.searchDatabase, poolSize: 1))
        let names = "{" + Self.hostileNames.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
        try await pool.withTransaction { connection in
            _ = try connection.execute("SET LOCAL statement_timeout = 0")
            _ = try connection.execute("""
            INSERT INTO clients (id, tenant_id, version, created_at, updated_at, deleted, number, has_joined, submission_count,
                                 name, email, status, care)
            SELECT gen_random_uuid(), $1::uuid, 1, now() - make_interval(secs => i), now(), false, 50000000 + i, false, 0,
                   f || ' Smith' || i, 'client' || i || '@example.com', CASE WHEN i % 3 = 0 THEN 'inactive' ELSE 'active' END,
                   jsonb_build_object('personalInfo', jsonb_build_object('firstName', f, 'lastName', 'Smith' || i),
                                      'ndisDetails', jsonb_build_object('ndisNumber', (430000000 + i)::text))
            FROM generate_series(1, $2::int) AS i, LATERAL (SELECT ($3::text[])[1 + i % \(Self.hostileNames.count)] AS f) AS n
            """, [companyId, count, names])
        }
        await pool.close()

        let export = try await gateway.call(.GET, "/api/user/client/list/export?companyId=\(companyId)", as: .session(token))
        XCTAssertEqual(export.status, 200)
        XCTAssertEqual(export.headers["Content-Type"], "text/csv; charset=utf-8")
        XCTAssertEqual(export.headers["Content-Disposition"], "attachment; filename=\"clients_export.csv\"")
        XCTAssertEqual(export.headers["Transfer-Encoding"], "chunked", "streamed, not buffered")
        XCTAssertEqual(Array(export.body.prefix(3)), [0xEF, 0xBB, 0xBF], "a UTF-8 byte order mark for Excel")
        let rows = Self.parseCSV(String(decoding: export.body.dropFirst(3), as: UTF8.self))
        XCTAssertEqual(rows.first, ["id", "firstName", "lastName", "email", "ndisNumber", "status", "planManager", "supportCoordinator"])
        var exported: [String: [String]] = [:]
        for row in rows.dropFirst() { exported[row[0]] = row }
        XCTAssertEqual(exported.count, count)
        XCTAssertEqual(rows.count - 1, count, "each client once")
        XCTAssertEqual(rows.dropFirst().map { $0[0] }, (1...count).map { String(50_000_000 + $0) }, "in number order")

        // Each page's access record keeps its run of numbers as a range (one index entry, not
        // one per client), and the audit finds the export by any of its clients.
        let accessLog = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.gatewayDatabase, poolSize: 1))
        let ranged = try await accessLog.query("""
            SELECT count(*), count(client_number_ranges), sum(cardinality(client_numbers))
            FROM care_access_log WHERE company_id = $1::uuid AND sections = '{export}'
            """, [companyId])
        await accessLog.close()
        XCTAssertEqual(try ranged[0].decode(0, as: Int64.self), 20, "a record per page of 5,000")
        XCTAssertEqual(try ranged[0].decode(1, as: Int64.self), 20, "each page's numbers kept as a range")
        XCTAssertEqual(try ranged[0].decode(2, as: Int64.self), Int64(count), "and every number kept")
        for number in [50_000_001, 50_004_999, 50_005_000, 50_005_001, 50_100_000] {
            let audit = try await gateway.call(.GET, "/api/audit/client-access?clientId=\(number)", as: .session(token))
            let records = audit.json["data"]?.array("records") ?? []
            XCTAssertEqual(records.filter { $0.string("route") == "GET /api/user/client/list/export" }.count, 1,
                           "client \(number)'s export found: \(audit.excerpt)")
        }
        let outside = try await gateway.call(.GET, "/api/audit/client-access?clientId=50100001", as: .session(token))
        XCTAssertEqual(outside.json["data"]?.array("records").count, 0, "no record names a client the export did not hold")

        // The list, page by page, written as the export writes it.
        var listed = 0
        var mismatches: [String] = []
        var page = 1
        while true {
            let reply = try await gateway.call(.GET, "/api/user/client/list?companyId=\(companyId)&limit=100&page=\(page)",
                                               as: .session(token))
            let clients = reply.json["data"]?.array("clients") ?? []
            if clients.isEmpty { break }
            for client in clients {
                let cells = ["id", "firstName", "lastName", "email", "ndisNumber", "status", "planManager", "supportCoordinator"]
                    .map { Self.neutralised(client.string($0) ?? "") }
                if exported[cells[0]] != cells, mismatches.count < 5 { mismatches.append("\(cells) vs \(exported[cells[0]] ?? [])") }
                listed += 1
            }
            page += 1
        }
        XCTAssertEqual(listed, count)
        XCTAssertEqual(mismatches, [])
        // Each injection case, as a spreadsheet would read it.
        let firstNames = Set(exported.values.map { $0[1] })
        XCTAssertEqual(firstNames, ["'=1+1", "'+SUM(A1)", "'-2", "'@cmd", "'\tTab", "'\rReturn", "Plain, \"quoted\"", "Ann"])
    }

    /// The gateway, a super-admin's token and a new company's id.
    private func adminAndCompany() async throws -> (gateway: GatewayCaller, token: String, companyId: String) {
        let gateway = try await GatewayCaller(http: http, shared: Self.shared)
        let token = try await gateway.login(email: Self.adminEmail, password: Self.adminPassword)
        let company = try await gateway.call(.POST, "/api/companies", as: .session(token),
                                             json: ["name": .string("Export \(UUID().uuidString.prefix(6))")])
        return (gateway, token, try XCTUnwrap(company.json["data"]?.string("id")))
    }

    /// Runs `sql` (its parameters `parameters`) on the search read model, without a time limit.
    private func search(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresRows {
        let stack = try await Self.shared.stack()
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.searchDatabase, poolSize: 1))
        do {
            let rows = try await pool.withTransaction { connection in
                _ = try connection.execute("SET LOCAL statement_timeout = 0")
                return try connection.query(sql, parameters)
            }
            await pool.close()
            return rows
        } catch {
            await pool.close()
            throw error
        }
    }

    /// The one count `sql` selects on the search read model.
    private func count(_ sql: String) async throws -> Int64 {
        let rows = try await search(sql)
        return try XCTUnwrap(rows.first).decode(0)
    }

    /// The CSV a client's line is, written here from the read model's columns by RFC 4180 and
    /// the export's documented rules (names, the id when there is no number, `'` before a
    /// formula): the oracle the export's bytes are compared with.
    static func expectedLine(number: Int64?, id: UUID, name: String?, displayName: String?, firstName: String?, lastName: String?,
                             email: String?, ndisNumber: String?, status: String, planManager: String?,
                             supportCoordinator: String?) -> String {
        var first = "", last = ""
        if let f = firstName, let l = lastName, name == nil || name == f + " " + l {
            (first, last) = (f, l)
        } else {
            let whole = name ?? displayName ?? ""
            if let space = whole.lastIndex(of: " ") {
                (first, last) = (String(whole[..<space]), String(whole[whole.index(after: space)...]))
            } else {
                first = whole
            }
        }
        let cells = [number.map(String.init) ?? id.uuidString.lowercased(), first, last, email ?? "", ndisNumber ?? "", status,
                     planManager ?? "", supportCoordinator ?? ""]
        return cells.map { cell -> String in
            let value = neutralised(cell)
            guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return value }
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",") + "\r\n"
    }

    /// The export's bytes are exactly the read model's clients of the company, in number order
    /// (those without a number last, by id), as the CSV rules write them: across page
    /// boundaries (12,345 clients, pages of 5,000), with quoting, line breaks in cells,
    /// formulas, missing numbers, names and optional columns.
    func testTheExportIsByteForByteTheCompanysClientsInNumberOrder() async throws {
        let (gateway, token, companyId) = try await adminAndCompany()
        let firsts = Self.hostileNames + ["Line\nBreak", "Quote\"Inside", "Zoë", "", "Mary Ann"]
        let literal = "{" + firsts.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
        _ = try await search("""
            INSERT INTO clients (id, tenant_id, version, created_at, updated_at, deleted, number, has_joined, submission_count,
                                 name, display_name, email, status, care)
            SELECT gen_random_uuid(), $1::uuid, 1, now(), now(), false, CASE WHEN i % 5 = 0 THEN NULL ELSE 60000000 + i END,
                   false, 0,
                   CASE i % 4 WHEN 0 THEN f || ' Lee' || i WHEN 1 THEN 'Dr ' || f || ' X' || i WHEN 2 THEN NULL ELSE 'Solo' || i END,
                   CASE WHEN i % 8 = 2 THEN 'Display Name' || i END,
                   CASE WHEN i % 3 = 0 THEN NULL ELSE 'c' || i || '@example.com' END,
                   CASE WHEN i % 3 = 0 THEN 'inactive' ELSE 'active' END,
                   CASE WHEN i % 6 = 5 THEN NULL ELSE jsonb_build_object(
                       'personalInfo', jsonb_build_object('firstName', f, 'lastName', 'Lee' || i),
                       'ndisDetails', jsonb_strip_nulls(jsonb_build_object(
                           'ndisNumber', CASE WHEN i % 2 = 0 THEN (430000000 + i)::text END,
                           'planManager', CASE WHEN i % 7 = 0 THEN '=pm' || i END,
                           'supportCoordinator', CASE WHEN i % 11 = 0 THEN 'sc,' || i END))) END
            FROM generate_series(1, 12345) AS i, LATERAL (SELECT ($2::text[])[1 + i % \(firsts.count)] AS f) AS n
            """, [companyId, literal])
        let rows = try await search("""
            SELECT number, id, name, display_name, care #>> '{personalInfo,firstName}', care #>> '{personalInfo,lastName}', email,
                   ndis_number, status, plan_manager, support_coordinator
            FROM clients WHERE tenant_id = $1::uuid AND NOT deleted ORDER BY number, id
            """, [companyId])
        XCTAssertEqual(rows.count, 12345)
        var expected: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("id,firstName,lastName,email,ndisNumber,status,planManager,supportCoordinator\r\n".utf8)
        for row in rows {
            expected += Array(Self.expectedLine(number: try row.decodeIfPresent(0), id: try row.decode(1), name: try row.text(2),
                                                displayName: try row.text(3), firstName: try row.text(4), lastName: try row.text(5),
                                                email: try row.text(6), ndisNumber: try row.text(7), status: try row.decode(8),
                                                planManager: try row.text(9), supportCoordinator: try row.text(10)).utf8)
        }
        let export = try await gateway.call(.GET, "/api/user/client/list/export?companyId=\(companyId)", as: .session(token))
        XCTAssertEqual(export.status, 200)
        XCTAssertEqual(export.body.count, expected.count)
        if export.body != expected {
            let at = zip(export.body, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(export.body.count, expected.count)
            XCTFail("the bytes differ from byte \(at): \(String(decoding: export.body[max(0, at - 80)..<min(export.body.count, at + 80)], as: UTF8.self))")
        }
        // Every exported client has an access record naming it, committed before the answer ended.
        let numbered = try rows.compactMap { row -> Int64? in try row.decodeIfPresent(0) }
        let stack = try await Self.shared.stack()
        let accessLog = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.gatewayDatabase, poolSize: 1))
        let recorded = try await accessLog.query("""
            SELECT count(DISTINCT n) FROM care_access_log, unnest(client_numbers) AS n
            WHERE company_id = $1::uuid AND sections = '{export}' AND n = ANY($2::bigint[])
            """, [companyId, "{" + numbered.map(String.init).joined(separator: ",") + "}"])
        await accessLog.close()
        let recordedCount: Int64 = try XCTUnwrap(recorded.first).decode(0)
        XCTAssertEqual(recordedCount, Int64(numbered.count))
    }

    /// A caller that goes away mid-export ends the export's query in the read model: its
    /// transaction (the cursor the pages are read from) is open while the caller holds the
    /// download unread, and gone once the caller disconnects.
    func testACallerDisconnectingEndsTheExportsQuery() async throws {
        let (gateway, token, companyId) = try await adminAndCompany()
        // 60,000 clients of about 1 KB each: twelve pages of 5,000 and 60 MB, more than the
        // pages and sockets between the read model and this test hold (a page delivered, one
        // read ahead, one in the projection's hand-off, and the sockets' buffers: with 20,000
        // clients of 2 KB a held export sometimes finished its query), so the export waits
        // for the reader.
        _ = try await search("""
            INSERT INTO clients (id, tenant_id, version, created_at, updated_at, deleted, number, has_joined, submission_count,
                                 status, care)
            SELECT gen_random_uuid(), $1::uuid, 1, now(), now(), false, 70000000 + i, false, 0, 'active',
                   jsonb_build_object('personalInfo', jsonb_build_object('firstName', repeat('F', 500) || i,
                                                                         'lastName', repeat('L', 500) || i))
            FROM generate_series(1, 60000) AS i
            """, [companyId])
        let exports = """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%care_export%' AND xact_start IS NOT NULL
            """
        let stack = try await Self.shared.stack()
        // Streamed (read a chunk at a time, held, closed early), so not through GatewayCaller, which reads answers whole.
        let download = try await http.stream(HTTPClientRequest(method: .GET,
                                                               url: stack.gateway.baseURL + "/api/user/client/list/export?companyId=\(companyId)",
                                                               headers: ["Authorization": "Bearer \(token)"]))
        XCTAssertEqual(download.status.code, 200)
        var received = try await download.body.next() ?? []
        XCTAssertEqual(Array(received.prefix(3)), [0xEF, 0xBB, 0xBF])
        // Rows arrive while the export is held, each with its access record already committed
        // (a record written only at the end, or after its page went, fails here).
        var lines: [Substring] = []
        while lines.count < 2, let more = try await download.body.next() {
            received += more
            lines = Array(String(decoding: received, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false).dropLast())
        }
        let sentNumbers = lines.dropFirst().compactMap { Int64($0.split(separator: ",").first ?? "") }
        XCTAssertFalse(sentNumbers.isEmpty, "rows arrived before the reader stopped reading")
        let accessLog = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.gatewayDatabase, poolSize: 1))
        let recordedRows = try await accessLog.query("""
            SELECT count(DISTINCT n) FROM care_access_log, unnest(client_numbers) AS n
            WHERE company_id = $1::uuid AND sections = '{export}' AND n = ANY($2::bigint[])
            """, [companyId, "{" + sentNumbers.map(String.init).joined(separator: ",") + "}"])
        await accessLog.close()
        XCTAssertEqual(try XCTUnwrap(recordedRows.first).decode(0, as: Int64.self), Int64(sentNumbers.count))
        try await eventually("the export's query waits for the reader, its transaction open") {
            try await self.count(exports) == 1
        }
        download.body.close()
        try await eventually("the export's query ended when its caller went away") {
            try await self.count(exports) == 0
        }

        // Exports held open by slow callers take at most two of the read model's connections:
        // a third is refused at once, and a place comes back when a caller goes away.
        var held: [HTTPClientStreamedResponse] = []
        for _ in 0..<2 {
            let slow = try await http.stream(HTTPClientRequest(method: .GET,
                                                               url: stack.gateway.baseURL + "/api/user/client/list/export?companyId=\(companyId)",
                                                               headers: ["Authorization": "Bearer \(token)"]))
            XCTAssertEqual(slow.status.code, 200)
            _ = try await slow.body.next()
            held.append(slow)
        }
        let third = try await gateway.call(.GET, "/api/user/client/list/export?companyId=\(companyId)", as: .session(token))
        XCTAssertEqual(third.status, 503, "a third export while two run is refused")
        let running = try await count(exports)
        XCTAssertEqual(running, 2)
        held.removeFirst().body.close()
        try await eventually("a caller going away gives its place back") {
            let again = try await self.http.stream(HTTPClientRequest(method: .GET,
                                                                     url: stack.gateway.baseURL + "/api/user/client/list/export?companyId=\(companyId)",
                                                                     headers: ["Authorization": "Bearer \(token)"]))
            defer { again.body.close() }
            return again.status.code == 200
        }
        for download in held { download.body.close() }
        try await eventually("every held export ended, its place given back for the next test") {
            try await self.count(exports) == 0
        }
    }
}
