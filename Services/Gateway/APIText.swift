import ClientDomain

/// Rules on text the APIs take beyond `TextLimit`'s.
enum APIText {
    /// Whether `text` is visible ASCII (U+0021–U+007E: no spaces, controls or anything beyond
    /// ASCII). Emails keep to it, so that their 254-byte limit (RFC 5321's octets) is 254
    /// characters, a limit a schema can state (`maxLength` counts characters, never bytes);
    /// so do `Idempotency-Key` values.
    static func isVisibleASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// What is wrong with `email` as a client's email, or nil: `limit`, then the shape
    /// (`ClientFieldLimits.looksLikeEmail`) in visible ASCII.
    static func clientEmailProblem(_ email: String, limit: TextLimit) -> String? {
        if let problem = limit.problem(email) { return problem }
        guard ClientFieldLimits.looksLikeEmail(email), isVisibleASCII(email) else { return "must be a valid email address (in ASCII)" }
        return nil
    }
}
