/// What a `Range` request header asks of a representation of `size` bytes (RFC 9110 §14):
/// a plain function of the header, tested without sockets.
///
/// One `bytes=` range is served as 206: `first-last`, `first-` or the suffix `-length`.
/// Several ranges, other units or a malformed header are ignored (200, the whole file), as the
/// RFC allows; a well-formed range wholly past the end is 416.
enum ByteRange: Equatable {
    case whole
    case partial(ClosedRange<Int>)
    case unsatisfiable

    static func parse(_ header: String?, size: Int) -> ByteRange {
        guard let header else { return .whole }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let firstText = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let lastText = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        guard firstText.allSatisfy(\.isASCIIDigit), lastText.allSatisfy(\.isASCIIDigit),
              firstText.count <= 18, lastText.count <= 18 else { return .whole }
        if firstText.isEmpty {
            guard let suffix = Int(lastText) else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .partial(max(0, size - suffix)...(size - 1))
        }
        guard let first = Int(firstText) else { return .whole }
        let last = lastText.isEmpty ? size - 1 : (Int(lastText) ?? -1)
        guard lastText.isEmpty || last >= first else { return .whole }
        guard first < size else { return .unsatisfiable }
        return .partial(first...min(last, size - 1))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
