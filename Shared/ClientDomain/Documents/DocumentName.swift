/// The file name a document is kept and served under, made safe from what an uploader sent.
///
/// Only the last path component is kept (after `/` or `\`); control characters and the
/// Unicode direction overrides that disguise an extension are dropped; surrounding spaces and
/// dots are trimmed; the result is cut to at most `DocumentReference.maxNameBytes` UTF-8
/// bytes on a character boundary, keeping a short extension. Nothing left (or `.`/`..`)
/// gives `fallback`.
public enum DocumentName {
    public static func sanitised(_ raw: String?, fallback: String) -> String {
        guard let raw else { return fallback }
        let lastComponent = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var scalars = String.UnicodeScalarView()
        for scalar in lastComponent.unicodeScalars where !isDropped(scalar) { scalars.append(scalar) }
        var name = String(scalars).trimmingBlanksAndDots()
        guard !name.isEmpty else { return fallback }
        let limit = DocumentReference.maxNameBytes
        if name.utf8.count > limit {
            var stem = name
            var suffix = ""
            if let dot = name.lastIndex(of: "."), name.distance(from: dot, to: name.endIndex) <= 16 {
                stem = String(name[..<dot])
                suffix = String(name[dot...])
            }
            stem = stem.truncatedToUTF8(limit - suffix.utf8.count)
            name = stem + suffix
        }
        return name.isEmpty ? fallback : name
    }

    /// Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional
    /// formatting characters.
    static func isDropped(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }
}

extension String {
    /// Without leading and trailing spaces and dots.
    fileprivate func trimmingBlanksAndDots() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "." }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "." }) else { return "" }
        return String(scalars[first...last])
    }

    /// The longest prefix of whole characters within `maxBytes` UTF-8 bytes.
    fileprivate func truncatedToUTF8(_ maxBytes: Int) -> String {
        var result = ""
        var bytes = 0
        for character in self {
            let size = character.utf8.count
            guard bytes + size <= maxBytes else { break }
            result.append(character)
            bytes += size
        }
        return result
    }
}
