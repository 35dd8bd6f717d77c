import Projection

/// The names of the stats tables a projection target writes: the live ones, or the shadow
/// ones (`_rebuild`) a rebuild fills and then renames over the live ones.
struct StatsTables: Sendable {
    static let live = StatsTables(suffix: "")
    static let shadow = StatsTables(suffix: "_rebuild")
    /// The base names, in the order they are created and swapped.
    static let baseNames = ["stats_clients", "stats_counts", "stats_top_counts", "stats_days"]

    let clients: String
    /// The counters of the fixed dimensions (`StatsDimension.fixed`).
    let counts: String
    /// The counters of the dimensions answered as top lists (`StatsDimension.listed`).
    let topCounts: String
    let days: String
    /// The advisory lock every batch applied to these tables holds, so two writers (two
    /// replicas, or a stale process) apply batches one after the other, each reading the
    /// other's committed state; an event is then counted once even then.
    let lock: String

    private init(suffix: String) {
        clients = "stats_clients" + suffix
        counts = "stats_counts" + suffix
        topCounts = "stats_top_counts" + suffix
        days = "stats_days" + suffix
        lock = "stats read model" + suffix
    }

    static func of(_ target: ProjectionTarget) -> StatsTables {
        target == .live ? live : shadow
    }
}
