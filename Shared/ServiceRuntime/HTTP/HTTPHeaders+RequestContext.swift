import HTTP

extension HTTPHeaders {
    /// Adds the current request's context for a call to another service: `X-Request-Id`
    /// (so the callee's log lines and the events it writes name the request that caused them),
    /// `X-Correlation-Id`, and a `traceparent` in the same trace with a new span id.
    ///
    /// Adds nothing that `LogContext` does not hold (outside a request, for example).
    public mutating func addRequestContext() {
        if let requestId = LogContext.requestId { add(name: "X-Request-Id", value: requestId) }
        if let correlationId = LogContext.correlationId { add(name: "X-Correlation-Id", value: correlationId) }
        if let trace = LogContext.trace { add(name: "traceparent", value: trace.childTraceparent()) }
    }
}
