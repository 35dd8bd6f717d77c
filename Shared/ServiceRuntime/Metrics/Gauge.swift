import Foundation
import Synchronization

/// A value per label set that goes up and down, such as open connections.
public final class Gauge: MetricFamily, Sendable {
    public let name: String
    public let help: String
    public let labelNames: [String]
    private let values = Mutex<[[String]: Double]>([:])

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    public func set(_ value: Double, _ labelValues: String...) {
        precondition(labelValues.count == labelNames.count, "metric \(name): wrong number of label values")
        values.withLock { $0[labelValues] = value }
    }

    public func add(_ delta: Double, _ labelValues: String...) {
        precondition(labelValues.count == labelNames.count, "metric \(name): wrong number of label values")
        values.withLock { $0[labelValues, default: 0] += delta }
    }

    public func value(_ labelValues: String...) -> Double {
        values.withLock { $0[labelValues] ?? 0 }
    }

    func render(into out: inout String) {
        PrometheusText.render(name: name, help: help, type: "gauge", labelNames: labelNames,
                              samples: values.withLock { $0 }, into: &out)
    }
}
