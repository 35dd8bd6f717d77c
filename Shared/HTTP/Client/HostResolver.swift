#if canImport(Glibc)
import Glibc
#endif
import Foundation
import CLinuxIO
import Synchronization

/// Resolves host names (such as `command-service` in containers) to addresses with
/// `getaddrinfo`, caching each answer for `timeToLive` so a busy client does not resolve
/// per request. Numeric hosts and "localhost" never reach the resolver.
final class HostResolver: Sendable {
    private let cache = Mutex<[String: (address: Socket.Address, expires: UInt64)]>([:])
    private let timeToLive: UInt64

    init(timeToLive: Duration = .seconds(30)) {
        self.timeToLive = timeToLive.clampedNanoseconds
    }

    /// The address for `host`:`port`; nil when the name does not resolve.
    func address(host: String, port: Int) -> Socket.Address? {
        if let numeric = Socket.Address(host: host, port: port) { return numeric }
        let key = "\(host):\(port)"
        let now = Socket.monotonicNanoseconds()
        if let cached = cache.withLock({ $0[key] }), cached.expires > now { return cached.address }
        guard let resolved = Self.lookUp(host: host, port: port) else { return nil }
        let expires = now &+ timeToLive
        cache.withLock { cache in
            if cache.count > 1024 { cache.removeAll() }
            cache[key] = (resolved, expires)
        }
        return resolved
    }

    /// The address for `host`:`port` when it is numeric or cached; never blocks.
    func knownAddress(host: String, port: Int) -> Socket.Address? {
        if let numeric = Socket.Address(host: host, port: port) { return numeric }
        let now = Socket.monotonicNanoseconds()
        guard let cached = cache.withLock({ $0["\(host):\(port)"] }), cached.expires > now else { return nil }
        return cached.address
    }

    /// The first IPv4 (else IPv6) stream address `getaddrinfo` gives for the name.
    static func lookUp(host: String, port: Int) -> Socket.Address? {
        guard host.utf8.count <= 253, !host.isEmpty else { return nil }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else { return nil }
        defer { freeaddrinfo(first) }
        var fallback: Socket.Address?
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            if let address = current.pointee.ai_addr {
                switch current.pointee.ai_family {
                case AF_INET:
                    return .v4(UnsafeRawPointer(address).load(as: sockaddr_in.self))
                case AF_INET6 where fallback == nil:
                    fallback = .v6(UnsafeRawPointer(address).load(as: sockaddr_in6.self))
                default:
                    break
                }
            }
            node = current.pointee.ai_next
        }
        return fallback
    }
}
