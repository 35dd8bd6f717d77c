import Foundation

extension DeploymentChecks {
    /// Names other programs read that a script may set or use: not Clientele configuration.
    static let externalNames: Set<String> = ["LD_LIBRARY_PATH", "PGPASSWORD", "BASH_SOURCE", "PATH", "HOME"]

    /// Every variable a built service's program reads without a default is set to something
    /// (a value, or `${NAME:?…}` so compose refuses to start without it).
    func requiredVariableProblems() throws -> [String] {
        var problems: [String] = []
        for service in builtServices {
            guard let variables = variables(of: service) else { continue }
            let environment = try environment(of: service)
            for name in variables.reads.keys.sorted() where variables.isRequired(name) {
                if (environment[name] ?? "").isEmpty {
                    let location = variables.reads[name]?.first { !$0.hasDefault }?.location ?? "?"
                    problems.append("service \(service.name) (\(variables.product)) requires \(name) (read at \(location)) but docker-compose.yml does not set it")
                }
            }
        }
        return problems
    }

    /// A built service is given only variables its program reads (a misspelt name would
    /// otherwise be silently ignored, and a secret handed to a service that has no use for it).
    func unknownVariableProblems() -> [String] {
        var problems: [String] = []
        for service in builtServices {
            guard let variables = variables(of: service) else { continue }
            for name in service.environment.keys.sorted() where !variables.reads(name) {
                problems.append("service \(service.name) sets \(name), which \(variables.product) never reads")
            }
        }
        return problems
    }

    /// Every interpolation is well formed and says what happens when the host does not set
    /// the variable: `${NAME:-default}` or `${NAME:?message}`, never a silent empty value.
    func interpolationProblems() -> [String] {
        var problems: [String] = []
        for (path, value) in compose.scalars {
            do {
                for reference in try ComposeInterpolation.references(in: value) where reference.kind == .plain {
                    problems.append("\(path): ${\(reference.name)} has neither a default (:-) nor a required marker (:?)")
                }
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        return problems
    }

    /// The host variables docker-compose.yml interpolates (the .env file's names).
    func hostVariables() throws -> Set<String> {
        var names: Set<String> = []
        for (_, value) in compose.scalars {
            names.formUnion(try ComposeInterpolation.references(in: value).map(\.name))
        }
        return names
    }

    /// The host variables the compose file interpolates are exactly those that
    /// `envExample` and the `.env` table of `configuration` (docs/configuration.md) list.
    func hostVariableProblems(envExample: String, configuration: String) throws -> [String] {
        let documented = ConfigurationDocument.composeEnvironment
        guard let table = documented.find(in: configuration) else { return [documented.missing] }
        var problems: [String] = []
        let used = try hostVariables()
        let example = EnvFileNames.parse(envExample)
        let listed = Set(table.firstColumnNames)
        for name in used.sorted() {
            if !example.contains(name) { problems.append("docker-compose.yml interpolates \(name), which deploy/compose.env.example does not list") }
            if !listed.contains(name) { problems.append("docker-compose.yml interpolates \(name), which \(documented.name) does not list") }
        }
        for name in example.subtracting(used).sorted() {
            problems.append("deploy/compose.env.example lists \(name), which docker-compose.yml does not use")
        }
        for name in listed.subtracting(used).sorted() {
            problems.append("\(documented.name) lists \(name), which docker-compose.yml does not use")
        }
        return problems
    }

    /// Every variable any executable reads is in the service variables table of
    /// `configuration` (docs/configuration.md), every row names a variable something reads,
    /// its services cell names exactly the executables that read it ("all": every one that
    /// serves HTTP; "same": as the row above), and its default cell shows the sources'
    /// literal default.
    func configurationProblems(configuration: String) -> [String] {
        let documented = ConfigurationDocument.serviceVariables
        guard let table = documented.find(in: configuration) else { return [documented.missing] }
        var problems: [String] = []
        var readers: [String: Set<String>] = [:]
        for (product, variables) in variablesByProduct {
            for name in variables.reads.keys { readers[name, default: []].insert(product) }
            for prefix in variables.prefixes { readers[prefix + "*", default: []].insert(product) }
        }
        let listed = Set(table.firstColumnNames)
        for name in readers.keys.sorted() where !listed.contains(name) {
            problems.append("\(name) (read by \(readers[name]!.sorted().joined(separator: ", "))) is missing from \(documented.name)")
        }
        let servers = Set(variablesByProduct.filter { $0.value.reads("HTTP_PORT") }.keys)
        var previous: Set<String> = []
        for row in table.rows {
            let servicesCell = row.count > 2 ? row[2] : ""
            var named: Set<String>
            switch servicesCell {
            case "all": named = servers
            case "same": named = previous
            default:
                named = Set(products.filter { product in
                    !SwiftSourceFile.matches(#"(?<![\w-])\#(NSRegularExpression.escapedPattern(for: product))(?![\w-])"#,
                                             in: servicesCell as NSString).isEmpty
                })
            }
            previous = named
            for name in MarkdownSection.backtickedNames(in: row.first ?? "") {
                guard let actual = readers[name] else {
                    problems.append("\(documented.name) lists \(name), which no executable reads")
                    continue
                }
                if named != actual {
                    problems.append("\(documented.name) says \(name) is read by \(named.sorted().joined(separator: ", ")); the sources say \(actual.sorted().joined(separator: ", "))")
                }
                let defaults = Set(actual.compactMap { variablesByProduct[$0]?.defaultValue(of: name) }.filter { !$0.isEmpty })
                let defaultCell = (row.count > 1 ? row[1] : "").replacingOccurrences(of: "`", with: "")
                for value in defaults.sorted() where !defaultCell.contains(value) {
                    problems.append("\(documented.name) gives \(name) the default \"\(defaultCell)\"; the sources default to \(value)")
                }
            }
        }
        return problems
    }

    /// The local stack script uses only names the services read, names the local stack table
    /// of `configuration` (docs/configuration.md) documents as its own settings, and names of
    /// the other programs it runs; every name that table lists, it uses.
    func localStackProblems(script: String, configuration: String) -> [String] {
        let documented = ConfigurationDocument.localStack
        guard let table = documented.find(in: configuration) else { return [documented.missing] }
        let own = Set(table.firstColumnNames)
        var problems: [String] = []
        let used = ShellScriptVariables(script: script).names
        let services = Array(variablesByProduct.values)
        for (name, line) in used.sorted(by: { $0.key < $1.key }) {
            let readByAService = services.contains { $0.reads(name) }
            if !readByAService && !own.contains(name) && !Self.externalNames.contains(name) {
                problems.append("deploy/local/run.sh:\(line) uses \(name), which no service reads and \(documented.name) does not list")
            }
        }
        for name in own.sorted() where used[name] == nil {
            problems.append("\(documented.name) lists \(name), which deploy/local/run.sh does not use")
        }
        return problems
    }
}
