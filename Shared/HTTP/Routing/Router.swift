import Foundation
import Synchronization

/// Maps methods and path patterns to handlers.
///
/// Patterns are `/`-separated; a `:name` segment captures one segment into
/// `pathParameters[name]`, a final `*` captures the rest into `pathParameters["*"]`.
/// Static segments win over parameters. A path that matches no pattern is answered 404; a
/// method the path's resource (its most specific pattern with handlers) does not serve is
/// 405 with that resource's `Allow`, even where a less specific pattern serves the method
/// (`RouteTable`). HEAD uses the GET handler
/// when no HEAD handler exists, and the server sends no body.
///
/// Register routes before `HTTPServer.run()`: the server compiles the routes when it starts
/// and does not see later additions. The first registration of a method and pattern wins.
public final class Router: Sendable {
    private struct State {
        var entries: [RouteTable.Entry] = []
        var table: RouteTable?
    }

    private let state = Mutex(State())

    public init() {}

    /// Registers an asynchronous handler, run in Swift concurrency.
    public func add(_ method: HTTPMethod, _ pattern: String, options: RouteOptions = RouteOptions(),
                    _ handler: @escaping HTTPHandler) {
        register(method, pattern, options, .async(handler))
    }

    /// Registers a synchronous handler run directly on the event-loop thread.
    ///
    /// For trivial routes (health checks, constant responses): the handler runs between
    /// socket reads of every connection on its loop, so it must never block, sleep, wait on
    /// a lock held elsewhere, or do heavy work. The body is buffered up to
    /// `options.maxBodyBytes`; `streamsBody` is ignored.
    public func addInline(_ method: HTTPMethod, _ pattern: String, options: RouteOptions = RouteOptions(),
                          handler: @escaping HTTPInlineHandler) {
        var options = options
        options.streamsBody = false
        register(method, pattern, options, .inline(handler))
    }

    public func get(_ pattern: String, options: RouteOptions = RouteOptions(), _ handler: @escaping HTTPHandler) {
        add(.GET, pattern, options: options, handler)
    }

    public func post(_ pattern: String, options: RouteOptions = RouteOptions(), _ handler: @escaping HTTPHandler) {
        add(.POST, pattern, options: options, handler)
    }

    public func put(_ pattern: String, options: RouteOptions = RouteOptions(), _ handler: @escaping HTTPHandler) {
        add(.PUT, pattern, options: options, handler)
    }

    public func patch(_ pattern: String, options: RouteOptions = RouteOptions(), _ handler: @escaping HTTPHandler) {
        add(.PATCH, pattern, options: options, handler)
    }

    public func delete(_ pattern: String, options: RouteOptions = RouteOptions(), _ handler: @escaping HTTPHandler) {
        add(.DELETE, pattern, options: options, handler)
    }

    private func register(_ method: HTTPMethod, _ pattern: String, _ options: RouteOptions, _ handler: RouteHandler) {
        let names = RouteTable.patternSegments(pattern).filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
        let entry = RouteTable.Entry(method: method, pattern: pattern, parameterNames: names, options: options, handler: handler)
        state.withLock {
            $0.entries.append(entry)
            $0.table = nil
        }
    }

    /// Every registration so far, in order (a repeated method and pattern appears again,
    /// though only its first handler is used). HEAD answered by a GET handler is not listed.
    public var registeredRoutes: [RegisteredRoute] {
        state.withLock { $0.entries.map { RegisteredRoute(method: $0.method, pattern: $0.pattern) } }
    }

    /// The compiled routes as of now.
    var table: RouteTable {
        state.withLock { s in
            if let table = s.table { return table }
            let table = RouteTable(entries: s.entries)
            s.table = table
            return table
        }
    }

    /// Routes `request` and runs its handler, without a server (tests, in-process calls).
    ///
    /// Errors thrown by the handler become responses through `HTTPResponse(error:)`;
    /// HEAD responses have an empty body.
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        var request = request
        let (rawPath, _) = HTTPRequest.split(target: request.target)
        var response: HTTPResponse
        switch table.match(request.method, rawPath: rawPath) {
        case .found(let entry, let parameters):
            request.pathParameters = parameters
            request.route = entry.pattern
            switch entry.handler {
            case .inline(let handler):
                response = handler(request)
            case .async(let handler):
                do { response = try await handler(request) } catch { response = HTTPResponse(error: error) }
            }
        case .methodNotAllowed(let allowed):
            response = Router.methodNotAllowedResponse(allowed)
        case .notFound:
            response = Router.notFoundResponse
        case .badPath:
            response = HTTPResponse(error: HTTPError(status: .badRequest, message: "Malformed percent-encoding in path"))
        }
        if request.method == .HEAD { response.body = [] }
        return response
    }

    /// The answer for a path no route matches. Its code, `HTTPError.noRouteCode`, tells a
    /// caller of an internal service "this service has no such route" apart from "no such
    /// record" (`not_found`), which the same status carries.
    static let notFoundResponse = HTTPResponse(error: HTTPError(status: .notFound, code: HTTPError.noRouteCode,
                                                                message: "No route for this path"))

    static func methodNotAllowedResponse(_ allowed: [HTTPMethod]) -> HTTPResponse {
        var response = HTTPResponse(error: HTTPError(status: .methodNotAllowed, message: "Method not allowed for this path"))
        response.headers.replaceOrAdd(name: "Allow", value: allowed.map(\.rawValue).joined(separator: ", "))
        return response
    }
}
