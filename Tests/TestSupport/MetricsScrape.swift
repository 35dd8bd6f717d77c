import HTTP

/// One reading of a service's `/metrics` (Prometheus text format), read by exact sample.
public struct MetricsScrape: Sendable {
    public let text: String

    public init(text: String) {
        self.text = text
    }

    /// Reads `service`'s `/metrics` with `stack`'s internal token; throws unless it answers 200.
    public static func read(_ service: ServiceProcess, of stack: ClienteleStack, http: HTTPClient) async throws -> MetricsScrape {
        let response = try await http.execute(HTTPClientRequest(method: .GET, url: service.baseURL + "/metrics",
                                                                headers: ["X-Internal-Token": stack.internalToken]))
        guard response.status.code == 200 else {
            throw TestSupportError("\(service.name)'s /metrics answered \(response.status.code)")
        }
        return MetricsScrape(text: String(decoding: response.body, as: UTF8.self))
    }

    /// The value of the sample named exactly `sample` (its name and labels, as
    /// `name{label="value"}`); nil when absent or not a number.
    public func value(_ sample: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }
}
