/// Whether a connection may read and start requests, given how much of its output the peer
/// has not taken yet.
///
/// A peer that pipelines requests and never reads the answers would otherwise make the server
/// queue responses without end. Once more than `limit` bytes wait unsent, the connection
/// holds: it stops reading its socket and starts no further request (the request already
/// running still adds its response, so the output peaks at about `limit` plus one
/// response). It goes on once the peer has taken enough that at most `resumeAt` (half the
/// limit) bytes wait, so a slow reader is served in large steps rather than one response
/// per write. A plain state machine: the connection reports its unsent byte count.
struct OutputBackpressure {
    /// Unsent bytes beyond which the connection holds.
    let limit: Int
    /// Unsent bytes at or below which a holding connection goes on.
    let resumeAt: Int
    private(set) var isHolding = false

    init(limit: Int) {
        self.limit = max(0, limit)
        resumeAt = self.limit / 2
    }

    /// Whether the connection may start another request (or read) with `pending` bytes
    /// unsent; starts holding when they are above the limit.
    mutating func mayProceed(pending: Int) -> Bool {
        if isHolding { return false }
        if pending > limit {
            isHolding = true
            return false
        }
        return true
    }

    /// Reports the unsent bytes after a write; true when this ends a hold, so the caller
    /// goes on with the requests it had already received.
    mutating func drained(pending: Int) -> Bool {
        guard isHolding, pending <= resumeAt else { return false }
        isHolding = false
        return true
    }
}
