import CLibPQ
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection. Every call blocks its thread until the server answers.
///
/// Not Sendable: a pool hands it to one closure at a time, on a thread the pool owns (never
/// Swift's cooperative pool). `connect(configuration:)` opens one outside a pool, for tools and
/// tests that may block their thread.
///
/// Statements use the extended protocol: parameters travel separately (`$1`, `$2`…) and are
/// never spliced into the SQL. `query` and `execute` prepare each distinct SQL text (with its
/// parameter types) once per connection and reuse it (`prepared: false` opts out, for one-off
/// statements). When a cached statement no longer fits the schema (SQLSTATE 0A000, "cached
/// plan must not change result type") or has vanished (26000) outside a transaction, it is
/// prepared again and run once more; inside a transaction the error is thrown, since the
/// transaction is already aborted.
public final class PostgresConnection {
    /// The most statements kept prepared per connection; beyond it statements run unnamed.
    static let statementCacheLimit = 512

    private(set) var handle: OpaquePointer?
    /// Numbers the connections this process opened, never reused: a caller can tell a
    /// connection it has not used before (one opened after the server restarted, say).
    public let serial: UInt64
    private static let serials = Atomic<UInt64>(0)
    private let secrets: [String]
    /// Names of the prepared statements, by SQL text and parameter types.
    var statements: [StatementKey: String] = [:]
    var statementCounter = 0
    /// Whether libpq runs in non-blocking mode (on-loop statements) rather than blocking.
    private(set) var isNonblocking = false
    /// Statements started since the pool handed the connection out.
    var statementsSinceCheckout = 0
    /// Whether the last failure happened before the statement reached the socket, on the
    /// first statement since checkout: the one case where the pool retries the closure.
    var failedBeforeSending = false
    /// Lets another thread cancel the running statement.
    let canceller: Canceller
    /// The BEGIN of a transaction, not sent yet: it goes out with the transaction's first
    /// statement (see `transaction(isolation:_:)`); nil when none waits.
    var pendingBegin: String?

    struct StatementKey: Hashable {
        var sql: String
        var types: [UInt32]
    }

    private init(handle: OpaquePointer, secrets: [String]) {
        self.handle = handle
        self.secrets = secrets
        self.canceller = Canceller(PQgetCancel(handle))
        self.serial = Self.serials.add(1, ordering: .relaxed).newValue
    }

    deinit { close() }

