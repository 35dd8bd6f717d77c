#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Which addresses the sync may connect to (SSRF): only public unicast ones, unless private
/// addresses are allowed (`CRM_ALLOW_PRIVATE_ADDRESSES=1`: loopback, link-local and private
/// ranges then pass). Unspecified, multicast and reserved addresses never pass.
///
/// The check runs at every call (`CRMAddressPolicy.resolve`), not only when the address is
/// saved: the host is resolved, every address it resolves to is checked, and the call goes
/// to a checked address, so a name that later resolves elsewhere (DNS rebinding) is caught.
public struct CRMAddressPolicy: Sendable, Equatable {
    public var allowsPrivateAddresses: Bool

    public init(allowsPrivateAddresses: Bool) { self.allowsPrivateAddresses = allowsPrivateAddresses }

    public enum Range: Sendable, Equatable {
        case `public`
        /// Loopback, link-local, private (RFC 1918, unique local, shared address space).
        case `private`
        /// Unspecified, multicast, broadcast, documentation, benchmarking and other reserved.
        case reserved
    }

    /// The range of an address of 4 (IPv4) or 16 (IPv6) bytes.
    public static func range(of bytes: [UInt8]) -> Range {
        switch bytes.count {
        case 4: return rangeV4(bytes[0], bytes[1], bytes[2])
        case 16:
            // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d)
            // addresses reach the embedded IPv4 address.
            let prefix10Zero = bytes[0..<10].allSatisfy { $0 == 0 }
            if prefix10Zero, bytes[10] == 0xff, bytes[11] == 0xff { return rangeV4(bytes[12], bytes[13], bytes[14]) }
            if bytes[0..<12].allSatisfy({ $0 == 0 }) {
                if bytes[12..<15].allSatisfy({ $0 == 0 }) { return bytes[15] == 1 ? .private : .reserved }
                return rangeV4(bytes[12], bytes[13], bytes[14])
            }
            if bytes[0] == 0x00, bytes[1] == 0x64, bytes[2] == 0xff, bytes[3] == 0x9b, bytes[4..<12].allSatisfy({ $0 == 0 }) {
                return rangeV4(bytes[12], bytes[13], bytes[14])
            }
            if bytes[0] == 0xff { return .reserved }                          // multicast
            if bytes[0] == 0xfe, bytes[1] & 0xc0 == 0x80 { return .private }  // fe80::/10 link-local
            if bytes[0] == 0xfe, bytes[1] & 0xc0 == 0xc0 { return .private }  // fec0::/10 site-local
            if bytes[0] & 0xfe == 0xfc { return .private }                    // fc00::/7 unique local
            if bytes[0] == 0x20, bytes[1] == 0x01, bytes[2] == 0x0d, bytes[3] == 0xb8 { return .reserved } // documentation
            if bytes[0] & 0xe0 != 0x20 { return .reserved }                   // outside 2000::/3
            return .public
        default: return .reserved
        }
    }

    /// The range of an IPv4 address by its first three bytes (no range here depends on the fourth).
    static func rangeV4(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Range {
        switch (a, b) {
        case (10, _), (127, _), (169, 254), (192, 168): return .private
        case (172, 16...31), (100, 64...127): return .private     // RFC 1918, shared address space
        case (0, _), (224..., _): return .reserved                // "this network", multicast, reserved, broadcast
        case (192, 0) where c == 0 || c == 2: return .reserved    // IETF protocol assignments, TEST-NET-1
        case (198, 18...19): return .reserved                     // benchmarking
        case (198, 51) where c == 100: return .reserved           // TEST-NET-2
        case (203, 0) where c == 113: return .reserved            // TEST-NET-3
        default: return .public
        }
    }

    /// Whether an address of this range may be connected to.
    public func allows(_ range: Range) -> Bool {
        switch range {
        case .public: true
        case .private: allowsPrivateAddresses
        case .reserved: false
        }
    }

    /// The address to connect to for `host` (a name or a literal): every address it resolves
    /// to must be allowed; the first IPv4 one (else the first) is returned as URL host text.
    public func resolve(host: String, port: Int) throws(CRMEndpointError) -> String {
        let addresses = Self.lookUp(host: host, port: port)
        guard !addresses.isEmpty else { throw .unresolvable }
        guard addresses.allSatisfy({ allows(Self.range(of: $0)) }) else { throw .addressNotAllowed }
        let chosen = addresses.first { $0.count == 4 } ?? addresses[0]
        return Self.text(of: chosen)
    }

    /// Every address `getaddrinfo` gives for a stream socket to `host`.
    static func lookUp(host: String, port: Int) -> [[UInt8]] {
        guard !host.isEmpty, host.utf8.count <= 253 else { return [] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [[UInt8]] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            if let address = current.pointee.ai_addr {
                switch current.pointee.ai_family {
                case AF_INET:
                    var v4 = UnsafeRawPointer(address).load(as: sockaddr_in.self).sin_addr
                    addresses.append(withUnsafeBytes(of: &v4) { Array($0) })
                case AF_INET6:
                    var v6 = UnsafeRawPointer(address).load(as: sockaddr_in6.self).sin6_addr
                    addresses.append(withUnsafeBytes(of: &v6) { Array($0) })
                default:
                    break
                }
            }
            node = current.pointee.ai_next
        }
        return addresses
    }

    /// Dotted IPv4 or bracketed IPv6 text of an address, for a URL's host.
    static func text(of bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return "[" + groups.joined(separator: ":") + "]"
    }
}
