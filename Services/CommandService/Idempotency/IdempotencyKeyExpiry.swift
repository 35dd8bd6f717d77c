import ServiceRuntime

/// Deletes idempotency keys older than the retention, every `interval`.
///
/// Keys are kept at least `retention` (24 hours by default, `IDEMPOTENCY_RETENTION_HOURS`), so
/// a client retrying within a day gets the first response back.
struct IdempotencyKeyExpiry: Service {
    let name = "idempotency-expiry"
    let store: IdempotencyStore
    let retention: Duration
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !GracefulShutdown.isRequested && !Task.isCancelled {
            do {
                let deleted = try await store.deleteOlder(than: retention)
                if deleted > 0 { logger.info("expired idempotency keys", ["deleted": String(deleted)]) }
            } catch {
                logger.warning("expiring idempotency keys failed", ["error": String(describing: error)])
            }
            await GracefulShutdown.sleep(for: interval)
        }
    }
}
