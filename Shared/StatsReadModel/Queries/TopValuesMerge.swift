/// Decides whether a top list over several tenants, merged from each tenant's own top list,
/// is final (Fagin's threshold rule).
///
/// Each tenant's list holds its `depth` largest values. A value missing from a full list
/// counts there at most that list's smallest count (0 when the tenant has fewer than `depth`
/// values: it listed them all). So a value outside every list adds up to at most `bound`,
/// the sum of those. The candidates' exact sums settle the list when the `limit`-th of them
/// is above `bound`: a value at `bound` could still tie it and win on its name, so equality
/// does not settle. When it does not, a deeper round lowers the bound.
struct TopValuesMerge: Sendable, Equatable {
    /// One tenant's list: how many values it held, and the smallest count among them.
    struct TenantTop: Sendable, Equatable {
        var rows: Int
        var smallest: Int64
    }

    let limit: Int
    /// The most any value absent from every tenant's list can add up to.
    let bound: Int64

    init(limit: Int, depth: Int, tenantTops: [TenantTop]) {
        self.limit = limit
        bound = tenantTops.reduce(0) { $0 + ($1.rows >= depth ? $1.smallest : 0) }
    }

    /// Whether `summed` (the candidates' exact sums, largest first, at most `limit`) is the
    /// final list.
    func settles(_ summed: [Int64]) -> Bool {
        guard summed.count >= limit, limit > 0 else { return bound == 0 }
        return summed[limit - 1] > bound
    }
}
