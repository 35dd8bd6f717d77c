import EventLog
import HTTP
import ServiceRuntime

extension ServiceSetup {
    /// The data keys of client streams for a reader of the log: asked of the command service
    /// (`COMMAND_SERVICE_URL`, with `INTERNAL_TOKEN`), held in a cache of at most 100,000
    /// keys, each for 60 seconds (so a shred reaches this reader within a minute; an erasure
    /// is held as long; an unknown key is asked again every batch).
    public func clientKeys(token: InternalToken) throws -> any ClientKeySource {
        let baseURL = try environment.httpURL("COMMAND_SERVICE_URL", default: "http://127.0.0.1:8181")
        let http = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(10), maxIdlePerHost: 2))
        return CachedClientKeys(source: CommandServiceClientKeys(baseURL: baseURL, token: token, http: http),
                                cache: ClientKeyCache(capacity: Self.clientKeyCacheCapacity, lifetime: Self.clientKeyLifetime))
    }

    /// The most keys a reader of the log holds.
    public static let clientKeyCacheCapacity = 100_000
    /// How long a reader holds a key (or an erasure) before asking again.
    public static let clientKeyLifetime: Duration = .seconds(60)
}
