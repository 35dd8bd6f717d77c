import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import ServiceRuntime

/// `GET /api/user/client/list/export`: the care list's clients (its filters, all pages) as
/// CSV, streamed: `text/csv; charset=utf-8`, an attachment named `clients_export.csv`.
///
/// The search projection reads the clients with one statement and streams them in pages of
/// `CareExportPage`s, which carry only the export's columns (whole records as JSON were most
/// of the export's time in both services; one statement instead of a page query per page:
/// PostgreSQL sorts the matches once instead of walking the id index; measured:
/// docs/performance.md, design measurements). Each page is written from its texts without a
/// copy per cell while its access record commits; the next page is read, recorded and
/// written out while the current one is sent, and each page is sent only once the peer has
/// taken most of the last (`HTTPStreamedBody`'s backpressure), which in turn holds back the
/// projection's reads: memory stays at the page being sent and the one read ahead (each as
/// its written lines, the one ahead also as rows), whatever the size. Each page's access
/// record is committed before its rows are sent (a caller that goes away may leave a record
/// of the page read ahead, never a page sent without one). A caller that disconnects closes
/// the stream from the projection, which ends its query. The rows are in number order (the
/// care API's ids: stable while clients are added; and each page's access record then holds
/// runs of numbers, kept as ranges), not the list's newest-first order.
///
/// The CSV: a UTF-8 byte order mark (so Excel reads it as UTF-8; there is no `xlsx` form,
/// which would need a ZIP writer), a header row, CRLF line ends, RFC 4180 quoting. A cell
/// starting with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` so a
/// spreadsheet shows it as text instead of running it as a formula (CSV injection).
struct CareClientsExport: Sendable {
    let clients: CareClientsAPI

    static let path = "/api/user/client/list/export"
    static let columns = ["id", "firstName", "lastName", "email", "ndisNumber", "status", "planManager", "supportCoordinator"]

    func register(on setup: ServiceSetup) {
        setup.route(.GET, Self.path, APIErrorRendering.wrap(export, rendering: CareClientView.error))
    }

    func export(_ request: HTTPRequest) async throws -> HTTPResponse {
        let staff = try await clients.authenticator.authenticate(request)
        let access = CareAccess(staff)
        guard access.can(Permission.careRead), access.can(Permission.careExport) else { throw CareClientsAPI.forbidden }
        if let format = request.queryParameter("format"), format != "csv" {
            throw CareValidationFailure([CareIssue("format", "must be csv (the CSV opens in Excel)")])
        }
        var (query, _) = try CareClientsAPI.listQuery(request, access)
        query.limit = 1
        query.offset = 0
        let route = CareClientsAPI.route(request)
        let context = CareAuditTrail.requestContext
        let audit = clients.audit
        var response = HTTPResponse(status: .ok, headers: ["Content-Type": "text/csv; charset=utf-8",
                                                           "Content-Disposition": "attachment; filename=\"clients_export.csv\"",
                                                           "Cache-Control": "no-store"])
        if case .tenants(let ids) = query.scope, ids.isEmpty {
            response.streamedBody = HTTPStreamedBody { writer in try await writer.write(Self.head) }
            return response
        }
        // The first page is read before answering, so a search projection that cannot answer
        // is a 503 like every read's, not a truncated download.
        let pages = try await clients.search.export(query)
        let first: CareExportPage?
        do {
            first = try await pages.next()
        } catch {
            pages.close()
            throw error
        }
        // A page's lines, written out while its access record commits; answered once both are
        // done, so no row goes out before its record.
        let prepare: @Sendable (CareExportPage) async throws -> [UInt8] = { page in
            let rows = page.rows
            guard !rows.isEmpty else { return [] }
            async let recorded: Void = audit.record(staff, route: route, companyId: rows[0].tenantId, clientIds: rows.map(\.id),
                                                    clientNumbers: rows.compactMap(\.number), sections: ["export"],
                                                    outcome: .allowed, context: context)
            var chunk: [UInt8] = []
            chunk.reserveCapacity(rows.count * 128)
            for row in rows { Self.appendRow(row, to: &chunk) }
            try await recorded
            return chunk
        }
        response.streamedBody = HTTPStreamedBody { writer in
            defer { pages.close() }
            try await writer.write(Self.head)
            var next: Task<[UInt8]?, any Error>? = Task {
                guard let first else { return nil }
                return try await prepare(first)
            }
            defer { next?.cancel() }
            while let preparing = next {
                guard let chunk = try await preparing.value else { break }
                next = Task {
                    guard let page = try await pages.next() else { return nil }
                    return try await prepare(page)
                }
                if !chunk.isEmpty { try await writer.write(chunk) }
            }
        }
        return response
    }

    /// The byte order mark and the header row.
    static let head: [UInt8] = {
        var out: [UInt8] = [0xEF, 0xBB, 0xBF]
        appendRow(columns, to: &out)
        return out
    }()

    /// Appends a client's line, its cells in `columns` order.
    static func appendRow(_ row: CareExportPage.Row, to out: inout [UInt8]) {
        let (first, last) = CareClientView.names(name: row.name, displayName: row.displayName, firstName: row.firstName,
                                                 lastName: row.lastName)
        appendCell(row.number.map { String($0) } ?? row.id.lowercasedString, to: &out)
        for cell in [first, last, row.email ?? "", row.ndisNumber ?? "", row.status, row.planManager ?? "",
                     row.supportCoordinator ?? ""] {
            out.append(UInt8(ascii: ","))
            appendCell(cell, to: &out)
        }
        out.append(contentsOf: [13, 10])
    }

    /// Appends one CSV line (CRLF-terminated).
    static func appendRow(_ cells: [String], to out: inout [UInt8]) {
        for (index, cell) in cells.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendCell(cell, to: &out)
        }
        out.append(contentsOf: [13, 10])
    }

    /// One cell: neutralised against formulas, quoted when it holds a comma, quote, CR or LF.
    /// Straight from the string's UTF-8 (no copy per cell: an export writes millions).
    static func appendCell(_ cell: String, to out: inout [UInt8]) {
        let bytes = cell.utf8
        let formula = bytes.first.map { [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 9, 13].contains($0) } ?? false
        guard bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 13 || $0 == 10 }) else {
            if formula { out.append(UInt8(ascii: "'")) }
            out.append(contentsOf: bytes)
            return
        }
        out.append(UInt8(ascii: "\""))
        if formula { out.append(UInt8(ascii: "'")) }
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
