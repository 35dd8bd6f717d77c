import Errors
import Foundation
import HTTP
import InternalAPI
import Projection
import ServiceRuntime

/// The internal routes every projection service serves for its `HostedProjection`, each
/// behind the internal token (only the gateway and clientctl call them):
///
/// - `GET /internal/v1/clients/:id/visibility?version=V&timeoutMs=T`: read-your-writes for one
///   write, answered once the client is at `V` (or parked there), else after `T`.
/// - `GET /internal/v1/applied`: the feed of applied and parked versions (`AppliedFeed`).
/// - `GET /internal/v1/status`: the live projection's position and parked streams.
/// - `POST`/`GET /internal/v1/admin/rebuild`: start a rebuild, or report its progress.
/// - `GET /internal/v1/admin/quarantine`, `POST …/:stream/retry`, `POST …/:stream/skip`.
public struct ProjectionRoutes: Sendable {
    /// The longest a visibility or feed request waits, whatever it asks for.
    public static let maxVisibilityWait = 10_000
    /// The largest skip body (`{"by": "…"}`).
    static let maxSkipBodyBytes = 4096
    /// The longest operator name a skip records.
    static let maxOperatorBytes = 200

    let projection: HostedProjection
    let token: InternalToken
    /// The version the read model holds of a stream (nil: none).
    let version: @Sendable (UUID) async throws -> Int64?

    public init(projection: HostedProjection, token: InternalToken, version: @escaping @Sendable (UUID) async throws -> Int64?) {
        self.projection = projection
        self.token = token
        self.version = version
    }

    public func register(on setup: ServiceSetup) {
        let live = projection.live
        let rebuild = projection.rebuild
        let waiters = projection.waiters
        let feed = projection.feed
        let version = self.version
        // Visibility runs one primary-key lookup, the feed none: their tasks stay on the event loop.
        let onLoop = RouteOptions(runsOnEventLoop: true)
        setup.route(.GET, InternalPaths.clients + "/:id/visibility", options: onLoop, token.guarding { request in
            let id = try Self.streamId(request)
            guard let text = request.queryParameter("version"), let wanted = Int64(text), wanted >= 1 else {
                throw Self.invalid("version", "an integer of 1 or more")
            }
            let timeout = try Self.milliseconds(request, "timeoutMs", default: 5_000)
            let held = try await waiters.wait(streamId: id, version: wanted, timeout: timeout) {
                StreamVisibility(applied: try await version(id), parked: live.parkedVersion(of: id))
            }
            return HTTPResponse.json(status: .ok, object: ClientVisibility(held, version: wanted).internalJSON)
        })
        setup.route(.GET, InternalPaths.applied, options: onLoop, token.guarding { request in
            var after: UInt64?
            if let text = request.queryParameter("after") {
                guard let value = UInt64(text) else { throw Self.invalid("after", "an integer of 0 or more") }
                after = value
            }
            let timeout = try Self.milliseconds(request, "timeoutMs", default: 0)
            let page = await feed.read(after: after, epoch: request.queryParameter("epoch"), timeout: timeout)
            return HTTPResponse.json(status: .ok, object: page.internalJSON)
        })
        setup.route(.POST, InternalPaths.rebuild, token.guarding { _ in
            Self.json(Self.progress(try await rebuild.start()), status: .accepted)
        })
        setup.route(.GET, InternalPaths.rebuild, token.guarding { _ in
            Self.json(Self.progress(try await rebuild.status()))
        })
        setup.route(.GET, InternalPaths.status, token.guarding { [service = setup.name] _ in
            Self.json(ServiceStatus(service: service, projections: [Self.status(of: live)]))
        })
        setup.route(.GET, InternalPaths.quarantine, token.guarding { [service = setup.name] _ in
            var (parked, passed) = try await live.quarantine()
            if let shadow = try await rebuild.shadowQuarantine() { parked += shadow }
            return Self.json(QuarantineReport(service: service, parked: parked, passed: passed))
        })
        setup.route(.POST, InternalPaths.quarantine + "/:stream/retry", token.guarding { request in
            Self.json(try await live.retryParked(try Self.streamId(request, parameter: "stream")))
        })
        let skipOptions = RouteOptions(maxBodyBytes: Self.maxSkipBodyBytes)
        setup.route(.POST, InternalPaths.quarantine + "/:stream/skip", options: skipOptions, token.guarding { request in
            let stream = try Self.streamId(request, parameter: "stream")
            let by = try await request.decodeJSON(maxBytes: Self.maxSkipBodyBytes) { value throws(JSONFieldError) in
                try JSONObjectReader(value).string("by")
            }.trimmingCharacters(in: .whitespaces)
            guard !by.isEmpty, by.utf8.count <= Self.maxOperatorBytes,
                  by.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f && !(0x80...0x9f).contains($0.value) }) else {
                throw Self.invalid("by", "who skips: 1 to \(Self.maxOperatorBytes) bytes without control characters")
            }
            return Self.json(try await live.skipParked(stream, by: by))
        })
    }

    /// The runner's position per partition as of its last commit or fetch, and its parked streams.
    static func status(of runner: ProjectionRunner) -> ProjectionStatus {
        ProjectionStatus(name: runner.configuration.projection, running: runner.isRunning(),
                         partitions: runner.checkpoint.partitions.sorted { $0.key < $1.key }.map {
                             ProjectionStatus.Partition(partition: $0.key, position: $0.value.next, end: $0.value.end)
                         },
                         parkedStreams: runner.parkedStreamCount)
    }

    static func progress(_ status: ProjectionRebuildStatus) -> RebuildProgress {
        RebuildProgress(state: RebuildProgress.State(rawValue: status.state.rawValue) ?? .idle,
                        eventsApplied: status.eventsApplied, eventsPerSecond: status.eventsPerSecond,
                        startedAt: status.startedAt, finishedAt: status.finishedAt,
                        partitions: status.partitions.map {
                            RebuildProgress.Partition(partition: $0.partition, position: $0.position, end: $0.end, live: $0.live)
                        })
    }

    static func streamId(_ request: HTTPRequest, parameter: String = "id") throws -> UUID {
        guard let text = request.pathParameters[parameter], let id = UUID(canonical: text) else {
            throw ClienteleError(.notFound, "Client not found")
        }
        return id
    }

    /// Query parameter `name` in milliseconds (0 or more, at most `maxVisibilityWait`).
    static func milliseconds(_ request: HTTPRequest, _ name: String, default value: Int) throws -> Duration {
        guard let text = request.queryParameter(name) else { return .milliseconds(value) }
        guard let value = Int(text), value >= 0 else { throw invalid(name, "an integer of 0 or more") }
        return .milliseconds(min(value, maxVisibilityWait))
    }

    static func invalid(_ name: String, _ expected: String) -> ClienteleError {
        ClienteleError(.invalidArgument, "The parameter \(name) must be \(expected)", context: ["parameter": name])
    }

    /// A JSON response in the internal APIs' coding (`InternalJSON`).
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) -> HTTPResponse {
        do {
            let body = try InternalJSON.encoder().encode(value)
            return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(body))
        } catch {
            return HTTPResponse(error: error)
        }
    }
}
