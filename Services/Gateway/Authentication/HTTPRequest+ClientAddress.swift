import HTTP

extension HTTPRequest {
    /// The address the request came from: the TCP peer without its port (`1.2.3.4:5678` →
    /// `1.2.3.4`, `[::1]:5678` → `::1`), or, when that peer is one of `proxies`, the client
    /// its `X-Forwarded-For` names (`TrustedProxies.clientAddress`). What the login throttle
    /// and the unknown-API-key budget count by.
    func clientAddress(trusting proxies: TrustedProxies) -> String {
        proxies.clientAddress(peer: peerAddress, forwardedFor: headers.values(for: "X-Forwarded-For"))
    }

    /// The TCP peer's address without its port.
    var peerAddress: String {
        let address = remoteAddress
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<end])
        }
        if let colon = address.lastIndex(of: ":") { return String(address[..<colon]) }
        return address
    }
}
