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

    private func call(_ method: HTTPMethod, _ path: String, as token: String?, body: Any? = nil) async throws -> HTTPClientResponse {
        let stack = try await Self.shared.stack()
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        var bytes: [UInt8] = []
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        return try await http.execute(HTTPClientRequest(method: method, url: stack.gateway.baseURL + path, headers: headers, body: bytes))
    }

    private func json(_ response: HTTPClientResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
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
        let root = json(try await call(.POST, "/api/auth/login", as: nil,
                                       body: ["email": Self.adminEmail, "password": Self.adminPassword]))["token"] as? String
        let token = try XCTUnwrap(root)
        let company = json(try await call(.POST, "/api/companies", as: token, body: ["name": "Export \(UUID().uuidString.prefix(6))"]))
        let companyId = try XCTUnwrap((company["data"] as? [String: Any])?["id"] as? String)
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

        let export = try await call(.GET, "/api/user/client/list/export?companyId=\(companyId)", as: token)
        XCTAssertEqual(export.status.code, 200)
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

        // The list, page by page, written as the export writes it.
        var listed = 0
        var mismatches: [String] = []
        var page = 1
        while true {
            let reply = json(try await call(.GET, "/api/user/client/list?companyId=\(companyId)&limit=100&page=\(page)", as: token))
            let clients = (reply["data"] as? [String: Any])?["clients"] as? [[String: Any]] ?? []
            if clients.isEmpty { break }
            for client in clients {
                let cells = ["id", "firstName", "lastName", "email", "ndisNumber", "status", "planManager", "supportCoordinator"]
                    .map { Self.neutralised(client[$0] as? String ?? "") }
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
}
