import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// One statement of a `PostgresConnection.pipeline`: SQL text and its parameters.
public struct PostgresStatement: Sendable {
    public var sql: String
    public var parameters: [any PostgresEncodable]
    /// False: sent unnamed and planned for its parameters on every run, never cached (see
    /// `PostgresConnection.query(_:_:prepared:)`).
    public var prepared: Bool

    public init(_ sql: String, _ parameters: [any PostgresEncodable] = [], prepared: Bool = true) {
        self.sql = sql
        self.parameters = parameters
        self.prepared = prepared
    }
}

extension PostgresConnection {
    /// Runs `statements` in order in one round trip and returns each one's rows.
    ///
    /// libpq's pipeline mode: every statement goes out, then one sync, before any answer is
    /// read. Outside a transaction the server runs them as one implicit transaction, so they
    /// all commit or none does; inside one (`transaction(_:)`) they join it. The first
    /// failing statement's error is thrown, and the statements after it did not run.
    ///
    /// Statements are prepared and cached as by `query(_:_:prepared:)` (unless their `prepared`
    /// is false). When a cached one no longer fits the schema (SQLSTATE 0A000 or 26000) and the
    /// pipeline ran outside a transaction, nothing was committed, so it runs once more with
    /// fresh statements.
    ///
    /// Sending never waits on a server that is itself waiting for its answers to be read:
    /// libpq is non-blocking while the pipeline goes out, and reads what the server answers
    /// meanwhile into its buffer. An answer out of step with the pipeline (a lost connection
    /// half way) closes the connection. No COPY.
    public func pipeline(_ statements: [PostgresStatement]) throws -> [PostgresRows] {
        guard !statements.isEmpty else { return [] }
        if let begin = pendingBegin {
            // A transaction's BEGIN goes out in front: no retry, since a failure aborts it.
            pendingBegin = nil
            return Array(try runPipeline([PostgresStatement(begin)] + statements).dropFirst())
        }
        let wasIdle = handle.map { PQtransactionStatus($0) == PQTRANS_IDLE } ?? false
        do {
            return try runPipeline(statements)
        } catch let failure as PostgresError where wasIdle && Self.isStaleStatement(failure) {
            return try runPipeline(statements)
        }
    }

    /// What a pipeline sends for one statement, and where its rows come from.
    private struct PipelineEntry {
        var key: StatementKey
        var texts: [String?]
        /// The cached statement's name; nil: sent unnamed (not to be prepared, or the cache is full).
        var name: String?
        /// Whether the pipeline prepares `name` before running it.
        var preparesName: Bool
    }

    private static func isStaleStatement(_ failure: PostgresError) -> Bool {
        failure.sqlState == "0A000" || failure.sqlState == "26000"
    }

    private func runPipeline(_ statements: [PostgresStatement]) throws -> [PostgresRows] {
        var entries: [PipelineEntry] = []
        var preparing: [StatementKey: String] = [:]
        var handle: OpaquePointer?
        let countedBefore = statementsSinceCheckout
        for statement in statements {
            let (live, texts, types) = try beginStatement(statement.sql, statement.parameters.map(\.postgresValue))
            handle = live
            let key = StatementKey(sql: statement.sql, types: types)
            if !statement.prepared {
                entries.append(PipelineEntry(key: key, texts: texts, name: nil, preparesName: false))
            } else if let name = self.statements[key] ?? preparing[key] {
                entries.append(PipelineEntry(key: key, texts: texts, name: name, preparesName: false))
            } else if self.statements.count + preparing.count < Self.statementCacheLimit {
                statementCounter += 1
                let name = "clientele_\(statementCounter)"
                preparing[key] = name
                entries.append(PipelineEntry(key: key, texts: texts, name: name, preparesName: true))
            } else {
                entries.append(PipelineEntry(key: key, texts: texts, name: nil, preparesName: false))
            }
        }
        guard let handle else { throw PostgresError(.connection, "the connection is closed") }
        // The pipeline counts as one statement: if it is the first since checkout and finds the
        // connection broken before the sync went out (so nothing ran), the pool may run its
        // closure again (`sendFailure`).
        statementsSinceCheckout = countedBefore + 1
        guard PQenterPipelineMode(handle) == 1 else { throw sendFailure(handle) }
        let wasNonblocking = isNonblocking
        setNonblocking(true)
        do {
            try sendPipeline(handle, entries)
        } catch {
            close()
            throw error
        }
        setNonblocking(wasNonblocking)
        return try readPipeline(handle, entries)
    }

