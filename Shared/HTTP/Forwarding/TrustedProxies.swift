import Foundation
import Glibc

/// The proxies whose `X-Forwarded-For` the gateway believes, and the client address a request
/// came from through them.
///
/// Behind a TLS-terminating proxy every TCP peer is the proxy, so anything keyed by the peer
/// (the per-address login throttle) would share one budget among every caller. When the peer
/// is a trusted proxy, the client is the rightmost `X-Forwarded-For` entry that is not itself
/// a trusted proxy, as nginx's `real_ip_recursive` reads it: entries to the right of it were
/// appended by proxies the operator trusts; anything to the left the caller could have
/// written. With no trusted proxies (the default) the peer is the client and the header is
/// ignored. An unreadable entry where a trusted proxy's should be stops the walk at the last
/// trusted hop, never at a caller-written value.
public struct TrustedProxies: Sendable, Equatable {
    /// An IPv4 or IPv6 network; IPv4 is held as its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`).
    struct Network: Sendable, Equatable {
        var address: [UInt8]
        var prefixLength: Int

        func contains(_ other: [UInt8]) -> Bool {
            var bits = prefixLength
            for index in 0..<16 where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xff : ~(0xff >> UInt8(bits))
                if address[index] & mask != other[index] & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    let networks: [Network]

    /// At most this many `X-Forwarded-For` entries are examined, from the right.
    static let maxHops = 32

    /// No proxy is trusted: the TCP peer is the client.
    public static let none = TrustedProxies(networks: [])

    init(networks: [Network]) {
        self.networks = networks
    }

    /// An entry of a `TRUSTED_PROXIES`-style list that is neither an address nor a network.
    public struct InvalidEntry: Error, Equatable {
        public let entry: String
    }

    /// Reads a comma-separated list of addresses and CIDR networks (`10.0.0.0/8, 192.168.1.7,
    /// fd00::/8`); an empty text trusts nobody.
    public init(parsing text: String) throws(InvalidEntry) {
        var networks: [Network] = []
        for entry in text.split(separator: ",") {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard let network = Self.network(trimmed) else { throw InvalidEntry(entry: trimmed) }
            networks.append(network)
        }
        self.networks = networks
    }

    /// Whether `address` (an IP address without port) is a trusted proxy.
    public func trusts(_ address: String) -> Bool {
        guard let bytes = Self.addressBytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client's address: `peer` (the TCP peer, without port) unless it is a trusted proxy,
    /// else the rightmost untrusted address in `forwardedFor` (the request's `X-Forwarded-For`
    /// values, in order).
    public func clientAddress(peer: String, forwardedFor: [String]) -> String {
        guard !networks.isEmpty, trusts(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed().prefix(Self.maxHops) {
            guard let bytes = Self.addressBytes(hop) else { return client }
            client = hop
            if !networks.contains(where: { $0.contains(bytes) }) { return hop }
        }
        return client
    }

    static func network(_ text: String) -> Network? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let (bytes, isIPv4) = parse(String(parts[0])) else { return nil }
        let maxPrefix = isIPv4 ? 32 : 128
        var prefix = maxPrefix
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...maxPrefix).contains(value) else { return nil }
            prefix = value
        }
        return Network(address: bytes, prefixLength: isIPv4 ? prefix + 96 : prefix)
    }

    /// The 16 bytes of an IPv6 address, or of an IPv4 address's IPv4-mapped form; nil when
    /// `text` is neither.
    static func addressBytes(_ text: String) -> [UInt8]? {
        parse(text)?.bytes
    }

    private static func parse(_ text: String) -> (bytes: [UInt8], isIPv4: Bool)? {
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return (withUnsafeBytes(of: &v6) { Array($0) }, false)
        }
        var v4 = in_addr()
        guard inet_pton(AF_INET, text, &v4) == 1 else { return nil }
        return ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] + withUnsafeBytes(of: &v4) { Array($0) }, true)
    }
}
