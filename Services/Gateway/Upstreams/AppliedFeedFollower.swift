import Coordination
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime
import Synchronization

/// Follows a projection's applied-versions feed (`InternalPaths.applied`), so that a write
/// waiting to become visible learns it from one request per projection commit instead of
/// asking the projection itself. The gateway follows the search and the stats projections'.
///
/// The follower keeps the versions the feed brought (the latest `recentCapacity` streams) and
/// wakes the writes they satisfy; a write whose version the projection parked (its stream
/// waits in the quarantine) is woken at once too, and answered as pending. While it is not following (at start, after an error, or
/// when a page is incomplete: the projection restarted or swapped in a rebuild), and for
/// writes that were waiting across such a gap, `waitUntilVisible` asks the projection per
/// write, as before the feed existed.
final class AppliedFeedFollower: Service, Sendable {
    let name: String
    /// The projection followed (`search`, `stats`): the metrics' label.
    let projection: String
    /// How many streams' versions are kept: a write looks here when its commit reached the
    /// feed before the write started waiting (its answer from the command service was slow).
    static let recentCapacity = 65_536
    /// How long one feed request waits for a commit.
    static let pollWait = 1_000

    private let baseURL: String
    private let token: InternalToken
    private let http: HTTPClient
    private let logger: Logger
    private let waiters = AppliedVersionWaiters()
    private let known = Mutex(Known())
    private let following: Gauge
    private let fallbacks: Counter

    /// What the feed said so far.
    private struct Known {
        var isFollowing = false
        /// Counts the gaps: a write that started waiting in another one may have missed its commit.
        var gaps = 0
        var versions: [UUID: StreamVisibility] = [:]
        /// Streams in `versions`, oldest first, as a ring of `recentCapacity`.
        var order: [UUID] = []
        var oldest = 0

        /// Changes what is known of `stream`, adding it (and dropping the oldest stream when
        /// `recentCapacity` are kept) if it is new.
        mutating func note(_ stream: UUID, _ change: (inout StreamVisibility) -> Void) {
            if var held = versions[stream] {
                change(&held)
                versions[stream] = held
                return
            }
            var held = StreamVisibility()
            change(&held)
            versions[stream] = held
            if order.count < AppliedFeedFollower.recentCapacity {
                order.append(stream)
            } else {
                versions[order[oldest]] = nil
                order[oldest] = stream
                oldest = (oldest + 1) % AppliedFeedFollower.recentCapacity
            }
        }
    }

    init(projection: String, baseURL: String, token: InternalToken, http: HTTPClient, logger: Logger, metrics: MetricsRegistry) {
        self.name = "applied-feed-follower-\(projection)"
        self.projection = projection
        self.baseURL = baseURL
        self.token = token
        self.http = http
        self.logger = logger
        following = metrics.gauge("clientele_gateway_applied_feed_following",
                                  help: "1 while the gateway follows the projection's applied-versions feed.", labels: ["projection"])
        fallbacks = metrics.counter("clientele_gateway_visibility_fallbacks_total",
                                    help: "Writes whose visibility was asked of the projection directly (feed not followed).",
                                    labels: ["projection"])
        following.set(0, projection)
    }

    func run() async throws {
        var cursor: (epoch: String, next: UInt64)?
        var backoff = Backoff(initial: .milliseconds(100))
        while !GracefulShutdown.isRequested && !Task.isCancelled {
            do {
                let page = try await read(after: cursor)
                record(page)
                cursor = (page.epoch, page.next)
                backoff.reset()
            } catch {
                if cursor != nil {
                    logger.warning("lost a projection's applied-versions feed; asking per write until it is back",
                                   ["projection": projection, "error": String(describing: error)])
                }
                lose()
                cursor = nil
                await backoff.pause()
            }
        }
        lose()
    }

    /// Waits up to `timeout` until the search projection shows client `id` at `version` or
    /// later (true), or parks it there (false at once); false when it did not in time. `ask`
    /// asks the projection directly for what is left of the wait (nil: it could not be asked),
    /// for when the feed cannot tell.
    func waitUntilVisible(_ id: UUID, version: Int64, timeout: Duration,
                          ask: @escaping @Sendable (Duration) async -> StreamVisibility?) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        let gapsAtStart = known.withLock { $0.gaps }
        let held = try? await waiters.wait(streamId: id, version: version, timeout: timeout) { [self] in
            let (isFollowing, gaps, seen) = known.withLock { ($0.isFollowing, $0.gaps, $0.versions[id]) }
            if isFollowing && gaps == gapsAtStart { return seen ?? StreamVisibility() }
            fallbacks.increment(projection)
            return await ask(max(.zero, deadline - ContinuousClock.now)) ?? StreamVisibility()
        }
        return held?.isVisible(version) ?? false
    }

    /// One feed request, waiting up to `pollWait` for a commit.
    private func read(after cursor: (epoch: String, next: UInt64)?) async throws -> AppliedPage {
        var path = InternalPaths.applied + "?timeoutMs=\(Self.pollWait)"
        if let cursor { path += "&after=\(cursor.next)&epoch=\(cursor.epoch)" }
        let request = HTTPClientRequest(method: .GET, url: baseURL + path, headers: [InternalToken.headerName: token.value])
        let response = try await http.execute(request)
        guard response.status.code == 200 else { throw FeedUnavailable(status: response.status.code) }
        return try AppliedPage(internalJSON: try JSONParser.parse(response.body))
    }

    /// Takes in a page: after a gap, first sends the writes waiting to ask per write.
    private func record(_ page: AppliedPage) {
        if !page.complete { lose() }
        known.withLock { known in
            known.isFollowing = true
            // Parked first: a stream applied past its parked version was released meanwhile.
            for parked in page.parked {
                known.note(parked.streamId) { $0.parked = max($0.parked ?? 0, parked.version) }
            }
            for applied in page.applied {
                known.note(applied.streamId) { held in
                    held.applied = max(held.applied ?? 0, applied.version)
                    if let parked = held.parked, applied.version >= parked { held.parked = nil }
                }
            }
        }
        following.set(1, projection)
        // After `known` took the page: a write that starts waiting now finds its version there.
        waiters.parked(page.parked)
        waiters.published(page.applied)
    }

    /// Stops trusting the feed: forgets what it said and makes every waiting write ask.
    private func lose() {
        known.withLock { known in
            known.isFollowing = false
            known.gaps += 1
            known.versions.removeAll()
            known.order.removeAll()
            known.oldest = 0
        }
        following.set(0, projection)
        waiters.recheckAll()
    }

    struct FeedUnavailable: Error, CustomStringConvertible {
        var status: Int
        var description: String { "the applied-versions feed answered \(status)" }
    }
}
