import Errors
import Foundation
import Identity
import Postgres
import ServiceRuntime

/// `clientctl company …`, `clientctl api-key …` and `clientctl create-admin …`: companies, API
/// keys and super-admins, written straight into the gateway's database (`DATABASE_URL`, the
/// same value the gateway reads).
///
/// The identity migrations are applied first (under their advisory lock), so these work
/// before the gateway has ever started.
enum IdentityCommands {
    static let usage = """
    usage:
      clientctl company create NAME
      clientctl company time-zone <id|name> ZONE   (an IANA name such as Australia/Sydney: care appointments' local times)
      clientctl api-key issue --company <id|name> [--permissions clients:read,clients:write]
      clientctl api-key revoke <key id>
      clientctl create-admin --email EMAIL [--name NAME]   (password from ADMIN_PASSWORD, else stdin)
      clientctl audit export [--client N] [--user ID] [--from T] [--to T]   (JSON lines on stdout)
    """

    /// Runs `arguments` (after `company` or `api-key`); returns the exit status.
    static func run(_ command: String, arguments: [String], environment: EnvironmentReader) async -> Int32 {
        var password: String?
        if command == "create-admin" {
            // Read before connecting, so a prompt is not interleaved with connection errors.
            password = environment.values["ADMIN_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 } ?? readLine(strippingNewline: true)
            guard password?.isEmpty == false else {
                fail("create-admin needs a password in ADMIN_PASSWORD or on standard input")
                return 2
            }
        }
        let pool: PostgresPool
        do {
            let url = try environment.requiredString("DATABASE_URL")
            pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 1))
        } catch {
            fail("\(error)")
            return 78
        }
        do {
            _ = try await MigrationRunner(migrations: IdentitySchema.migrations).apply(on: pool)
            let store = IdentityStore(pool: pool)
            let status = try await dispatch(command, arguments: arguments, password: password, store: store)
            await pool.close()
            return status
        } catch let error as any ClienteleErrorConvertible {
            fail(error.clienteleError.message)
            await pool.close()
            return 1
        } catch {
            fail("\(error)")
            await pool.close()
            return 1
        }
    }

    private static func dispatch(_ command: String, arguments: [String], password: String?,
                                 store: IdentityStore) async throws -> Int32 {
        switch (command, arguments.first) {
        case ("create-admin", _):
            var email: String?
            var name = "Administrator"
            var rest = arguments[...]
            while let flag = rest.popFirst() {
                guard let value = rest.popFirst() else { return usageError() }
                switch flag {
                case "--email": email = value
                case "--name": name = value
                default: return usageError()
                }
            }
            guard let email, let password else { return usageError() }
            let user = try await store.createUser(NewUser(email: email, name: name, password: password,
                                                          roles: [Role.superAdmin], companyIds: []))
            print("super-admin \(user.id.lowercasedString) number \(user.number) email \(user.email)")
            return 0
        case ("company", "create"):
            let name = arguments.dropFirst().joined(separator: " ")
            guard !name.isEmpty else { return usageError() }
            let company = try await store.createCompany(name: name)
            print("company \(company.id.lowercasedString) number \(company.number) name \(company.name)")
            return 0
        case ("company", "time-zone"):
            guard arguments.count == 3 else { return usageError() }
            guard let company = try await store.company(reference: arguments[1]) else {
                fail("no company \(arguments[1])")
                return 1
            }
            try await store.setTimeZone(ofCompany: company.id, to: arguments[2])
            print("company \(company.id.lowercasedString) time zone \(arguments[2])")
            return 0
        case ("api-key", "issue"):
            var companyReference: String?
            var permissions = APIKeyPermission.defaults
            var rest = arguments.dropFirst()
            while let flag = rest.popFirst() {
                guard let value = rest.popFirst() else { return usageError() }
                switch flag {
                case "--company": companyReference = value
                case "--permissions": permissions = Set(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                default: return usageError()
                }
            }
            guard let companyReference else { return usageError() }
            guard let company = try await store.company(reference: companyReference) else {
                fail("no company \(companyReference)")
                return 1
            }
            let issued = try await store.issueAPIKey(companyId: company.id, permissions: permissions)
            print("api key \(issued.key.id.lowercasedString) for company \(company.name) with \(issued.key.permissions.sorted().joined(separator: ","))")
            print("secret (shown once, store it now): \(issued.secret)")
            return 0
        case ("audit", "export"):
            var query = CareAccessLog.Query(limit: 1000)
            var rest = arguments.dropFirst()
            while let flag = rest.popFirst() {
                guard let value = rest.popFirst() else { return usageError() }
                switch flag {
                // A value that does not read is a usage error, never an unfiltered export.
                case "--client": guard let number = Int64(value) else { return usageError() }
                    query.clientNumber = number
                case "--user": guard let id = UUID(uuidString: value) else { return usageError() }
                    query.userId = id
                case "--from": guard let from = ISO8601DateFormatter().date(from: value) else { return usageError() }
                    query.from = from
                case "--to": guard let to = ISO8601DateFormatter().date(from: value) else { return usageError() }
                    query.to = to
                default: return usageError()
                }
            }
            let log = CareAccessLog(pool: store.pool)
            while true {
                let records = try await log.records(query)
                var out = ""
                for record in records { out += String(decoding: record.json.serialized(), as: UTF8.self) + "\n" }
                FileHandle.standardOutput.write(Data(out.utf8))
                guard records.count == query.limit, let last = records.last?.id else { return 0 }
                query.after = last
            }
        case ("api-key", "revoke"):
            guard arguments.count == 2, let id = UUID(uuidString: arguments[1]) else { return usageError() }
            guard try await store.revokeAPIKey(id: id) else {
                fail("no live API key \(arguments[1])")
                return 1
            }
            print("revoked \(id.lowercasedString)")
            return 0
        default:
            return usageError()
        }
    }

    private static func usageError() -> Int32 {
        fail("\n" + usage)
        return 2
    }

    private static func fail(_ message: String) {
        FileHandle.standardError.write(Data("clientctl: \(message)\n".utf8))
    }
}
