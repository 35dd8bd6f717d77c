/// The configuration variables one executable reads, found in the sources so the list cannot
/// drift from the code.
///
/// Everything in the executable's own target counts. Of the shared modules it depends on, only
/// functions it can reach count: starting from the calls in its own sources, a call reaches
/// every function of that name (of that type, when the call names one, as in
/// `ServiceMain.run(` or `SessionSettings(`), and so on through those functions' calls. So the
/// gateway reads `DATABASE_URL` because it calls `openPostgres`, while crm-sync, which links the
/// same module but never calls it, does not. Calls through closures or function references are
/// not followed; `SwiftSourceFile.Opaque` lists reads the scan cannot name.
struct ServiceVariables {
    /// Product name, e.g. `gateway`.
    var product: String
    /// Variable name → every read of it.
    var reads: [String: [EnvironmentRead]]
    /// Prefixes read wholesale (`KAFKA_`: passed to librdkafka).
    var prefixes: Set<String>

    /// Whether the executable stops at start when `name` is unset.
    func isRequired(_ name: String) -> Bool {
        reads[name]?.contains { !$0.hasDefault } ?? false
    }

    /// Whether the executable reads `name`, by name or by prefix.
    func reads(_ name: String) -> Bool {
        reads[name] != nil || prefixes.contains { name.hasPrefix($0) && name.count > $0.count }
    }

    /// The default the sources give `name`, when they agree on one literal.
    func defaultValue(of name: String) -> String? {
        let values = Set((reads[name] ?? []).compactMap(\.defaultValue))
        return values.count == 1 ? values.first : nil
    }
}
