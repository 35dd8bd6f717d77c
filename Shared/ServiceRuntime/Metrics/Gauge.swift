import Foundation

/// A value per label set that goes up and down, such as open connections.
public final class Gauge: MetricFamily, @unchecked Sendable {
    // @unchecked Sendable: `values` is only touched while holding `lock`.
    public let name: String
    public let help: String
    public let labelNames: [String]
    private let lock = NSLock()
    private var values: [[String]: Double] = [:]

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    public func set(_ value: Double, _ labelValues: String...) {
        precondition(labelValues.count == labelNames.count, "metric \(name): wrong number of label values")
        lock.withLock { values[labelValues] = value }
    }

    public func add(_ delta: Double, _ labelValues: String...) {
        precondition(labelValues.count == labelNames.count, "metric \(name): wrong number of label values")
        lock.withLock { values[labelValues, default: 0] += delta }
    }

    public func value(_ labelValues: String...) -> Double {
        lock.withLock { values[labelValues] ?? 0 }
    }

    func render(into out: inout String) {
        PrometheusText.render(name: name, help: help, type: "gauge", labelNames: labelNames,
                              samples: lock.withLock { values }, into: &out)
    }
}
