import Foundation
import Synchronization

/// A monotonically increasing count per label set, such as requests served.
public final class Counter: MetricFamily, Sendable {
    public let name: String
    public let help: String
    public let labelNames: [String]
    private let values = Mutex<[[String]: Double]>([:])

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    /// Adds `amount` (not negative) to the series with these label values, in `labelNames` order.
    public func increment(by amount: Double = 1, _ labelValues: String...) {
        precondition(labelValues.count == labelNames.count, "metric \(name): wrong number of label values")
        precondition(amount >= 0, "metric \(name): a counter cannot decrease")
        values.withLock { $0[labelValues, default: 0] += amount }
    }

    /// The current value of one series (for tests).
    public func value(_ labelValues: String...) -> Double {
        values.withLock { $0[labelValues] ?? 0 }
    }

    func render(into out: inout String) {
        PrometheusText.render(name: name, help: help, type: "counter", labelNames: labelNames,
                              samples: values.withLock { $0 }, into: &out)
    }
}
