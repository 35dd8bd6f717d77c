import Foundation
import Synchronization

/// Observations counted into cumulative buckets per label set, such as request latency.
public final class Histogram: MetricFamily, Sendable {
    /// Latency buckets in seconds, from 0.5 ms to 10 s.
    public static let defaultLatencyBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Buckets for an event's way through the pipeline (publish, apply): milliseconds when
    /// all is well, up to minutes when a consumer catches up or replays.
    public static let pipelineDelayBuckets: [Double] = [0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1,
                                                        5, 30, 120]

    public let name: String
    public let help: String
    public let labelNames: [String]
    public let buckets: [Double]
    private let series = Mutex<[[String]: Series]>([:])

    private struct Series {
        var bucketCounts: [UInt64]
        var count: UInt64 = 0
        var sum: Double = 0
    }

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.buckets = buckets.sorted()
    }

    /// Records one observation.
    public func observe(_ value: Double, _ labelValues: String...) {
        observe(value, labelValues: labelValues)
    }

    /// Records one observation; label values in `labelNames` order.
    public func observe(_ value: Double, labelValues: [String]) {
        precondition(labelValues.count == labelNames.count, "metric \(name): wrong number of label values")
        let index = buckets.firstIndex { value <= $0 } ?? buckets.count
        let bucketCount = buckets.count
        series.withLock { series in
            var entry = series[labelValues] ?? Series(bucketCounts: Array(repeating: 0, count: bucketCount + 1))
            entry.bucketCounts[index] &+= 1
            entry.count &+= 1
            entry.sum += value
            series[labelValues] = entry
        }
    }

    /// The number of observations in one series (for tests).
    public func count(_ labelValues: String...) -> UInt64 {
        series.withLock { $0[labelValues]?.count ?? 0 }
    }

    func render(into out: inout String) {
        let snapshot = series.withLock { $0 }
        out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for key in snapshot.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard let entry = snapshot[key] else { continue }
            var cumulative: UInt64 = 0
            for (i, bound) in buckets.enumerated() {
                cumulative &+= entry.bucketCounts[i]
                out += "\(name)_bucket" + PrometheusText.labels(names: labelNames, values: key, extra: ("le", PrometheusText.number(bound)))
                    + " \(cumulative)\n"
            }
            out += "\(name)_bucket" + PrometheusText.labels(names: labelNames, values: key, extra: ("le", "+Inf")) + " \(entry.count)\n"
            out += "\(name)_sum" + PrometheusText.labels(names: labelNames, values: key) + " " + PrometheusText.number(entry.sum) + "\n"
            out += "\(name)_count" + PrometheusText.labels(names: labelNames, values: key) + " \(entry.count)\n"
        }
    }
}

