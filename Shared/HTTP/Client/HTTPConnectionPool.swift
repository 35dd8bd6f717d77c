import Foundation
import TLS

/// Keep-alive client connections per host:port, with a cap on open connections.
///
/// Blocking by design: `acquire` waits (on a worker thread) for a free slot.
final class HTTPConnectionPool: @unchecked Sendable {
    // @unchecked Sendable: `hosts` and `isShutdown` are only accessed with `condition` locked;
    // ClientSocket objects move between threads only through the pool, one owner at a time.
    // A condition variable rather than a Mutex: `acquire` sleeps on it until a slot frees.

    /// One pool per destination: the URL's host and port, the address connected to when the
    /// caller chose it, and TLS (its context and the server name verified).
    struct Key: Hashable {
        struct Security: Hashable {
            var context: TLSContext
            var serverName: String

            static func == (a: Security, b: Security) -> Bool { a.context === b.context && a.serverName == b.serverName }
            func hash(into hasher: inout Hasher) {
                hasher.combine(ObjectIdentifier(context))
                hasher.combine(serverName)
            }
        }

        var host: String
        var port: Int
        var connectAddress: String?
        var tls: Security?
    }

    private struct Host {
        var idle: [ClientSocket] = []
        /// Connections handed out and not yet returned.
        var leased = 0
    }

    private let condition = NSCondition()
    private var hosts: [Key: Host] = [:]
    private var isShutdown = false
    private let maxPerHost: Int
    private let maxIdlePerHost: Int

    init(maxPerHost: Int, maxIdlePerHost: Int) {
        self.maxPerHost = max(1, maxPerHost)
        self.maxIdlePerHost = max(0, maxIdlePerHost)
    }

    /// A connection to `key` and whether it was reused from the idle list.
    func acquire(_ key: Key, address: Socket.Address, connectDeadline: UInt64, deadline: UInt64) throws -> (ClientSocket, reused: Bool) {
        condition.lock()
        while true {
            if isShutdown {
                condition.unlock()
                throw ClientSocket.Failure.closed
            }
            var host = hosts[key] ?? Host()
            while let socket = host.idle.popLast() {
                if socket.isReusable {
                    host.leased += 1
                    hosts[key] = host
                    condition.unlock()
                    return (socket, true)
                }
                socket.close()
            }
            if host.leased < maxPerHost {
                host.leased += 1
                hosts[key] = host
                condition.unlock()
                do {
                    let socket = try ClientSocket.connect(to: address, deadline: min(connectDeadline, deadline))
                    if let tls = key.tls { try socket.secure(tls.context, serverName: tls.serverName, deadline: deadline) }
                    return (socket, false)
                } catch {
                    release(key, nil)
                    throw error
                }
            }
            hosts[key] = host
            let now = Socket.monotonicNanoseconds()
            guard now < deadline else {
                condition.unlock()
                throw ClientSocket.Failure.timedOut
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(deadline - now) / 1e9))
        }
    }

    /// An idle keep-alive connection to `key`, leased, or nil when none is idle. Never blocks.
    func acquireIdle(_ key: Key) -> ClientSocket? {
        condition.lock()
        defer { condition.unlock() }
        guard !isShutdown, var host = hosts[key] else { return nil }
        var found: ClientSocket?
        while found == nil, let socket = host.idle.popLast() {
            if socket.isReusable { found = socket } else { socket.close() }
        }
        if found != nil { host.leased += 1 }
        hosts[key] = host
        return found
    }

    /// Returns a leased connection; `socket` is kept for reuse when given, else the slot is freed.
    func release(_ key: Key, _ socket: ClientSocket?) {
        condition.lock()
        var host = hosts[key] ?? Host()
        host.leased = max(0, host.leased - 1)
        var toClose: ClientSocket? = nil
        if let socket {
            if !isShutdown, host.idle.count < maxIdlePerHost {
                host.idle.append(socket)
            } else {
                toClose = socket
            }
        }
        hosts[key] = host
        condition.broadcast()
        condition.unlock()
        toClose?.close()
    }

    /// Closes idle connections and fails later `acquire`s.
    func shutdown() {
        condition.lock()
        isShutdown = true
        let idle = hosts.values.flatMap(\.idle)
        for key in hosts.keys { hosts[key]?.idle = [] }
        condition.broadcast()
        condition.unlock()
        for socket in idle { socket.close() }
    }
}