    /// Opens a connection and prepares its session: UTC time zone, ISO dates, hex bytea,
    /// UTF-8, the configured `statement_timeout`, and `synchronous_commit` when turned off. Blocks for up to `connectTimeout`.
    public static func connect(configuration: PostgresConfiguration) throws -> PostgresConnection {
        let secrets = configuration.secrets
        let timeoutSeconds = max(2, (configuration.connectTimeout.wholeMilliseconds + 999) / 1000)
        let keywords = ["dbname", "connect_timeout", "application_name", "client_encoding"]
        let values = [configuration.connectionString, String(timeoutSeconds), configuration.applicationName, "UTF8"]
        let handle: OpaquePointer? = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let handle else {
            throw PostgresError(.connection, "could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let detail = redact(String(cString: PQerrorMessage(handle)), values: [], secrets: secrets)
            PQfinish(handle)
            throw PostgresError(.connection, "could not connect to the database", internalDetail: detail)
        }
        // libpq prints the server's notices ("relation ... already exists, skipping") as plain
        // text on standard error, which would break a service's JSON-lines log. They carry
        // nothing a caller acts on: errors arrive as results, so notices are dropped here and
        // the server is asked not to send those below WARNING at all.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        let connection = PostgresConnection(handle: handle, secrets: secrets)
        var setup = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET bytea_output = 'hex'; SET client_min_messages = 'warning'; "
        if let timeout = configuration.statementTimeout {
            setup += "SET statement_timeout = \(timeout.wholeMilliseconds); "
        }
        if !configuration.synchronousCommit {
            setup += "SET synchronous_commit = off;"
        }
        try connection.executeScript(setup)
        return connection
    }

    /// Whether libpq considers the connection usable.
    public var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Whether a transaction is open (or aborted and awaiting ROLLBACK).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        if pendingBegin != nil { return true }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Whether an error aborted the open transaction, so only ROLLBACK is accepted.
    public var isTransactionAborted: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle) == PQTRANS_INERROR
    }

    /// Closes the connection; later calls fail with `.connection`. Safe to call twice.
    public func close() {
        canceller.invalidate()
        if let handle { PQfinish(handle) }
        handle = nil
        pendingBegin = nil
        statements.removeAll()
    }

    /// Runs one statement and returns its rows.
    ///
    /// - Parameter prepared: false runs the statement unnamed instead of caching it, so it is
    ///   planned for its parameters and the table's size now on every run. For a statement
    ///   whose best plan changes as its table grows from empty: a cached statement's generic
    ///   plan, made while the table was small, scans the whole table until statistics change
    ///   (`ClientKeyStore.storedKeys`: 5 ms a question at 3,000 keys, measured with
    ///   auto_explain: docs/performance.md, design measurements).
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = [], prepared: Bool = true) throws
        -> PostgresRows {
        if pendingBegin != nil && prepared { return try pipeline([PostgresStatement(sql, parameters)])[0] }
        try sendPendingBegin()
        let result = try run(sql, parameters.map(\.postgresValue), prepared: prepared)
        defer { PQclear(result) }
        return rows(from: result)
    }

    /// Runs one statement and returns the number of rows it affected (0 when it reports none).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable] = [], prepared: Bool = true) throws -> Int {
        if pendingBegin != nil && prepared { return try pipeline([PostgresStatement(sql, parameters)])[0].affectedRows }
        try sendPendingBegin()
        let result = try run(sql, parameters.map(\.postgresValue), prepared: prepared)
        defer { PQclear(result) }
        return affectedRows(result)
    }

    /// Runs SQL text that may hold several statements, with the simple-query protocol and no
    /// parameters: for migrations and session commands. Never pass data in `sql`.
    public func executeScript(_ sql: String) throws {
        let handle = try liveHandle()
        try checkNoNUL(sql, what: "SQL text")
        // A waiting BEGIN runs first in the same simple query; the transaction it opens
        // stays open after the script.
        var sql = sql
        if let begin = pendingBegin {
            pendingBegin = nil
            sql = begin + ";\n" + sql
        }
        statementsSinceCheckout += 1
        failedBeforeSending = false
        guard PQsendQuery(handle, sql) == 1 else {
            throw sendFailure(handle)
        }
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            if failure == nil { failure = error(from: result, values: []) }
            if let copyFailure = refuseCopy(handle, result) { failure = failure ?? copyFailure }
            PQclear(result)
        }
        if let failure { throw failure }
    }

    /// Runs `COPY … FROM STDIN` and streams `rows` to it, one row per element, in the format
    /// the statement names (text by default). A newline is added to rows lacking one.
    /// Returns the number of rows copied. A thrown error aborts the whole COPY.
    @discardableResult
    public func copyIn(_ sql: String, rows: some Sequence<String>) throws -> Int {
        try copyIn(sql, chunks: rows.lazy.map { row -> [UInt8] in
            var bytes = Array(row.utf8)
            if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
            return bytes
        })
    }

    /// Runs `COPY … FROM STDIN` and streams `chunks` to it as they are (whole rows or any
    /// split of the data; binary COPY works too). Returns the number of rows copied.
    @discardableResult
    public func copyIn(_ sql: String, chunks: some Sequence<[UInt8]>) throws -> Int {
        try sendPendingBegin()
        let handle = try liveHandle()
        try checkNoNUL(sql, what: "SQL text")
        statementsSinceCheckout += 1
        failedBeforeSending = false
        guard PQsendQuery(handle, sql) == 1 else { throw sendFailure(handle) }
        guard let start = PQgetResult(handle) else {
            throw PostgresError(.protocolViolation, "COPY did not start")
        }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            let failure = error(from: start, values: [])
                ?? PostgresError(.invalidArgument, "the statement is not COPY … FROM STDIN")
            PQclear(start)
            drainResults(handle)
            throw failure
        }
        PQclear(start)
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 << 16)
        var sendError: PostgresError?
        func flush() {
            guard !buffer.isEmpty, sendError == nil else { return }
            let sent = buffer.withUnsafeBufferPointer { pointer in
                pointer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
            }
            if sent != 1 { sendError = connectionFailure(handle, "COPY data could not be sent") }
            buffer.removeAll(keepingCapacity: true)
        }
        for chunk in chunks {
            buffer.append(contentsOf: chunk)
            if buffer.count >= 1 << 16 { flush() }
            if sendError != nil { break }
        }
        flush()
        PQputCopyEnd(handle, sendError == nil ? nil : "client failed")
        var failure = sendError
        var copied = 0
        while let result = PQgetResult(handle) {
            if failure == nil { failure = error(from: result, values: [], redactQuoted: true) }
            copied = affectedRows(result)
            PQclear(result)
        }
        if let failure { throw failure }
        return copied
    }

    // MARK: Running statements

    /// Sends a waiting BEGIN on its own, for the statements that cannot carry it.
    func sendPendingBegin() throws {
        guard let begin = pendingBegin else { return }
        pendingBegin = nil
        try executeScript(begin)
    }

    /// What every statement does before sending, on the thread path and the on-loop path
    /// alike: a live handle, no NUL in the SQL or a parameter (libpq would cut the text
    /// there), the parameters' texts and types, and the statement counted.
    func beginStatement(_ sql: String, _ values: [PostgresValue]) throws
        -> (handle: OpaquePointer, texts: [String?], types: [PostgresDataType.RawValue]) {
        let handle = try liveHandle()
        try checkNoNUL(sql, what: "SQL text")
        for (index, value) in values.enumerated() {
            if let text = value.text { try checkNoNUL(text, what: "parameter $\(index + 1)") }
        }
        statementsSinceCheckout += 1
        failedBeforeSending = false
        return (handle, values.map(\.text), values.map(\.type.rawValue))
    }

    func run(_ sql: String, _ values: [PostgresValue], prepared: Bool) throws -> OpaquePointer {
        let (handle, texts, types) = try beginStatement(sql, values)
        guard prepared else {
            return try send(handle, values: texts) { count, pointers in
                types.withUnsafeBufferPointer { PQsendQueryParams(handle, sql, count, $0.baseAddress, pointers, nil, nil, 0) }
            }
        }
        let key = StatementKey(sql: sql, types: types)
        if let name = statements[key] {
            let wasIdle = PQtransactionStatus(handle) == PQTRANS_IDLE
            do {
                return try executePrepared(handle, name: name, values: texts)
            } catch let failure as PostgresError where failure.sqlState == "0A000" || failure.sqlState == "26000" {
                statements[key] = nil
                deallocate(handle, name: name)
                guard wasIdle else { throw failure }
            }
        }
        guard statements.count < Self.statementCacheLimit else {
            return try send(handle, values: texts) { count, pointers in
                types.withUnsafeBufferPointer { PQsendQueryParams(handle, sql, count, $0.baseAddress, pointers, nil, nil, 0) }
            }
        }
        statementCounter += 1
        let name = "clientele_\(statementCounter)"
        let prepareResult = try send(handle, values: []) { _, _ in
            types.withUnsafeBufferPointer { PQsendPrepare(handle, name, sql, Int32(types.count), $0.baseAddress) }
        }
        PQclear(prepareResult)
        statements[key] = name
        return try executePrepared(handle, name: name, values: texts)
    }

    private func executePrepared(_ handle: OpaquePointer, name: String, values: [String?]) throws -> OpaquePointer {
        try send(handle, values: values) { count, pointers in
            PQsendQueryPrepared(handle, name, count, pointers, nil, nil, 0)
        }
    }

    func deallocate(_ handle: OpaquePointer, name: String) {
        guard PQtransactionStatus(handle) == PQTRANS_IDLE else { return }
        if let result = PQexec(handle, "DEALLOCATE \(name)") { PQclear(result) }
    }

    /// Sends with `start` (given the parameter count and C strings), then collects the one
    /// result; throws the server's error with `values` redacted from its message.
    private func send(_ handle: OpaquePointer, values: [String?],
                      _ start: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32) throws -> OpaquePointer {
        let started = withOptionalCStringArray(values) { pointers in start(Int32(values.count), pointers) }
        guard started == 1 else { throw sendFailure(handle) }
        var kept: OpaquePointer?
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            if failure == nil, let error = error(from: result, values: values.compactMap { $0 }) {
                failure = error
            }
            if let copyFailure = refuseCopy(handle, result) { failure = failure ?? copyFailure }
            if kept == nil && failure == nil {
                kept = result
            } else {
                PQclear(result)
            }
        }
        if let failure {
            if let kept { PQclear(kept) }
            throw failure
        }
        guard let kept else {
            throw connectionFailure(handle, "the server sent no result")
        }
        return kept
    }

    /// Ends a COPY that `query`, `execute` or `executeScript` started (they cannot stream
    /// it): aborts COPY FROM STDIN, discards COPY TO STDOUT. Returns the error to report.
    private func refuseCopy(_ handle: OpaquePointer, _ result: OpaquePointer) -> PostgresError? {
        switch PQresultStatus(result) {
        case PGRES_COPY_IN:
            PQputCopyEnd(handle, "use copyIn for COPY FROM STDIN")
            return PostgresError(.invalidArgument, "COPY FROM STDIN needs copyIn")
        case PGRES_COPY_OUT:
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) > 0 {
                if let data = buffer { PQfreemem(data) }
                buffer = nil
            }
            return PostgresError(.invalidArgument, "COPY TO STDOUT is not supported")
        default:
            return nil
        }
    }

    func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PostgresError(.connection, "the connection is closed") }
        return handle
    }

    private func drainResults(_ handle: OpaquePointer) {
        while let result = PQgetResult(handle) { PQclear(result) }
    }

    func checkNoNUL(_ text: String, what: String) throws {
        // Over the contiguous bytes: a projection's batch parameter is hundreds of kilobytes,
        // and the generic `UTF8View` scan showed in its CPU (measured: docs/performance.md,
        // design measurements).
        if text.utf8.withContiguousStorageIfAvailable({ $0.contains(0) }) ?? text.utf8.contains(0) {
            throw PostgresError(.invalidArgument, "\(what) contains a NUL character, which PostgreSQL cannot store")
        }
    }

    // MARK: Results and errors

    func rows(from result: OpaquePointer) -> PostgresRows {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var names = [String]()
        var types = [PostgresDataType]()
        names.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            names.append(String(cString: PQfname(result, Int32(column))))
            types.append(PostgresDataType(PQftype(result, Int32(column))))
        }
        var cells = [String?]()
        cells.reserveCapacity(rowCount * columnCount)
        for row in 0..<rowCount {
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    cells.append(nil)
                } else {
                    let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                    let pointer = UnsafeRawPointer(PQgetvalue(result, Int32(row), Int32(column))!)
                    let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
                    cells.append(String(decoding: bytes, as: UTF8.self))
                }
            }
        }
        let affected = PQresultStatus(result) == PGRES_TUPLES_OK ? rowCount : affectedRows(result)
        return PostgresRows(storage: PostgresRows.Storage(
            columnNames: names, columnTypes: types, rowCount: rowCount, affectedRows: affected, cells: cells))
    }

    func affectedRows(_ result: OpaquePointer) -> Int {
        guard let tuples = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: tuples)) ?? 0
    }

    /// The error a result carries, or nil when it succeeded.
    ///
    /// - Parameter redactQuoted: also blank every `"…"` in the server's message, for COPY,
    ///   whose rejected data cannot be matched against known values.
    func error(from result: OpaquePointer, values: [String], redactQuoted: Bool = false) -> PostgresError? {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT,
             PGRES_SINGLE_TUPLE:
            return nil
        default:
            break
        }
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        let severity = field("V") ?? field("S") ?? "ERROR"
        let primary = field("M") ?? String(cString: PQresultErrorMessage(result))
        var context: [String: String] = [:]
        if let constraint = field("n") { context["constraint"] = constraint }
        if let table = field("t") { context["table"] = table }
        if let column = field("c") { context["column"] = column }
        var redacted = Self.redact(primary, values: values, secrets: secrets)
        if redactQuoted {
            redacted = redacted.replacingOccurrences(of: #""[^"]*""#, with: "\"<redacted>\"", options: .regularExpression)
        }
        let detail = "\(severity) \(sqlState ?? "-----"): \(redacted)"
        let broken = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
        let kind: PostgresError.Kind
        let message: String
        if sqlState == "57014" {
            kind = .timeout
            message = "the statement was cancelled (statement timeout or cancel request)"
        } else if broken || sqlState == nil || (sqlState.map(PostgresError.isUnavailableState) ?? false) {
            kind = broken || sqlState == nil ? .connection : .query
            message = broken ? "the connection to the database was lost" : "the database is unavailable"
        } else {
            kind = .query
            message = "the database rejected the statement"
        }
        return PostgresError(PostgresError.Code(kind, sqlState: sqlState), message, context: context,
                             internalDetail: detail)
    }

    func sendFailure(_ handle: OpaquePointer) -> PostgresError {
        if statementsSinceCheckout == 1 && PQstatus(handle) != CONNECTION_OK { failedBeforeSending = true }
        return connectionFailure(handle, "the statement could not be sent")
    }

    func connectionFailure(_ handle: OpaquePointer, _ message: String) -> PostgresError {
        let detail = Self.redact(String(cString: PQerrorMessage(handle)), values: [], secrets: secrets)
        let kind: PostgresError.Kind = PQstatus(handle) == CONNECTION_OK ? .protocolViolation : .connection
        return PostgresError(PostgresError.Code(kind), message, internalDetail: detail)
    }

    /// Cuts parameter values and secrets out of a server or libpq message. Values of four or
    /// more characters are removed wherever they appear; shorter ones where the server quotes
    /// them (`"…"`), so that short values do not blank out ordinary words.
    static func redact(_ message: String, values: [String], secrets: [String]) -> String {
        var text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        for value in (values + secrets).sorted(by: { $0.count > $1.count }) where !value.isEmpty {
            if value.count >= 4 {
                text = text.replacingOccurrences(of: value, with: "<redacted>")
            } else {
                text = text.replacingOccurrences(of: "\"\(value)\"", with: "\"<redacted>\"")
            }
        }
        return text
    }

    // MARK: Blocking mode

    /// Puts libpq in blocking mode (the pool's Dispatch path) or non-blocking mode (on-loop
    /// statements); a no-op when already there.
    func setNonblocking(_ nonblocking: Bool) {
        guard nonblocking != isNonblocking, let handle else { return }
        if PQsetnonblocking(handle, nonblocking ? 1 : 0) == 0 { isNonblocking = nonblocking }
    }

    // MARK: Health

    /// Checks an idle connection without sending anything: input waiting while idle means
    /// the server said goodbye (shutdown, restart, terminated backend) or closed the socket.
    /// Returns false when the connection should be replaced.
    func isHealthyWhileIdle() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK,
              PQtransactionStatus(handle) == PQTRANS_IDLE else { return false }
        let socket = PQsocket(handle)
        guard socket >= 0 else { return false }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 0)
        if ready == 0 { return true }
        return false
    }
}

/// Calls `body` with a NULL-terminated C array of `strings`, valid only during the call.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    var pointers = duplicates.map { UnsafePointer<CChar>($0) }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Calls `body` with a C array of `strings` (NULL for nil), valid only during the call.
func withOptionalCStringArray<R>(_ strings: [String?],
                                         _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    if strings.isEmpty { return body(nil) }
    let duplicates = strings.map { $0.map { strdup($0) } ?? nil }
    defer { duplicates.forEach { free($0) } }
    let pointers = duplicates.map { $0.map { UnsafePointer<CChar>($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