    /// Queues every entry and the sync, then flushes them without blocking.
    private func sendPipeline(_ handle: OpaquePointer, _ entries: [PipelineEntry]) throws {
        for entry in entries {
            let types = entry.key.types
            if entry.preparesName, let name = entry.name {
                let prepared = types.withUnsafeBufferPointer {
                    PQsendPrepare(handle, name, entry.key.sql, Int32(types.count), $0.baseAddress)
                }
                guard prepared == 1 else { throw sendFailure(handle) }
            }
            let sent = withOptionalCStringArray(entry.texts) { pointers -> Int32 in
                let count = Int32(entry.texts.count)
                if let name = entry.name { return PQsendQueryPrepared(handle, name, count, pointers, nil, nil, 0) }
                return types.withUnsafeBufferPointer {
                    PQsendQueryParams(handle, entry.key.sql, count, $0.baseAddress, pointers, nil, nil, 0)
                }
            }
            guard sent == 1 else { throw sendFailure(handle) }
        }
        guard PQpipelineSync(handle) == 1 else { throw sendFailure(handle) }
        while true {
            let flushed = PQflush(handle)
            if flushed == 0 { return }
            guard flushed > 0 else { throw sendFailure(handle) }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN | POLLOUT), revents: 0)
            if poll(&descriptor, 1, -1) < 0 && errno != EINTR { throw sendFailure(handle) }
            if descriptor.revents & Int16(POLLIN) != 0 && PQconsumeInput(handle) != 1 { throw sendFailure(handle) }
        }
    }

    /// One answer of a pipeline.
    private enum PipelineAnswer {
        case rows(PostgresRows)
        case failed(PostgresError)
        /// Not run: an earlier statement failed.
        case skipped
    }

    /// Reads one answer per prepare and statement, then the sync's, and leaves pipeline mode.
    private func readPipeline(_ handle: OpaquePointer, _ entries: [PipelineEntry]) throws -> [PostgresRows] {
        var rowsByEntry: [PostgresRows] = []
        var failure: PostgresError?
        var staleNames: [String] = []
        for entry in entries {
            if entry.preparesName, let name = entry.name {
                switch try nextAnswer(handle, values: []) {
                case .rows: statements[entry.key] = name
                case .failed(let error): failure = failure ?? error
                case .skipped: break
                }
            }
            switch try nextAnswer(handle, values: entry.texts) {
            case .rows(let rows):
                rowsByEntry.append(rows)
            case .failed(let error):
                failure = failure ?? error
                if Self.isStaleStatement(error), let name = entry.name, statements[entry.key] == name {
                    statements[entry.key] = nil
                    staleNames.append(name)
                }
            case .skipped:
                break
            }
        }
        let sync = PQgetResult(handle)
        let synced = sync.map { PQresultStatus($0) == PGRES_PIPELINE_SYNC } ?? false
        if let sync { PQclear(sync) }
        guard synced, PQexitPipelineMode(handle) == 1 else {
            let error = connectionFailure(handle, "the pipeline ended out of step")
            close()
            throw error
        }
        for name in staleNames { deallocate(handle, name: name) }
        if let failure { throw failure }
        guard rowsByEntry.count == entries.count else {
            throw PostgresError(.protocolViolation, "a pipeline statement was skipped without an error")
        }
        return rowsByEntry
    }

    /// The next answer of a pipeline, read past its end marker.
    private func nextAnswer(_ handle: OpaquePointer, values: [String?]) throws -> PipelineAnswer {
        guard let result = PQgetResult(handle) else {
            let error = connectionFailure(handle, "the server sent no result")
            close()
            throw error
        }
        let status = PQresultStatus(result)
        let answer: PipelineAnswer
        if status == PGRES_PIPELINE_ABORTED {
            answer = .skipped
        } else if let error = error(from: result, values: values.compactMap { $0 }) {
            answer = .failed(error)
        } else if status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK {
            answer = .rows(rows(from: result))
        } else {
            PQclear(result)
            close()
            throw PostgresError(.protocolViolation, "a pipeline statement answered with an unexpected result")
        }
        PQclear(result)
        while let extra = PQgetResult(handle) { PQclear(extra) }
        return answer
    }
}
