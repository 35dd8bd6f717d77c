import Foundation
import HTTP
import TestSupport
import XCTest

/// The issue's property: anything an API accepts, every read model can store.
///
/// Random Unicode text (combining marks, sometimes thousands in a row; astral planes; NUL,
/// other C0 and C1 controls and DEL; line feeds and tabs; right-to-left marks and other
/// format characters; noncharacters; lone surrogates as `\uD800`-style escapes; every
/// character sometimes written as a `\u` escape) goes through every write route of every
/// face, as one company: the organization API's create and update, the leads API's create
/// and update, the admin API's create, update and bulk update. Each write must get a 4xx
/// (never a 5xx) or become visible: read back through its face equal, code point for code
/// point, to what was sent after the face's documented normalisation (the leads API trims
/// an email's spaces; the admin API's display name defaults to the email's local part; a
/// lead's agent without a name takes the user's). At the end every client is made inactive
/// through its face, and the stats projection must count every created client as inactive:
/// each stream's last event applied means none of its earlier ones stopped the projection.
///
/// The seed is printed; `UNICODE_PROPERTY_SEED=<seed>` replays a run.
final class UnicodeInputPropertyTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    /// Rounds of one create and one update per face plus one bulk update.
    static let rounds = 40

    func testEveryWriteOfRandomUnicodeIsRefusedOrVisibleInBothProjections() async throws {
        let seed = ProcessInfo.processInfo.environment["UNICODE_PROPERTY_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        print("unicode input property test seed: \(seed) (UNICODE_PROPERTY_SEED=\(seed) replays it)")
        var run = PropertyRun(faces: try await CompanyFaces.make(http: http), rng: SplitMix64(state: seed), seed: seed)
        for _ in 0..<Self.rounds {
            try await run.createOrganizationClient()
            try await run.createLead()
            try await run.createAdminClient()
            try await run.updateOrganizationClient()
            try await run.updateLead()
            try await run.updateAdminClient()
            try await run.bulkUpdateAdminClients()
        }
        try await run.deactivateEveryClientAndCheckBothProjections()
        print("unicode input property test: \(run.accepted) writes accepted, \(run.refused) refused, "
              + "\(run.clients.count) clients (seed \(seed))")
        // A run that accepts nothing, or refuses nothing, tests nothing.
        XCTAssertGreaterThan(run.accepted, 10, "seed \(seed)")
        XCTAssertGreaterThan(run.refused, 10, "seed \(seed)")
    }
}

/// Random text as the pieces of a JSON string: code points, or lone UTF-16 surrogates that
/// only a `\u` escape can carry.
struct RandomText {
    enum Piece {
        case scalar(Unicode.Scalar)
        case loneSurrogate(UInt32)
    }

    var pieces: [Piece]

