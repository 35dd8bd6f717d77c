import Foundation

/// A Dockerfile read into its stages and instructions (continuation lines joined, comments
/// dropped), enough to check what it builds, installs and runs as.
struct Dockerfile {
    struct Instruction {
        var keyword: String
        var arguments: String
        var line: Int
    }

    struct Stage {
        var name: String?
        var image: String
        var instructions: [Instruction]

        /// The arguments of every instruction with `keyword`.
        func arguments(of keyword: String) -> [String] {
            instructions.filter { $0.keyword == keyword }.map(\.arguments)
        }

        /// The packages its `apt-get install` commands name.
        var aptPackages: Set<String> {
            var packages: Set<String> = []
            for run in arguments(of: "RUN") {
                for command in run.components(separatedBy: "&&") {
                    let words = command.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
                    guard let install = words.firstIndex(of: "install"), words[..<install].contains("apt-get") else { continue }
                    packages.formUnion(words[(install + 1)...].filter { !$0.hasPrefix("-") && $0 != "\\" })
                }
            }
            return packages
        }

        /// Its `ENV` settings (`ENV A=1 B=2` and `ENV A 1`).
        var environment: [String: String] {
            var values: [String: String] = [:]
            for arguments in arguments(of: "ENV") {
                if arguments.contains("=") {
                    for pair in arguments.split(separator: " ") {
                        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                        if parts.count == 2 { values[parts[0]] = Dockerfile.unquoted(parts[1]) }
                    }
                } else if let space = arguments.firstIndex(of: " ") {
                    values[String(arguments[..<space])] = String(arguments[arguments.index(after: space)...]).trimmingBlanks()
                }
            }
            return values
        }
    }

    /// `ARG`s before the first `FROM`, with their defaults.
    var globalArguments: [String: String]
    var stages: [Stage]

    /// deploy/Dockerfile.
    static func load() throws -> Dockerfile {
        Dockerfile(text: try Repository.text("deploy/Dockerfile"))
    }

    init(text: String) {
        var instructions: [Instruction] = []
        var pending = ""
        var pendingLine = 0
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || (line.isEmpty && pending.isEmpty) { continue }
            if pending.isEmpty { pendingLine = index + 1 }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            pending += line
            let trimmed = pending.trimmingBlanks()
            pending = ""
            guard !trimmed.isEmpty else { continue }
            let keyword = trimmed.prefix { $0 != " " }
            instructions.append(Instruction(keyword: keyword.uppercased(),
                                            arguments: String(trimmed.dropFirst(keyword.count)).trimmingBlanks(), line: pendingLine))
        }
        var globals: [String: String] = [:]
        var stages: [Stage] = []
        for instruction in instructions {
            if instruction.keyword == "FROM" {
                let words = instruction.arguments.split(separator: " ").map(String.init)
                let name = words.count >= 3 && words[1].uppercased() == "AS" ? words[2] : nil
                stages.append(Stage(name: name, image: words.first ?? "", instructions: []))
            } else if stages.isEmpty {
                if instruction.keyword == "ARG", let equals = instruction.arguments.firstIndex(of: "=") {
                    globals[String(instruction.arguments[..<equals])] = Self.unquoted(String(instruction.arguments[instruction.arguments.index(after: equals)...]))
                }
            } else {
                stages[stages.count - 1].instructions.append(instruction)
            }
        }
        self.globalArguments = globals
        self.stages = stages
    }

    static func unquoted(_ text: String) -> String {
        if text.count >= 2, let first = text.first, first == text.last, first == "\"" || first == "'" {
            return String(text.dropFirst().dropLast())
        }
        return text
    }
}
