import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// The gateway's reads of the search projection: list and get (its read-your-writes waits
/// are `ProjectionVisibility`).
///
/// The one place that knows the projection's routes and parameters (`InternalPaths`), so the
/// adapters only see `ClientListQuery`, `ClientRecord` and `ClientListPage`. Single-client
/// gets go through `lookups`, which sends those made in one event-loop pass as one batch.
struct SearchClient: Sendable {
    let baseURL: String
    let token: InternalToken
    let http: HTTPClient
    /// The care export's streams (`export`): a client whose `requestTimeout` allows a long download.
    let exportHTTP: HTTPClient
    let lookups: ClientLookupCoalescer

    /// `metrics`, when given, gets `clientele_gateway_lookup_batch_size`: the lookups per batch
    /// request. `exportHTTP` (default: `http`) sends the care export's stream request.
    init(baseURL: String, token: InternalToken, http: HTTPClient, exportHTTP: HTTPClient? = nil, metrics: MetricsRegistry? = nil) {
        self.baseURL = baseURL
        self.token = token
        self.http = http
        self.exportHTTP = exportHTTP ?? http
        let sizes = metrics?.histogram("clientele_gateway_lookup_batch_size",
                                       help: "Client lookups per batch request to the search projection.",
                                       buckets: [1, 2, 4, 8, 16, 32, 64, 128])
        lookups = ClientLookupCoalescer(batchSizes: sizes) { batch in
            try await Self.lookup(batch, baseURL: baseURL, token: token, http: http)
        }
    }

    /// A page of the tenant's clients.
    func list(_ query: ClientListQuery) async throws -> ClientListPage {
        let response = try await get(InternalPaths.clients + "?" + Self.parameters(of: query))
        guard response.status.code == 200 else {
            throw UpstreamError.clienteleError(from: response, service: "search-projection")
        }
        return try Self.decode(response) { value throws(JSONFieldError) in try ClientListPage(internalJSON: value) }
    }

    /// The care export of `query`'s clients (its filters) by id: the projection's stream,
    /// its pages read as they are asked for (`CareExportPages`). Sent by `exportHTTP`, whose
    /// time bound allows an export read as slowly as its caller reads.
    func export(_ query: ClientListQuery) async throws -> CareExportPages {
        let response = try await exportHTTP.stream(request(InternalPaths.careExport + "?" + Self.parameters(of: query)))
        guard response.status.code == 200 else {
            let body = try await response.body.collect()
            throw UpstreamError.clienteleError(from: HTTPClientResponse(status: response.status, headers: response.headers, body: body),
                                               service: "search-projection")
        }
        return CareExportPages(body: response.body)
    }

    /// The client `id` of `tenantId`; nil when it does not exist there (or was deleted).
    /// Batched with the other lookups of the caller's event-loop pass (`ClientLookupCoalescer`).
    func client(_ id: UUID, tenantId: UUID) async throws -> ClientRecord? {
        try await lookups.client(TenantClientId(id: id, tenantId: tenantId))
    }

    /// The client numbered `number`, in `tenantId` or (nil) in any tenant; nil when none has
    /// the number there. Batched like `client(_:tenantId:)`.
    func client(number: Int64, tenantId: UUID?) async throws -> ClientRecord? {
        try await lookups.client(TenantClientId(number: number, tenantId: tenantId))
    }

    /// A client's appointments (`CareAppointmentsQuery`), in start order.
    func appointments(_ query: CareAppointmentsQuery) async throws -> [CareAppointment] {
        let response = try await get(InternalPaths.careAppointments + "?" + Self.encode(query.queryItems))
        guard response.status.code == 200 else {
            throw UpstreamError.clienteleError(from: response, service: "search-projection")
        }
        guard let appointments = CareAppointment.appointments(wireBytes: response.body) else {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable search appointments")
        }
        return appointments
    }

    /// The clients of `tenantIds` the carer has appointments with.
    func carerClients(carerId: UUID, tenantIds: [UUID]) async throws -> [CarerClient] {
        guard !tenantIds.isEmpty else { return [] }
        let items = [("carerId", carerId.lowercasedString)] + ClientListQuery.TenantScope.tenants(tenantIds).queryItems
        let response = try await get(InternalPaths.carerClients + "?" + Self.encode(items))
        guard response.status.code == 200 else {
            throw UpstreamError.clienteleError(from: response, service: "search-projection")
        }
        guard let clients = CarerClient.clients(wireBytes: response.body) else {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable search carer clients")
        }
        return clients
    }

    static func encode(_ items: [(String, String)]) -> String {
        items.map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// One batch request: a record or nil per lookup, in order.
    ///
    /// Errors map as every search call's (`UpstreamError`): a projection without the route is
    /// an internal error, never "not found". A batch serves several callers, so it carries the
    /// request context (ids, trace) only when it serves one.
    static func lookup(_ batch: [TenantClientId], baseURL: String, token: InternalToken,
                       http: HTTPClient) async throws -> [ClientRecord?] {
        var headers: HTTPHeaders = [InternalToken.headerName: token.value, "Content-Type": "application/json"]
        if batch.count == 1 { headers.addRequestContext() }
        // Only reads: safe to send again when it provably did not arrive, as the GET it replaces.
        let request = HTTPClientRequest(method: .POST, url: baseURL + InternalPaths.clientLookups, headers: headers,
                                        body: TenantClientId.requestJSON(batch).serialized(), isRetryable: true)
        let response = try await http.execute(request)
        guard response.status.code == 200 else {
            throw UpstreamError.clienteleError(from: response, service: "search-projection")
        }
        return try decode(response) { value throws(JSONFieldError) in try TenantClientId.records(fromAnswer: value) }
    }

    /// `query` as the projection's query string.
    static func parameters(of query: ClientListQuery) -> String {
        var pairs = query.scope.queryItems
        if let text = query.text { pairs.append(("query", text)) }
        if let agent = query.agent { pairs.append(("agent", String(agent))) }
        if let number = query.number { pairs.append(("number", String(number))) }
        pairs += query.filters.queryItems
        pairs += query.care.queryItems
        if !query.statuses.isEmpty { pairs.append(("status", query.statuses.map(\.rawValue).joined(separator: ","))) }
        pairs += [("sortBy", query.sortBy.rawValue), ("sortOrder", query.sortOrder.rawValue),
                  ("limit", String(query.limit)), ("offset", String(query.offset))]
        return pairs.map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5a, 0x61...0x7a, 0x2d, 0x2e, 0x5f, 0x7e:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    private func request(_ path: String) -> HTTPClientRequest {
        var headers: HTTPHeaders = [InternalToken.headerName: token.value]
        headers.addRequestContext()
        return HTTPClientRequest(method: .GET, url: baseURL + path, headers: headers)
    }

    func get(_ path: String) async throws -> HTTPClientResponse {
        try await http.execute(request(path))
    }

    /// The response body read by `read` (parsed by `JSONParser`: `JSONDecoder` was a large
    /// share of the gateway's CPU per GET; measured: docs/performance.md, design
    /// measurements); an internal error when it does not fit.
    static func decode<T>(_ response: HTTPClientResponse, _ read: (JSONValue) throws(JSONFieldError) -> T) throws -> T {
        do {
            return try read(try JSONParser.parse(response.body))
        } catch {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable search response: \(error)")
        }
    }
}
