import Foundation

extension DeploymentChecks {
    /// The one-shot service whose command creates a topic with kafka-topics.
    var topicInit: ComposeService? {
        compose.services.first { service in
            let script = ((service.entrypoint ?? []) + (service.command ?? [])).joined(separator: " ")
            return service.isOneShot && script.contains("kafka-topics") && script.contains("--create")
        }
    }

    /// The events topic is created before any service that uses it starts, with unlimited
    /// retention and the name and partition count every service expects, on a broker that
    /// keeps its log and creates no topic by itself; nothing compacts it.
    func retentionProblems() throws -> [String] {
        guard let initService = topicInit else { return ["no one-shot service creates the events topic with kafka-topics --create"] }
        var problems: [String] = []
        let initEnvironment = try environment(of: initService)
        // The command as the container's shell sees it: compose turns $$ into $.
        let script = try ((initService.entrypoint ?? []) + (initService.command ?? []))
            .map { try ComposeInterpolation.evaluate($0, environment: [:]) }.joined(separator: " ")
            .replacingOccurrences(of: "\\\n", with: " ")
        guard let create = script.components(separatedBy: "\n").first(where: { $0.contains("kafka-topics") && $0.contains("--create") })
            ?? script.range(of: "--create").map({ String(script[$0.lowerBound...]) }) else {
            return ["service \(initService.name) does not run kafka-topics --create"]
        }
        if !create.contains("retention.ms=-1") {
            problems.append("service \(initService.name) creates the topic without --config retention.ms=-1 (unlimited retention)")
        }
        func argument(_ option: String) -> String? {
            let pattern = #"\#(option)[ =]+"?([^"\s]+)"?"#
            guard let match = SwiftSourceFile.matches(pattern, in: create as NSString).first else { return nil }
            let word = (create as NSString).substring(with: match.range(at: 1))
            if word.hasPrefix("$") {
                let name = word.dropFirst().trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
                return initEnvironment[name]
            }
            return word
        }
        let topic = argument("--topic")
        let partitions = argument("--partitions")
        for service in builtServices {
            guard let variables = variables(of: service), variables.reads("EVENTS_TOPIC") else { continue }
            let expectedTopic = try effectiveValue("EVENTS_TOPIC", of: service)
            let expectedPartitions = try effectiveValue("EVENTS_TOPIC_PARTITIONS", of: service)
            if expectedTopic != topic {
                problems.append("service \(service.name) uses EVENTS_TOPIC \(expectedTopic ?? "unset") but \(initService.name) creates \(topic ?? "no topic")")
            }
            if expectedPartitions != partitions {
                problems.append("service \(service.name) expects EVENTS_TOPIC_PARTITIONS \(expectedPartitions ?? "unset") but \(initService.name) creates \(partitions ?? "an unknown number of") partitions")
            }
            if !compose.dependencies(of: service.name).contains(initService.name) {
                problems.append("service \(service.name) reads the events topic but does not wait for \(initService.name)")
            }
        }
        for (path, value) in compose.scalars where value.contains("compact") && (value.contains("cleanup.policy") || path.hasSuffix("CLEANUP_POLICY")) {
            problems.append("\(path) compacts topics: compaction would drop events of a client")
        }
        let brokers = Set(builtServices.compactMap { try? environment(of: $0)["KAFKA_BOOTSTRAP_SERVERS"] }
            .flatMap { $0.split(separator: ",") }.compactMap { $0.split(separator: ":").first.map(String.init) })
        if brokers.isEmpty { problems.append("no service sets KAFKA_BOOTSTRAP_SERVERS") }
        for brokerName in brokers.sorted() {
            guard let broker = compose[brokerName] else {
                problems.append("KAFKA_BOOTSTRAP_SERVERS names \(brokerName), which is not a service")
                continue
            }
            let environment = try environment(of: broker)
            if environment["KAFKA_LOG_RETENTION_MS"] != "-1" {
                problems.append("service \(brokerName) does not set KAFKA_LOG_RETENTION_MS to -1 (the broker's default retention deletes the log after 7 days)")
            }
            if environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] != "false" {
                problems.append("service \(brokerName) does not set KAFKA_AUTO_CREATE_TOPICS_ENABLE to false (a topic made on first use gets default retention and partitions)")
            }
        }
        return problems
    }
}
