import Foundation
import ServiceRuntime

/// `clientctl privacy …`: the operator's side of the privacy rules (docs/operations.md): a
/// client's erasure, the care purge, the sealing of a history stored before sealing existed,
/// and a client's own-data export. Each subcommand is in its own `PrivacyCommand+…` file.
enum PrivacyCommand {
    static let usage = """
    usage: clientctl privacy erase CLIENT_UUID
           clientctl privacy purge --terminated-before YYYY-MM-DD [--yes]
           clientctl privacy encrypt-history
           clientctl privacy export CLIENT [--output FILE]

      erase            erase one client: its key, its events' readability, every read model's
                       rows, its documents and files, its CRM contact; prints the receipt (run
                       again to resume)
      purge            erase the care clients terminated (unchanged since) before the date, in
                       every company; without --yes only lists them. NDIS providers keep
                       participant records for seven years (the NDIS record-keeping period):
                       choose a date at least seven years back, e.g. --terminated-before \(PrivacyCommand.sevenYearsAgo())
      encrypt-history  seal the events stored before sealing existed, then republish the log
      export           a client's own data (APP 12) as one JSON document, through the gateway's
                       admin export as the staff user of STAFF_SESSION_TOKEN; CLIENT is
                       client_<number> or the number; FILE is created readable by its owner only

    """

    static func run(arguments: [String], environment: EnvironmentReader) async throws -> Int32 {
        switch arguments.first {
        case "erase", "purge": try await erasure(arguments: arguments, environment: environment)
        case "encrypt-history": try await encryptHistory(arguments: arguments, environment: environment)
        case "export": try await export(arguments: arguments, environment: environment)
        default: bad(nil)
        }
    }

    /// Writes `problem` and the usage to standard error; exit code 2.
    static func bad(_ problem: String?) -> Int32 {
        FileHandle.standardError.write(Data(((problem.map { "clientctl: \($0)\n" } ?? "") + usage).utf8))
        return 2
    }
}
