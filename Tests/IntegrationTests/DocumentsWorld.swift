import Crypto
import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// What the document tests share: a stack, two companies with staff of several roles, leads,
/// multipart bodies sent as streams, and looks behind the gateway (the store's rows and files).
struct DocumentsWorld {
    static let rootEmail = "root@documents.test"
    static let rootPassword = "documents-bootstrap-\(UUID().uuidString)"
    static let gatewayEnvironment = ["ADMIN_EMAIL": rootEmail, "ADMIN_PASSWORD": rootPassword, "RATE_LIMIT_REQUESTS": "0"]

    let stack: ClienteleStack
    let gateway: GatewayCaller
    var root = ""
    var companyA = (id: "", number: 0)
    var companyB = (id: "", number: 0)
    var adminA = "", salesA = "", agentA = "", adminB = ""

    /// `rootEmail`/`rootPassword`: the stack's bootstrap super-admin (another test's stack may be shared).
    static func make(_ stack: ClienteleStack, http: HTTPClient, rootEmail: String = rootEmail,
                     rootPassword: String = rootPassword) async throws -> DocumentsWorld {
        var world = DocumentsWorld(stack: stack, gateway: GatewayCaller(http: http, stack: stack))
        world.root = try await world.gateway.login(email: rootEmail, password: rootPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        func company(_ name: String) async throws -> (String, Int) {
            let reply = try await world.gateway.call(.POST, "/api/companies", as: .session(world.root),
                                                     json: ["name": .string("\(name) \(suffix)")])
            let data = try XCTUnwrap(reply.json["data"], reply.excerpt)
            return (try XCTUnwrap(data.string("id")), Int(try XCTUnwrap(data.int("number"))))
        }
        world.companyA = try await company("Acme")
        world.companyB = try await company("Bluth")
        func person(_ role: String, _ company: String) async throws -> String {
            let email = "\(role)-\(UUID().uuidString.prefix(8).lowercased())@documents.test"
            let password = "a documents test password"
            let reply = try await world.gateway.call(.POST, "/api/users", as: .session(world.root), json: [
                "email": .string(email), "name": .string("Test \(role)"), "password": .string(password), "roles": [.string(role)],
                "companies": [.string(company)],
            ])
            XCTAssertEqual(reply.status, 201, reply.excerpt)
            return try await world.gateway.login(email: email, password: password)
        }
        world.adminA = try await person("admin", world.companyA.id)
        world.salesA = try await person("sales", world.companyA.id)
        world.agentA = try await person("agent", world.companyA.id)
        world.adminB = try await person("admin", world.companyB.id)
        return world
    }

    /// Creates a lead in company A (or B) and returns its number.
    func lead(in company: Int? = nil, token: String? = nil) async throws -> Int {
        let reply = try await gateway.call(.POST, "/api/clients", as: .session(token ?? adminA), json: [
            "name": "Doc Lead", "email": .string("\(UUID().uuidString.prefix(12).lowercased())@example.com"),
            "company": .int(Int64(company ?? companyA.number)),
        ])
        XCTAssertEqual(reply.status, 201, reply.excerpt)
        return try XCTUnwrap(Int(reply.headers["Location"]?.split(separator: "/").last ?? ""))
    }

    /// Sends `body` to the gateway as a stream of 64 KiB chunks, with its length (`chunked`:
    /// without one, in chunked framing). Not through `GatewayCaller.call`, which sends a body
    /// whole: the streamed request is what these tests measure.
    func upload(_ path: String, token: String?, _ body: Multipart, chunked: Bool = false) async throws -> GatewayReply {
        var headers: HTTPHeaders = ["Content-Type": body.contentType]
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let bytes = body.bytes
        let response = try await gateway.http.execute(HTTPClientRequest(method: .POST, url: gateway.baseURL + path, headers: headers),
                                                      streaming: Chunks(bytes: bytes, size: 64 * 1024),
                                                      contentLength: chunked ? nil : bytes.count)
        return GatewayReply(status: response.status.code, headers: response.headers, body: response.body)
    }

    func passport(_ lead: Int, _ file: [UInt8], name: String = "passport.pdf", token: String? = nil) async throws -> GatewayReply {
        try await upload("/api/clients/passport/\(lead)", token: token ?? adminA, Multipart([.file("passport", name, file)]))
    }

    func careDocument(_ lead: Int, _ file: [UInt8], name: String = "plan.pdf", type: String = "ndis_plan",
                      token: String? = nil) async throws -> GatewayReply {
        try await upload("/api/document/upload", token: token ?? adminA,
                         Multipart([.file("file", name, file), .field("clientId", String(lead)), .field("documentType", type)]))
    }

    /// The store's metadata rows.
    func storedRows() async throws -> Int {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.documentDatabase, poolSize: 1))
        defer { Task { await pool.close() } }
        return try await pool.query("SELECT count(*)::bigint FROM documents")[0].decode(0, as: Int.self)
    }

    /// Whether every claimed document's claim is older than `seconds` (past the sweep's grace).
    func claimsOlderThan(seconds: Int) async throws -> Bool {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.documentDatabase, poolSize: 1))
        defer { Task { await pool.close() } }
        return try await pool.query("SELECT count(*)::bigint FROM documents WHERE claimed_at > now() - make_interval(secs => $1)",
                                    [Double(seconds)])[0].decode(0, as: Int.self) == 0
    }

    /// The digests of the objects on the volume, and the temporary files.
    func objects() -> Set<String> {
        var names: Set<String> = []
        let root = stack.documentDirectory.appendingPathComponent("objects").path
        for fan in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + fan)) ?? [] { names.insert(name) }
        }
        return names
    }

    func temporaryFiles() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: stack.documentDirectory.appendingPathComponent("tmp").path)) ?? []
    }

    /// `clientctl documents verify --json` against the stack: exit status and report.
    func verify() throws -> (status: Int32, report: [String: Any]) {
        let result = try ExternalProgram.run(ServiceProcess.binDirectory.appendingPathComponent("clientctl").path,
                                             ["documents", "verify", "--json"],
                                             environment: ["DOCUMENT_SERVICE_URL": stack.documentStore.baseURL,
                                                           "INTERNAL_TOKEN": stack.internalToken])
        let report = (try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))) as? [String: Any] ?? [:]
        return (result.status, report)
    }

    static func sha256(_ bytes: [UInt8]) -> String { Hex.encode(SHA256.hash(bytes)) }

    /// A PDF-looking file of `size` bytes (its magic, then pseudo-random bytes).
    static func pdf(_ size: Int, seed: UInt64 = 1) -> [UInt8] {
        var bytes = Array("%PDF-1.7\n".utf8.prefix(size))
        var state = seed
        bytes.reserveCapacity(size)
        while bytes.count < size {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var word = state
            for _ in 0..<8 where bytes.count < size {
                bytes.append(UInt8(truncatingIfNeeded: word >> 56))
                word <<= 8
            }
        }
        return bytes
    }

    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR-png-body".utf8)
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10] + Array("JFIF-jpeg-body".utf8)
    static let elf: [UInt8] = [0x7F] + Array("ELF".utf8) + [2, 1, 1, 0] + [UInt8](repeating: 0x90, count: 64)
}

/// `bytes` as an async sequence of `size`-byte chunks.
struct Chunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let bytes: [UInt8]
    let size: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let size: Int
        var offset = 0
        mutating func next() async throws -> [UInt8]? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(bytes.count, offset + size)
            defer { offset = end }
            return Array(bytes[offset..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, size: size) }
}
