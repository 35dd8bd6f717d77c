import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import ServiceRuntime

/// `GET /api/user/client/list/export`: the care list's clients (its filters, all pages) as
/// CSV, streamed page by page: `text/csv; charset=utf-8`, an attachment named
/// `clients_export.csv`.
///
/// Pages of `pageSize` clients are read by id (keyset, no offsets or counts, so ten million
/// rows cost the same per page as ten), the next page is read while the current one is sent,
/// and each page is sent only once the peer has taken most of the last (`HTTPStreamedBody`'s
/// backpressure): memory stays at about two pages whatever the size. Each page's access record
/// is committed before its rows are sent. The rows are in id order (stable while clients are
/// added), not the list's newest-first order.
///
/// The CSV: a UTF-8 byte order mark (so Excel reads it as UTF-8; there is no `xlsx` form,
/// which would need a ZIP writer), a header row, CRLF line ends, RFC 4180 quoting. A cell
/// starting with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` so a
/// spreadsheet shows it as text instead of running it as a formula (CSV injection).
struct CareClientsExport: Sendable {
    let clients: CareClientsAPI

    static let path = "/api/user/client/list/export"
    static let pageSize = 1000
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
        var (listed, _) = try CareClientsAPI.listQuery(request, access)
        listed.care.keyset = true
        listed.limit = Self.pageSize
        listed.offset = 0
        let query = listed
        let route = CareClientsAPI.route(request)
        let context = CareAuditTrail.requestContext
        let audit = clients.audit
        let api = clients
        var response = HTTPResponse(status: .ok, headers: ["Content-Type": "text/csv; charset=utf-8",
                                                           "Content-Disposition": "attachment; filename=\"clients_export.csv\"",
                                                           "Cache-Control": "no-store"])
        // The first page is read before answering, so a search projection that cannot answer
        // is a 503 like every read's, not a truncated download.
        let first = try await api.pageOrEmpty(query)
        response.streamedBody = HTTPStreamedBody { writer in
            var header: [UInt8] = [0xEF, 0xBB, 0xBF]
            Self.appendRow(Self.columns, to: &header)
            try await writer.write(header)
            var next: Task<ClientListPage, any Error>? = Task { first }
            defer { next?.cancel() }
            while let fetching = next {
                let page = try await fetching.value
                if page.data.count == query.limit, let last = page.data.last {
                    var following = query
                    following.care.after = last.id
                    next = Task { try await api.pageOrEmpty(following) }
                } else {
                    next = nil
                }
                guard !page.data.isEmpty else { break }
                try await audit.record(staff, route: route, clients: page.data, sections: ["export"], outcome: .allowed, context: context)
                var chunk: [UInt8] = []
                chunk.reserveCapacity(page.data.count * 128)
                for record in page.data { Self.appendRow(Self.row(record), to: &chunk) }
                try await writer.write(chunk)
            }
        }
        return response
    }

    /// A client's cells, in `columns` order.
    static func row(_ record: ClientRecord) -> [String] {
        let (first, last) = CareClientView.names(record)
        let care = record.profile.care
        return [CareClientView.id(record).stringValue, first, last, record.profile.email ?? "", care?.ndisNumber ?? "",
                record.profile.status.rawValue, care?.planManager ?? "", care?.supportCoordinator ?? ""]
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
    static func appendCell(_ cell: String, to out: inout [UInt8]) {
        var bytes = Array(cell.utf8)
        if let first = bytes.first, [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 9, 13].contains(first) {
            bytes.insert(UInt8(ascii: "'"), at: 0)
        }
        guard bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 13 || $0 == 10 }) else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// The text of a string value ("" for anything else).
    var stringValue: String {
        if case .string(let text) = self { return text }
        return ""
    }
}
