import Coordination
import HTTP
import InternalAPI
import SearchReadModel
import ServiceRuntime

/// The search projection's answer to `InternalPaths.careExport`: every matching client by
/// number, read by one statement (`ClientSearch.exportPages`) and sent as the export's stream
/// (`CareExportPage+Stream`) as its frames are written.
///
/// The statement's connection thread hands each page over (`BlockingHandoff`, one page
/// waiting at most) and blocks until it is taken; a page is taken once the gateway has taken
/// most of the last (`HTTPStreamedBody`'s backpressure), so memory stays at about two pages.
/// When the gateway goes away (its caller disconnected), the next `put` throws, which rolls
/// back the statement's transaction and ends the query; a statement running then (the first
/// page's scan and sort) is cancelled on the server.
enum CareExportStream {
    /// Rows per page: per frame of the stream, and so per access record the gateway writes.
    static let rowsPerPage = 5000
    /// Exports running at once: each holds one of the projection's database connections (and
    /// a transaction) for as long as its caller downloads, so a third is refused (503) rather
    /// than let slow downloads take the connections the other reads and the applying need.
    static let concurrentExports = 2

    /// `running` holds a place for the export until its answer is done with the statement.
    static func response(_ search: ClientSearch, _ query: ClientListQuery, running: InFlightLimit) async throws -> HTTPResponse {
        let permit = try running.admit()
        let pages = BlockingHandoff<[UInt8]>(capacity: 1)
        let producer = Task {
            do {
                try await search.exportPages(query, rowsPerPage: rowsPerPage) { try pages.put($0) }
                pages.finish()
            } catch {
                pages.finish(throwing: error)
            }
        }
        let stop = Stop(pages: pages, producer: producer, permit: permit)
        // The first page before answering: a read that fails is an error answer, not a cut stream.
        let first: [UInt8]?
        do {
            first = try await pages.next()
        } catch {
            stop.now()
            throw error
        }
        var response = HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"])
        response.streamedBody = HTTPStreamedBody { writer in
            defer { stop.now() }
            var page = first
            while let current = page {
                try await writer.write(current)
                page = try await pages.next()
            }
            try await writer.write(CareExportPage.endFrame)
        }
        return response
    }

    /// Ends the producer when the answer is done with it, or when the answer is dropped unsent
    /// (its connection closed first): the handoff closes, so a blocked `put` throws and the
    /// statement's transaction rolls back, never holding its connection.
    final class Stop: Sendable {
        let pages: BlockingHandoff<[UInt8]>
        let producer: Task<Void, Never>
        let permit: InFlightLimit.Permit

        init(pages: BlockingHandoff<[UInt8]>, producer: Task<Void, Never>, permit: InFlightLimit.Permit) {
            self.pages = pages
            self.producer = producer
            self.permit = permit
        }

        func now() {
            pages.close()
            producer.cancel()
            // The statement ends once its producer sees the closed handoff; the place is given
            // back now, so a finished export never holds one.
            permit.release()
        }

        deinit { now() }
    }
}
