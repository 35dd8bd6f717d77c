/// One service of a compose file, in the forms compose accepts (short and long syntax), with
/// values as written (before interpolation).
struct ComposeService {
    /// A volume mount: `source` is a named volume when it is not a path.
    struct Mount: Equatable {
        var source: String
        var target: String
        var isNamedVolume: Bool { !source.isEmpty && !source.hasPrefix("/") && !source.hasPrefix(".") && !source.hasPrefix("~") && !source.hasPrefix("$") }
    }

    var name: String
    var image: String?
    /// The Dockerfile when the service is built (`build:`), else nil.
    var dockerfile: String?
    var command: [String]?
    var entrypoint: [String]?
    /// Variable → value as written; nil for a bare name (taken from the host environment).
    var environment: [String: String?]
    /// The healthcheck's `test`, `["CMD", …]` or `["CMD-SHELL", "…"]`; nil when there is none.
    var healthcheck: [String]?
    var healthcheckDisabled: Bool
    var ports: [String]
    /// Service → condition (`service_started` for the list form).
    var dependsOn: [String: String]
    var mounts: [Mount]
    var restart: String?
    var stopGracePeriod: String?
    var profiles: [String]
    var envFiles: [String]
    var networkMode: String?

    /// The program the container runs: the entrypoint's first word, else the command's.
    var program: String? { entrypoint?.first ?? command?.first }

    /// Runs once and exits (an init step or a tool), rather than staying up.
    var isOneShot: Bool { restart == "no" }

    init(name: String, node: YAMLNode) throws {
        guard let mapping = node.mapping else { throw ComposeError("service \(name) is not a mapping") }
        self.name = name
        image = mapping["image"]?.string
        switch mapping["build"] {
        case .scalar?: dockerfile = "Dockerfile"
        case .mapping(let build)?: dockerfile = build["dockerfile"]?.string ?? "Dockerfile"
        default: dockerfile = nil
        }
        command = Self.words(mapping["command"])
        entrypoint = Self.words(mapping["entrypoint"])

        environment = [:]
        switch mapping["environment"] {
        case .mapping(let variables)?:
            for entry in variables.entries { environment[entry.key] = entry.value.string }
        case .sequence(let items)?:
            for item in items {
                guard let text = item.string else { throw ComposeError("service \(name): environment items must be strings") }
                if let equals = text.firstIndex(of: "=") {
                    environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
                } else {
                    environment[text] = String?.none
                }
            }
        case nil, .null?: break
        default: throw ComposeError("service \(name): environment must be a mapping or a list")
        }

        let health = mapping["healthcheck"]?.mapping
        healthcheckDisabled = health?["disable"]?.string == "true"
        switch health?["test"] {
        case .sequence(let items)?: healthcheck = items.compactMap(\.string)
        case .scalar(let text)?: healthcheck = ["CMD-SHELL", text]
        default: healthcheck = nil
        }

        ports = (mapping["ports"]?.sequence ?? []).map { port in
            if let text = port.string { return text }
            let published = port["published"]?.string ?? ""
            let target = port["target"]?.string ?? ""
            return "\(published):\(target)"
        }

        dependsOn = [:]
        switch mapping["depends_on"] {
        case .sequence(let items)?:
            for item in items { if let dependency = item.string { dependsOn[dependency] = "service_started" } }
        case .mapping(let dependencies)?:
            for entry in dependencies.entries { dependsOn[entry.key] = entry.value["condition"]?.string ?? "service_started" }
        default: break
        }

        mounts = (mapping["volumes"]?.sequence ?? []).compactMap { volume in
            if let text = volume.string {
                let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                return parts.count >= 2 ? Mount(source: parts[0], target: parts[1]) : Mount(source: "", target: parts[0])
            }
            guard let target = volume["target"]?.string else { return nil }
            return Mount(source: volume["source"]?.string ?? "", target: target)
        }
        restart = mapping["restart"]?.string
        stopGracePeriod = mapping["stop_grace_period"]?.string
        profiles = (mapping["profiles"]?.sequence ?? []).compactMap(\.string)
        switch mapping["env_file"] {
        case .scalar(let file)?: envFiles = [file]
        case .sequence(let files)?: envFiles = files.map { $0.string ?? $0["path"]?.string ?? "?" }
        default: envFiles = []
        }
        networkMode = mapping["network_mode"]?.string
    }

    /// A command or entrypoint as words: a list as written, a string split on blanks.
    private static func words(_ node: YAMLNode?) -> [String]? {
        switch node {
        case .sequence(let items)?: return items.compactMap(\.string)
        case .scalar(let text)?: return text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        default: return nil
        }
    }
}
