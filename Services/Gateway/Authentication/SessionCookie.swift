import HTTP

/// The session cookie, `token`: HttpOnly (scripts cannot read it), SameSite=Lax (not sent
/// on cross-site subrequests or POSTs), Path=/, and Secure when configured (off only for
/// a plain-http local stack).
struct SessionCookie: Sendable {
    static let name = "token"
    /// Whether the cookie carries `Secure`.
    var secure: Bool

    /// The `Set-Cookie` value that stores `token` for `maxAge` seconds.
    func setting(_ token: String, maxAge: Int64) -> String {
        "\(Self.name)=\(token); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// The `Set-Cookie` value that removes the cookie.
    func clearing() -> String {
        "\(Self.name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// The value of the `token` cookie among the request's `Cookie` headers.
    static func value(in headers: HTTPHeaders) -> String? {
        for header in headers.values(for: "Cookie") {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    let value = parts[1].trimmingCharacters(in: .whitespaces)
                    return value.isEmpty ? nil : value
                }
            }
        }
        return nil
    }
}
