/// Bounds how many "request failed" lines one kind of failure writes: at most `linesPerSecond`
/// a second for each key (method, route template, status); the rest are counted, and the next
/// line written for that key says how many were left out (`suppressed`).
///
/// A failing dependency turns every request into a 5xx, and a client that retries at once
/// turns that into thousands a second: a line each would be a write under the output lock on
/// the request path and a disk filling with copies of one line. The metrics still count every
/// request (`RequestObserver`). A plain state machine: the caller holds the lock and passes
/// the time. Seconds are counted from `origin`.
struct ErrorLogThrottle {
    struct Key: Hashable {
        var method: String
        var route: String
        var status: String
    }

    private struct Window {
        var second: Int64
        var written: Int
        var suppressed: Int
    }

    /// What to do with one failure's line.
    enum Decision: Equatable {
        /// Write it; `suppressed` lines of the same key were left out since the last one written.
        case write(suppressed: Int)
        case skip
    }

    let linesPerSecond: Int
    /// The most keys remembered: labels are bounded (route templates, standard methods, status
    /// codes), but a bound holds whatever they become. A key beyond it is written every time,
    /// uncounted (as the gateway's rate limiter admits a principal it has no room for), so no
    /// remembered key's suppressed count is ever dropped.
    let maxKeys: Int
    let origin: ContinuousClock.Instant
    private var windows: [Key: Window] = [:]

    init(linesPerSecond: Int = 10, maxKeys: Int = 1_000, origin: ContinuousClock.Instant = .now) {
        self.linesPerSecond = max(1, linesPerSecond)
        self.maxKeys = max(1, maxKeys)
        self.origin = origin
    }

    /// Whether the failure `key` at `instant` gets its line.
    mutating func decide(_ key: Key, at instant: ContinuousClock.Instant) -> Decision {
        let second = (instant - origin).components.seconds
        guard windows[key] != nil || windows.count < maxKeys else { return .write(suppressed: 0) }
        var window = windows[key] ?? Window(second: second, written: 0, suppressed: 0)
        if window.second != second {
            window.second = second
            window.written = 0
        }
        let decision: Decision
        if window.written < linesPerSecond {
            decision = .write(suppressed: window.suppressed)
            window.written += 1
            window.suppressed = 0
        } else {
            decision = .skip
            window.suppressed += 1
        }
        windows[key] = window
        return decision
    }
}
