import Foundation
import Synchronization

/// The metrics one service exposes, rendered in Prometheus' text exposition format at /metrics.
///
/// Families are registered once (registering the same name again returns the existing one)
/// and updated from any thread. Gauges that mirror state owned elsewhere (pool sizes, lag)
/// are registered as collectors and read at scrape time, so nothing has to push them.
public final class MetricsRegistry: Sendable {
    /// The families and collectors registered; each family guards its own samples.
    private struct State {
        var families: [String: any MetricFamily] = [:]
        var order: [String] = []
        var collectors: [(name: String, help: String, type: String,
                          collect: @Sendable () -> [(labels: [String: String], value: Double)])] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// A counter family with the given label names.
    public func counter(_ name: String, help: String, labels: [String] = []) -> Counter {
        register(name) { Counter(name: name, help: help, labelNames: labels) }
    }

    /// A gauge family with the given label names.
    public func gauge(_ name: String, help: String, labels: [String] = []) -> Gauge {
        register(name) { Gauge(name: name, help: help, labelNames: labels) }
    }

    /// A histogram family with the given buckets (upper bounds, in the metric's unit).
    public func histogram(_ name: String, help: String, labels: [String] = [],
                          buckets: [Double] = Histogram.defaultLatencyBuckets) -> Histogram {
        register(name) { Histogram(name: name, help: help, labelNames: labels, buckets: buckets) }
    }

    /// A gauge read at scrape time from `collect`, which returns one value per label set.
    public func collector(_ name: String, help: String, type: String = "gauge",
                          collect: @escaping @Sendable () -> [(labels: [String: String], value: Double)]) {
        state.withLock { $0.collectors.append((name, help, type, collect)) }
    }

    /// Every family in the text exposition format (version 0.0.4).
    public func render() -> String {
        let (snapshot, collectorSnapshot) = state.withLock { state in (state.order.compactMap { state.families[$0] }, state.collectors) }
        var out = ""
        for family in snapshot { family.render(into: &out) }
        for collector in collectorSnapshot {
            out += "# HELP \(collector.name) \(collector.help)\n# TYPE \(collector.name) \(collector.type)\n"
            for sample in collector.collect() {
                out += collector.name + PrometheusText.labels(sample.labels) + " " + PrometheusText.number(sample.value) + "\n"
            }
        }
        return out
    }

    private func register<F: MetricFamily>(_ name: String, make: () -> F) -> F {
        state.withLock { state in
            if let existing = state.families[name] {
                guard let typed = existing as? F else {
                    preconditionFailure("metric \(name) registered twice with different types")
                }
                return typed
            }
            let family = make()
            state.families[name] = family
            state.order.append(name)
            return family
        }
    }
}

/// A metric family that renders itself.
protocol MetricFamily: AnyObject, Sendable {
    func render(into out: inout String)
}

/// Escaping and number formatting for the text exposition format.
enum PrometheusText {
    static func labels(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let pairs = labels.keys.sorted().map { key in "\(key)=\"\(escape(labels[key] ?? ""))\"" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    static func labels(names: [String], values: [String], extra: (String, String)? = nil) -> String {
        var pairs = zip(names, values).map { "\($0)=\"\(escape($1))\"" }
        if let extra { pairs.append("\(extra.0)=\"\(escape(extra.1))\"") }
        return pairs.isEmpty ? "" : "{" + pairs.joined(separator: ",") + "}"
    }

    /// Renders a counter or gauge family: its HELP and TYPE lines, then one line per series
    /// in label-value order.
    static func render(name: String, help: String, type: String, labelNames: [String], samples: [[String]: Double],
                       into out: inout String) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for key in samples.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            out += name + labels(names: labelNames, values: key) + " " + number(samples[key] ?? 0) + "\n"
        }
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
