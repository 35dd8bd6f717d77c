import Foundation

/// A company's CRM address as saved: `https://host[:port][/path]` (plain `http` only when
/// insecure URLs are allowed), without user info, query or fragment.
public struct CRMBaseURL: Sendable, Equatable {
    public var scheme: String
    /// The host as written (a name, an IPv4 address or a bracketless IPv6 address), lowercased.
    public var host: String
    public var port: Int
    /// The path before the contract's paths, without a trailing slash ("" for none).
    public var path: String

    /// Parses `text`; throws `CRMEndpointError` naming what is wrong (never echoing the text).
    public init(_ text: String, allowsInsecure: Bool) throws(CRMEndpointError) {
        guard text.utf8.count <= 2048, let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else { throw .malformed }
        switch scheme {
        case "https": break
        case "http": guard allowsInsecure else { throw .insecure }
        default: throw .malformed
        }
        guard components.user == nil, components.password == nil, components.query == nil, components.fragment == nil else {
            throw .malformed
        }
        var trimmedHost = host.lowercased()
        if trimmedHost.hasPrefix("["), trimmedHost.hasSuffix("]") { trimmedHost = String(trimmedHost.dropFirst().dropLast()) }
        guard trimmedHost.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "%") }) else {
            throw .malformed
        }
        self.scheme = scheme
        self.host = trimmedHost
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else { throw .malformed }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
    }

    /// The URL as saved, normalised.
    public var text: String {
        let defaultPort = scheme == "https" ? 443 : 80
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)\(port == defaultPort ? "" : ":\(port)")\(path)"
    }
}

/// Why a CRM address is refused. The text is safe to answer and to log: it never holds the
/// URL or the addresses it resolved to.
public enum CRMEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed
    /// `http` while insecure URLs are not allowed (`CRM_ALLOW_INSECURE`).
    case insecure
    /// The host does not resolve.
    case unresolvable
    /// The host resolves to a loopback, link-local, private or otherwise not public address
    /// (`CRM_ALLOW_PRIVATE_ADDRESSES`).
    case addressNotAllowed

    public var description: String {
        switch self {
        case .malformed: "baseUrl must be an absolute https URL without user info, query or fragment"
        case .insecure: "baseUrl must use https"
        case .unresolvable: "baseUrl's host does not resolve"
        case .addressNotAllowed: "baseUrl's host resolves to a loopback, link-local, private or reserved address"
        }
    }
}
