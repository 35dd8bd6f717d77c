import HTTP
import JSON

/// The one way integration tests call the gateway: a request with a credential and an
/// optional body, answered by a `GatewayReply` read whole.
public struct GatewayCaller: Sendable {
    public let http: HTTPClient
    /// The gateway's base URL (`http://127.0.0.1:<port>`); paths are appended to it.
    public let baseURL: String

    public init(http: HTTPClient, baseURL: String) {
        self.http = http
        self.baseURL = baseURL
    }

    /// The caller of `stack`'s gateway.
    public init(http: HTTPClient, stack: ClienteleStack) {
        self.init(http: http, baseURL: stack.gateway.baseURL)
    }

    /// The caller of `shared`'s gateway (starting the stack if no test has yet).
    public init(http: HTTPClient, shared: SharedStack) async throws {
        self.init(http: http, stack: try await shared.stack())
    }

    /// Sends `body` (as JSON unless `headers` name another Content-Type) as `credential`;
    /// a header in `headers` wins over the credential's of the same name.
    public func call(_ method: HTTPMethod, _ path: String, as credential: Credential? = nil, body: [UInt8]? = nil,
                     headers: HTTPHeaders = [:]) async throws -> GatewayReply {
        var all = headers
        if let credential, !all.contains(name: credential.header.name) {
            all.add(name: credential.header.name, value: credential.header.value)
        }
        if body != nil, !all.contains(name: "Content-Type") { all.add(name: "Content-Type", value: "application/json") }
        let response = try await http.execute(HTTPClientRequest(method: method, url: baseURL + path, headers: all, body: body ?? []))
        return GatewayReply(status: response.status.code, headers: response.headers, body: response.body)
    }

    /// Sends `json`, serialized by the project's writer.
    public func call(_ method: HTTPMethod, _ path: String, as credential: Credential? = nil, json: JSONValue,
                     headers: HTTPHeaders = [:]) async throws -> GatewayReply {
        try await call(method, path, as: credential, body: json.serialized(), headers: headers)
    }

    /// A session token for `email` (`POST /api/auth/login`); throws naming the status and
    /// the answer's start when the login is refused.
    public func login(email: String, password: String) async throws -> String {
        let reply = try await call(.POST, "/api/auth/login", json: ["email": .string(email), "password": .string(password)])
        guard reply.status == 200, let token = reply.json.string("token") else {
            throw TestSupportError("login: \(reply.status) \(reply.excerpt)")
        }
        return token
    }
}
