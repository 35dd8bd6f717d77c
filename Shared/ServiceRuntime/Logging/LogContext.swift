/// Request-scoped values every log line carries: the request id, the correlation id and the
/// trace.
///
/// Set once per request by the HTTP layer (and per event by consumers) as task-locals, so a
/// log line written anywhere below carries them without passing them by hand.
public enum LogContext {
    /// This service's id for the request being handled.
    @TaskLocal public static var requestId: String?
    /// The id that follows one user action across services, events and projections.
    @TaskLocal public static var correlationId: String?
    /// The W3C trace the work belongs to (log lines carry its `trace_id`).
    @TaskLocal public static var trace: TraceContext?
}