    /// The string a server reads from the JSON; nil when it holds a lone surrogate, which no
    /// valid string can.
    var value: String? {
        var scalars = String.UnicodeScalarView()
        for piece in pieces {
            guard case .scalar(let scalar) = piece else { return nil }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// Random text: mostly printable text of every kind, sometimes anything at all, sometimes
    /// long enough to pass a field's limits.
    static func random(using rng: inout SplitMix64) -> RandomText {
        let anything = Int.random(in: 0..<10, using: &rng) < 4
        let length = switch Int.random(in: 0..<20, using: &rng) {
        case 0: Int.random(in: 150...1_200, using: &rng)
        case 1: 0
        default: Int.random(in: 1...24, using: &rng)
        }
        var pieces: [Piece] = []
        while pieces.count < length {
            let kind = Int.random(in: 0..<(anything ? 100 : 78), using: &rng)
            func scalar(_ range: ClosedRange<UInt32>) -> Piece {
                .scalar(Unicode.Scalar(UInt32.random(in: range, using: &rng))!)
            }
            switch kind {
            case 0..<30: pieces.append(scalar(0x20...0x7E))
            case 30..<45:
                let scripts: [ClosedRange<UInt32>] = [0xC0...0xFF, 0x391...0x3C9, 0x410...0x44F, 0x5D0...0x5EA, 0x627...0x64A,
                                                      0x4E00...0x9FFF, 0xAC00...0xD7A3]
                pieces.append(scalar(scripts[Int.random(in: 0..<scripts.count, using: &rng)]))
            case 45..<55:
                // Combining marks; now and then a long run of them on one base character.
                let run = Int.random(in: 0..<12, using: &rng) == 0 ? Int.random(in: 50...3_000, using: &rng) : 1
                for _ in 0..<run { pieces.append(scalar(Bool.random(using: &rng) ? 0x300...0x36F : 0x1DC0...0x1DFF)) }
            case 55..<63:
                let astral: [ClosedRange<UInt32>] = [0x1F300...0x1FAFF, 0x20000...0x2A6DF, 0x1D400...0x1D7FF, 0xE0020...0xE007F]
                pieces.append(scalar(astral[Int.random(in: 0..<astral.count, using: &rng)]))
            case 63..<70:
                let format: [UInt32] = [0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
                                        0x200D, 0x200B, 0xFEFF, 0x061C, 0x2028, 0x2029, 0x00A0, 0x3000]
                pieces.append(.scalar(Unicode.Scalar(format[Int.random(in: 0..<format.count, using: &rng)])!))
            case 70..<78: pieces.append(scalar(0x20...0x7E))
            // Only when anything goes:
            case 78..<84: pieces.append(.scalar(Bool.random(using: &rng) ? "\n" : "\t"))
            case 84..<89: pieces.append(scalar(0x00...0x1F))
            case 89..<93: pieces.append(scalar(0x7F...0x9F))
            case 93..<97:
                let noncharacters: [UInt32] = [0xFFFE, 0xFFFF, 0xFDD0, 0xFDEF, 0x1FFFE, 0x10FFFF]
                pieces.append(.scalar(Unicode.Scalar(noncharacters[Int.random(in: 0..<noncharacters.count, using: &rng)])!))
            default:
                // A low surrogate straight after a high one would make a valid pair, not a
                // lone surrogate: after a high one, only another high one.
                let afterHigh = if case .loneSurrogate(let unit)? = pieces.last { unit < 0xDC00 } else { false }
                pieces.append(.loneSurrogate(UInt32.random(in: afterHigh ? 0xD800...0xDBFF : 0xD800...0xDFFF, using: &rng)))
            }
        }
        return RandomText(pieces: pieces)
    }

    /// The text as a JSON string literal; each character is sometimes written as a `\u`
    /// escape (a surrogate pair above the BMP).
    func jsonLiteral(using rng: inout SplitMix64) -> String {
        var out = "\""
        func escape(_ unit: UInt32) { out += "\\u" + String(repeating: "0", count: 4 - String(unit, radix: 16).count) + String(unit, radix: 16) }
        for piece in pieces {
            switch piece {
            case .loneSurrogate(let unit): escape(unit)
            case .scalar(let scalar):
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n" where Bool.random(using: &rng): out += "\\n"
                case "\t" where Bool.random(using: &rng): out += "\\t"
                case _ where scalar.value < 0x20 || Int.random(in: 0..<8, using: &rng) == 0:
                    if scalar.value > 0xFFFF {
                        let offset = scalar.value - 0x10000
                        escape(0xD800 + (offset >> 10))
                        escape(0xDC00 + (offset & 0x3FF))
                    } else {
                        escape(scalar.value)
                    }
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// One run of the property test: the writes so far and what each client should read back as.
struct PropertyRun {
    enum Face { case organization, leads, admin }

    /// A client written through `face` at `path` (its GET and its update route), and the
    /// fields its GET should show.
    struct Written {
        var face: Face
        var path: String
        var expected: [String: JSONValue]
    }

    /// A body member: random text, a fixed JSON value, or a lead's agents (the JSON sent and
    /// the list the face should show; nil when an agent's name carries a lone surrogate).
    enum Member {
        case text(RandomText)
        case json(JSONValue)
        case agents(sent: String, shown: JSONValue?)
    }

    let faces: CompanyFaces
    var rng: SplitMix64
    let seed: UInt64
    var clients: [Written] = []
    var accepted = 0
    var refused = 0
    var emailCounter = 0

    init(faces: CompanyFaces, rng: SplitMix64, seed: UInt64) {
        self.faces = faces
        self.rng = rng
        self.seed = seed
    }

    // MARK: Writes

    mutating func createOrganizationClient() async throws {
        var members: [(String, Member)] = [("name", .text(text()))]
        for field in ["phone", "notes"] where coin() { members.append((field, .text(text()))) }
        let reply = try await send(.POST, "/api/v1/clients", .apiKey(faces.apiKey), members)
        guard try check(reply, 201, "organization create", members), case .string(let id)? = reply.json["data"]?["id"] else { return }
        var expected: [String: JSONValue] = ["name": .null, "phone": .null, "notes": .null, "status": "active"]
        for (field, member) in members { expected[field] = value(member) }
        try await track(Written(face: .organization, path: "/api/v1/clients/\(id)", expected: expected))
    }

    mutating func updateOrganizationClient() async throws {
        guard var client = pick(.organization) else { return }
        var members: [(String, Member)] = []
        if coin() { members.append(("name", .text(text()))) }
        for field in ["phone", "notes"] where coin() { members.append((field, textOrNull())) }
        if members.isEmpty { members.append(("notes", .text(text()))) }
        let reply = try await send(.PATCH, client.path, .apiKey(faces.apiKey), members)
        guard try check(reply, 200, "organization update", members) else { return }
        for (field, member) in members { client.expected[field] = value(member) }
        try await track(client)
    }

    mutating func createLead() async throws {
        var members: [(String, Member)] = [("name", .text(text())), ("email", email()), ("company", .json(.int(faces.companyNumber)))]
        for field in ["phone", "address", "source"] where coin() { members.append((field, .text(text()))) }
        if coin() { members.append(("agents", agents())) }
        let reply = try await send(.POST, "/api/clients", .session(faces.admin), members)
        guard try check(reply, 201, "leads create", members), let location = reply.headers["Location"] else { return }
        var expected: [String: JSONValue] = ["phone": .null, "address": .null, "source": .null, "agents": [], "isActive": true]
        for (field, member) in members where field != "company" { expected[field] = leadsValue(field, member) }
        try await track(Written(face: .leads, path: "/api/clients/" + (location.split(separator: "/").last ?? ""), expected: expected))
    }

    mutating func updateLead() async throws {
        guard var client = pick(.leads) else { return }
        var members: [(String, Member)] = []
        if coin() { members.append(("name", .text(text()))) }
        if coin() { members.append(("email", email())) }
        for field in ["phone", "address", "source"] where coin() { members.append((field, textOrNull())) }
        if coin() { members.append(("agents", coin() ? agents() : .json(.null))) }
        if members.isEmpty { members.append(("source", .text(text()))) }
        let reply = try await send(.PUT, client.path, .session(faces.admin), members)
        guard try check(reply, 200, "leads update", members) else { return }
        for (field, member) in members { client.expected[field] = leadsValue(field, member) }
        try await track(client)
    }

    static let adminTexts = ["displayName", "bio", "jobTitle", "company", "industry", "phone", "location"]

    mutating func createAdminClient() async throws {
        var members: [(String, Member)] = [("email", email())]
        for field in Self.adminTexts where coin() { members.append((field, .text(text()))) }
        let reply = try await send(.POST, "/api/admin/clients", .session(faces.admin), members)
        guard try check(reply, 200, "admin create", members), case .string(let id)? = reply.json["data"]?["id"] else { return }
        var expected: [String: JSONValue] = Dictionary(uniqueKeysWithValues: Self.adminTexts.map { ($0, JSONValue.null) })
        expected["status"] = "active"
        for (field, member) in members { expected[field] = value(member) }
        if expected["displayName"] == .null, case .string(let email)? = expected["email"], let local = email.split(separator: "@").first {
            expected["displayName"] = .string(String(local.prefix(200)))
        }
        try await track(Written(face: .admin, path: "/api/admin/clients/\(id)", expected: expected))
    }

    /// Random admin changes: any text field (null clears, or is refused for the display name)
    /// and sometimes the email.
    mutating func adminChanges() -> [(String, Member)] {
        var members: [(String, Member)] = []
        if Int.random(in: 0..<4, using: &rng) == 0 { members.append(("email", email())) }
        for field in Self.adminTexts where Int.random(in: 0..<3, using: &rng) == 0 { members.append((field, textOrNull())) }
        if members.isEmpty { members.append(("location", .text(text()))) }
        return members
    }

    mutating func updateAdminClient() async throws {
        guard var client = pick(.admin) else { return }
        let members = adminChanges()
        let reply = try await send(.PUT, client.path, .session(faces.admin), members)
        guard try check(reply, 200, "admin update", members) else { return }
        for (field, member) in members { client.expected[field] = value(member) }
        try await track(client)
    }

    mutating func bulkUpdateAdminClients() async throws {
        let admins = clients.indices.filter { clients[$0].face == .admin }.shuffled(using: &rng)
        guard !admins.isEmpty else { return }
        let chosen = Array(admins.prefix(Int.random(in: 1...3, using: &rng)))
        var items: [String] = []
        var changes: [[(String, Member)]] = []
        for index in chosen {
            let members = adminChanges()
            changes.append(members)
            let id = clients[index].path.split(separator: "/").last ?? ""
            items.append(objectText([("id", .json(.string(String(id))))] + members))
        }
        let body = Array(("{\"clients\":[" + items.joined(separator: ",") + "]}").utf8)
        let reply = try await faces.gateway.call(.PUT, "/api/admin/clients/bulk", as: .session(faces.admin), body: body)
        // A body the parser refuses (a lone surrogate) refuses every item.
        if (400..<500).contains(reply.status) {
            refused += chosen.count
            return
        }
        guard reply.status == 200 else {
            return XCTFail("admin bulk update answered \(reply.status) (seed \(seed)): \(reply.excerpt)")
        }
        guard case .array(let errors)? = reply.json["errors"], case .array(let results)? = reply.json["results"] else {
            return XCTFail("admin bulk update: no results (seed \(seed)): \(reply.excerpt)")
        }
        for error in errors {
            let message = jsonText(error["error"])
            XCTAssertFalse(message.contains("Internal server error") || message.contains("temporarily unavailable"),
                           "a bulk item failed on the server (seed \(seed)): \(reply.excerpt)")
            refused += 1
        }
        for result in results {
            guard case .int(let index)? = result["index"], changes.indices.contains(Int(index)) else { continue }
            var client = clients[chosen[Int(index)]]
            for (field, member) in changes[Int(index)] { client.expected[field] = value(member) }
            accepted += 1
            try await track(client)
        }
    }

    /// Makes every client inactive through its face, checks each reads back as expected, and
    /// waits until the stats projection counts them all as inactive.
    mutating func deactivateEveryClientAndCheckBothProjections() async throws {
        for index in clients.indices {
            var client = clients[index]
            let (credential, body, status): (Credential, JSONValue, (String, JSONValue)) = switch client.face {
            case .organization: (.apiKey(faces.apiKey), ["status": "inactive"], ("status", "inactive"))
            case .leads: (.session(faces.admin), ["isActive": false], ("isActive", false))
            case .admin: (.session(faces.admin), ["status": "inactive"], ("status", "inactive"))
            }
            let method: HTTPMethod = client.face == .organization ? .PATCH : .PUT
            let reply = try await faces.gateway.call(method, client.path, as: credential, json: body)
            XCTAssertEqual(reply.status, 200, "deactivating \(client.path) (seed \(seed)): \(reply.excerpt)")
            client.expected[status.0] = status.1
            try await track(client)
        }
        let count = JSONValue.int(Int64(clients.count))
        _ = try await faces.stats { data in
            data["overview"]?["totalClients"] == count && data["overview"]?["inactiveClients"] == count
        }
    }

    // MARK: Parts

    private mutating func coin() -> Bool { Bool.random(using: &rng) }

    private mutating func text() -> RandomText { RandomText.random(using: &rng) }

    private mutating func textOrNull() -> Member { Int.random(in: 0..<4, using: &rng) == 0 ? .json(.null) : .text(text()) }

    /// An email, unique in the run unless it is random text; sometimes with random text in its
    /// local part or spaces around it.
    private mutating func email() -> Member {
        emailCounter += 1
        let unique = "p\(emailCounter)"
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<5: return .json(.string("\(unique)@example.com"))
        case 5..<8: return .text(RandomText(pieces: Array("\(unique).".unicodeScalars.map(RandomText.Piece.scalar))
                + text().pieces.prefix(40) + "@example.com".unicodeScalars.map(RandomText.Piece.scalar)))
        case 8: return .json(.string("  \(unique)@example.com "))
        default: return .text(text())
        }
    }

    /// One agent (the company's admin), with a random name, an empty one or none (the last two
    /// show the user's name).
    private mutating func agents() -> Member {
        var sent = "{\"agentId\":\(faces.adminNumber)"
        var name: String? = ""
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: break
        case 1: sent += ",\"agentName\":\"\""
        default:
            let random = text()
            sent += ",\"agentName\":" + random.jsonLiteral(using: &rng)
            name = random.value
        }
        let shown = name.map { name -> JSONValue in
            [["agentId": .int(faces.adminNumber), "agentName": .string(name.isEmpty ? faces.adminName : name)]]
        }
        return .agents(sent: "[" + sent + "}]", shown: shown)
    }

    /// The value a member sets, as the face shows it.
    private func value(_ member: Member) -> JSONValue {
        switch member {
        case .text(let text): text.value.map(JSONValue.string) ?? .null
        case .json(let json): json
        case .agents(_, let shown): shown ?? .null
        }
    }

    /// As `value`, with the leads API's normalisation: the email trimmed of spaces, an agent's
    /// missing name the user's, cleared agents an empty list.
    private func leadsValue(_ field: String, _ member: Member) -> JSONValue {
        let shown = value(member)
        switch (field, shown) {
        case ("email", .string(let email)): return .string(email.trimmingCharacters(in: .whitespaces))
        case ("agents", .null): return []
        default: return shown
        }
    }

    /// `members` as a JSON object's text, random text written by `RandomText.jsonLiteral`.
    private mutating func objectText(_ members: [(String, Member)]) -> String {
        var parts: [String] = []
        for (field, member) in members {
            let literal: String
            switch member {
            case .text(let text): literal = text.jsonLiteral(using: &rng)
            case .json(let json): literal = String(decoding: json.serialized(), as: UTF8.self)
            case .agents(let sent, _): literal = sent
            }
            parts.append("\"\(field)\":" + literal)
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    private mutating func send(_ method: HTTPMethod, _ path: String, _ credential: Credential,
                               _ members: [(String, Member)]) async throws -> GatewayReply {
        try await faces.gateway.call(method, path, as: credential, body: Array(objectText(members).utf8))
    }

    /// Whether the write was accepted with `status`; a 4xx counts as refused; anything else fails
    /// the test. An accepted write must not have carried a lone surrogate.
    private mutating func check(_ reply: GatewayReply, _ status: Int, _ what: String,
                                _ members: [(String, Member)]) throws -> Bool {
        if reply.status == status {
            for (field, member) in members {
                let carriesLoneSurrogate = switch member {
                case .text(let text): text.value == nil
                case .agents(_, let shown): shown == nil
                case .json: false
                }
                if carriesLoneSurrogate { XCTFail("\(what) accepted a lone surrogate in \(field) (seed \(seed))") }
            }
            accepted += 1
            return true
        }
        if (400..<500).contains(reply.status) {
            refused += 1
            return false
        }
        XCTFail("\(what) answered \(reply.status) (seed \(seed)): \(reply.excerpt)")
        return false
    }

    private mutating func pick(_ face: Face) -> Written? {
        let candidates = clients.filter { $0.face == face }
        return candidates.isEmpty ? nil : candidates[Int.random(in: 0..<candidates.count, using: &rng)]
    }

    /// Records `client` (new or updated) and waits until its face reads it back as expected.
    private mutating func track(_ client: Written) async throws {
        if let index = clients.firstIndex(where: { $0.path == client.path }) { clients[index] = client } else { clients.append(client) }
        let credential: Credential = client.face == .organization ? .apiKey(faces.apiKey) : .session(faces.admin)
        let key = client.face == .leads ? "leads" : "data"
        var mismatch = ""
        let faces = self.faces
        try await eventually("\(client.path) reads back as written (seed \(seed)): \(mismatch)", timeout: .seconds(10)) {
            let reply = try await faces.gateway.call(.GET, client.path, as: credential)
            let shown = reply.json[key]
            mismatch = client.expected.keys.sorted().compactMap { field in
                let want = jsonText(client.expected[field]), got = jsonText(shown?[field])
                return want == got ? nil : "\(field): expected \(excerptOf(want)), got \(excerptOf(got))"
            }.joined(separator: "; ")
            if reply.status != 200 { mismatch = "GET answered \(reply.status): \(reply.excerpt)" }
            return reply.status == 200 && mismatch.isEmpty
        }
    }
}
