import Foundation
import InternalAPI

/// What `clientctl status` shows: each projection's position against the log's end per
/// partition, the command service's outbox, and the services that could not be asked.
///
/// The log's end of a partition is the larger of what the projection's consumer last fetched
/// (the high watermark) and what the command service recorded publishing there: either may be
/// behind for a moment, neither overshoots. Lag is that end minus the projection's position.
struct StatusReport: Encodable {
    struct Partition: Encodable {
        var partition: Int32
        var position: Int64
        /// Nil when neither the projection nor the command service knows the end.
        var logEnd: Int64?
        var lag: Int64?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(partition, forKey: .partition)
            try container.encode(position, forKey: .position)
            try container.encode(logEnd, forKey: .logEnd)
            try container.encode(lag, forKey: .lag)
        }

        enum CodingKeys: String, CodingKey { case partition, position, logEnd, lag }
    }

    struct Projection: Encodable {
        enum State: String, Encodable {
            /// Its consumer polled successfully lately.
            case running
            /// It exists but its consumer has not polled successfully lately.
            case stalled
            /// The service answers but keeps no such projection (not built yet).
            case notRunning = "not_running"
            /// Its service could not be reached or failed to answer (see `failures`).
            case unreachable
        }

        var name: String
        var service: String
        var state: State
        /// The sum of the partitions' lags; nil when one is unknown or the projection is not running.
        var lag: Int64?
        var caughtUp: Bool
        var partitions: [Partition]
        /// Streams waiting in its quarantine (`clientctl quarantine list`).
        var parkedStreams: Int = 0

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(service, forKey: .service)
            try container.encode(state, forKey: .state)
            try container.encode(lag, forKey: .lag)
            try container.encode(caughtUp, forKey: .caughtUp)
            try container.encode(partitions, forKey: .partitions)
            try container.encode(parkedStreams, forKey: .parkedStreams)
        }

        enum CodingKeys: String, CodingKey { case name, service, state, lag, caughtUp, partitions, parkedStreams }
    }

    struct Outbox: Encodable {
        var service: String
        var entries: Int64
        var exact: Bool
        var oldestEntryAgeSeconds: Double
    }

    /// A service that could not be reached or did not answer its status.
    struct Failure: Encodable {
        var service: String
        var url: String
        var error: String
    }

    var projections: [Projection] = []
    /// Nil when the command service could not be asked.
    var outbox: Outbox?
    var failures: [Failure] = []

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(projections, forKey: .projections)
        try container.encode(outbox, forKey: .outbox)
        try container.encode(failures, forKey: .failures)
    }

    enum CodingKeys: String, CodingKey { case projections, outbox, failures }

    /// Builds the report from what each service answered.
    ///
    /// - Parameters:
    ///   - outbox: the command service's status, if it answered.
    ///   - projectionServices: each projection service, with the projection it is expected to
    ///     keep and what it answered.
    static func make(outbox: ServiceStatus?, projectionServices: [(service: String, expected: String, answer: StatusCommand.Answer)],
                     failures: [Failure]) -> StatusReport {
        var report = StatusReport(failures: failures)
        var published: [Int32: Int64]?
        if let outboxStatus = outbox?.outbox {
            report.outbox = Outbox(service: outbox?.service ?? "command-service", entries: outboxStatus.entries,
                                   exact: outboxStatus.exact, oldestEntryAgeSeconds: outboxStatus.oldestAgeSeconds)
            published = Dictionary(outboxStatus.published.map { ($0.partition, $0.nextOffset) }) { max($0, $1) }
        }
        for entry in projectionServices {
            guard case .status(let status) = entry.answer, let projections = status.projections, !projections.isEmpty else {
                let state: Projection.State = if case .failed = entry.answer { .unreachable } else { .notRunning }
                report.projections.append(Projection(name: entry.expected, service: entry.service, state: state,
                                                     lag: nil, caughtUp: false, partitions: []))
                continue
            }
            for projection in projections {
                let partitions = projection.partitions.map { partition -> Partition in
                    // A partition the relay never published to ends at 0 as far as it knows.
                    let known = [partition.end, published.map { $0[partition.partition] ?? 0 }].compactMap { $0 }
                    let end = known.max()
                    return Partition(partition: partition.partition, position: partition.position, logEnd: end,
                                     lag: end.map { max(0, $0 - partition.position) })
                }
                let lags = partitions.map(\.lag)
                let total: Int64? = lags.contains { $0 == nil } ? nil : lags.reduce(0) { $0 + ($1 ?? 0) }
                report.projections.append(Projection(name: projection.name, service: entry.service,
                                                     state: projection.running ? .running : .stalled,
                                                     lag: total, caughtUp: total == 0, partitions: partitions,
                                                     parkedStreams: projection.parkedStreams))
            }
        }
        return report
    }

    /// The report as an aligned table, then the outbox line.
    func table() -> String {
        var rows: [[String]] = [["PROJECTION", "SERVICE", "STATE", "PARTITION", "POSITION", "LOG END", "LAG", "PARKED"]]
        for projection in projections {
            let state = projection.state.rawValue.replacingOccurrences(of: "_", with: " ")
            guard projection.state != .notRunning, projection.state != .unreachable else {
                rows.append([projection.name, projection.service, state, "-", "-", "-", "-", "-"])
                continue
            }
            for partition in projection.partitions {
                rows.append([projection.name, projection.service, state, String(partition.partition), String(partition.position),
                             partition.logEnd.map(String.init) ?? "?", partition.lag.map(String.init) ?? "?", ""])
            }
            let position = projection.partitions.reduce(Int64(0)) { $0 + $1.position }
            let ends = projection.partitions.map(\.logEnd)
            let end = ends.contains { $0 == nil } ? "?" : String(ends.reduce(Int64(0)) { $0 + ($1 ?? 0) })
            rows.append([projection.name, projection.service, state, "all", String(position), end,
                         projection.lag.map(String.init) ?? "?", String(projection.parkedStreams)])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var out = rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n\n"
        let parked = projections.filter { $0.parkedStreams > 0 }
        if !parked.isEmpty {
            out += "PARKED STREAMS: " + parked.map { "\($0.name) \($0.parkedStreams)" }.joined(separator: ", ")
                + " (their events wait; see clientctl quarantine list)\n"
        }
        if let outbox {
            out += "OUTBOX (\(outbox.service)): \(outbox.exact ? "" : "about ")\(outbox.entries) "
                + "\(outbox.entries == 1 ? "entry" : "entries") waiting, oldest "
                + String(format: "%.1f", outbox.oldestEntryAgeSeconds) + " s\n"
        } else {
            out += "OUTBOX: unknown (the command service did not answer)\n"
        }
        return out
    }

    /// The report as JSON (keys sorted; unknown values are null).
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
