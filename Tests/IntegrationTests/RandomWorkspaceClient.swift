import Foundation
import HTTP
import TestSupport

/// A random valid create body of the workspace API, and the client it must read back as:
/// the name and `avatarUrl` as sent, the contact methods in their order with emails
/// lower-cased and phone and WhatsApp numbers in E.164 (fax and other values as sent), the
/// custom fields ordered by key, each typed by its definition (`definitions`) or text.
///
/// Valid by construction: a name of 1 to 60 code points of many scripts, not blank; 1 to 20
/// contact methods (mostly 1 to 5), exactly one preferred, no (type, value) twice once
/// normalised; phones of 7 to 15 digits written with `+` or `00` and random separators;
/// emails unique to `tag` in mixed case; custom fields for some defined keys and some keys
/// without a definition (sometimes close to 100 keys, sometimes a text close to 10,000 bytes).
struct RandomWorkspaceClient {
    /// The body to send.
    var body: JSONValue
    /// What the answer's `name`, `avatarUrl`, `contactMethods` and `customFields` must be.
    var expected: [String: JSONValue]

    /// The workspace's definitions, one of each type, made before the first body.
    static let definitions: [JSONValue] = [
        ["fieldKey": "amount", "label": "Amount", "type": "number"],
        ["fieldKey": "active", "label": "Active", "type": "boolean"],
        ["fieldKey": "since", "label": "Since", "type": "date"],
        ["fieldKey": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver", "Bronze ✦"]],
        ["fieldKey": "tags", "label": "Tags", "type": "multiselect", "options": ["a", "b", "c", "d é"]],
        ["fieldKey": "memo", "label": "Memo", "type": "text"],
    ]

    /// Pieces of text: ASCII, Latin with diacritics (precomposed and combining), Greek,
    /// Cyrillic, Arabic (right to left), CJK, Hangul, emoji with a skin-tone modifier.
    static let pieces: [String] = [
        "a", "B", "z", "Q", "0", "7", " ", "-", "'", ".", ",", "&", "(", ")", "!", "?", "@", "#", "%", "_", "\"", "\\", "/",
        "é", "ñ", "ø", "ß", "Å", "ç", "e\u{301}", "o\u{308}", "α", "Ω", "ж", "Я", "م", "ر", "ح", "漢", "字", "日", "한", "글",
        "😀", "👍🏽", "✦",
    ]

    static func random(tag: Int, using rng: inout SplitMix64) -> RandomWorkspaceClient {
        var body: [String: JSONValue] = [:]
        var expected: [String: JSONValue] = [:]
        let name = text(1...60, using: &rng)
        body["name"] = .string(name)
        expected["name"] = .string(name)

        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<4:
            expected["avatarUrl"] = .null
        case 4:
            body["avatarUrl"] = .null
            expected["avatarUrl"] = .null
        default:
            let scheme = ["https://", "http://", "HTTPS://"].randomElement(using: &rng)!
            let path = String((0..<Int.random(in: 0...40, using: &rng)).map { _ in
                Array("abcXYZ0189-._~/").randomElement(using: &rng)!
            })
            let url = scheme + "cdn\(tag).example.com/" + path + (Bool.random(using: &rng) ? "?size=64" : "")
            body["avatarUrl"] = .string(url)
            expected["avatarUrl"] = .string(url)
        }

        let (sent, stored) = contactMethods(tag: tag, using: &rng)
        body["contactMethods"] = .array(sent)
        expected["contactMethods"] = .array(stored)

        let (fields, shown) = customFields(using: &rng)
        if fields.isEmpty && Bool.random(using: &rng) {
            // No customFields key at all.
        } else {
            body["customFields"] = .array(fields)
        }
        expected["customFields"] = .array(shown)
        return RandomWorkspaceClient(body: .object(body), expected: expected)
    }

    /// Text of a length in `lengths` pieces, not blank; `multiLine` adds line feeds and tabs.
    static func text(_ lengths: ClosedRange<Int>, multiLine: Bool = false, using rng: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<Int.random(in: lengths, using: &rng) {
            if multiLine, Int.random(in: 0..<10, using: &rng) == 0 {
                text += Bool.random(using: &rng) ? "\n" : "\t"
            } else {
                text += pieces.randomElement(using: &rng)!
            }
        }
        // Not blank as the API judges it: some code point that is not Unicode White_Space.
        return text.unicodeScalars.allSatisfy(\.properties.isWhitespace) ? text + "x" : text
    }

    /// Sent and stored contact methods.
    static func contactMethods(tag: Int, using rng: inout SplitMix64) -> ([JSONValue], [JSONValue]) {
        let count = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 1...20, using: &rng) : Int.random(in: 1...5, using: &rng)
        let preferred = Int.random(in: 0..<count, using: &rng)
        var sent: [JSONValue] = [], stored: [JSONValue] = []
        var seen: Set<String> = []
        while sent.count < count {
            let index = sent.count
            let type = ["email", "phone", "whatsapp", "fax", "other"].randomElement(using: &rng)!
            let (value, normalised): (String, String)
            switch type {
            case "email":
                let local = String((0..<Int.random(in: 1...12, using: &rng)).map { _ in
                    Array("abcdeXYZ0189._+-").randomElement(using: &rng)!
                })
                let domain = ["Example.com", "mail.EXAMPLE.org", "x-y.example.co.uk"].randomElement(using: &rng)!
                value = "\(local)-\(tag)-\(index)@\(domain)"
                normalised = value.lowercased()
            case "phone", "whatsapp":
                let digits = [Int.random(in: 1...9, using: &rng)] + (0..<Int.random(in: 6...14, using: &rng)).map { _ in
                    Int.random(in: 0...9, using: &rng)
                }
                var written = Bool.random(using: &rng) ? "+" : "00"
                for digit in digits {
                    if Int.random(in: 0..<3, using: &rng) == 0 { written += [" ", "-", ".", "(", ")"].randomElement(using: &rng)! }
                    written += String(digit)
                }
                value = written
                normalised = "+" + digits.map(String.init).joined()
            case "fax":
                value = "+\(Int.random(in: 1...99, using: &rng)) \(Int.random(in: 100...999, using: &rng)) \(Int.random(in: 1000...9999, using: &rng))"
                    + (Bool.random(using: &rng) ? " ext. \(Int.random(in: 1...99, using: &rng))" : "")
                normalised = value
            default:
                value = text(1...40, using: &rng)
                normalised = value
            }
            guard seen.insert(type + "\u{0}" + normalised).inserted else { continue }
            sent.append(["type": .string(type), "value": .string(value), "isPreferred": .bool(index == preferred)])
            stored.append(["type": .string(type), "value": .string(normalised), "isPreferred": .bool(index == preferred)])
        }
        return (sent, stored)
    }

    /// Sent custom fields (in a random order) and the answer's (ordered by key, typed).
    static func customFields(using rng: inout SplitMix64) -> ([JSONValue], [JSONValue]) {
        var values: [String: (sent: JSONValue, shown: JSONValue)] = [:]
        if Bool.random(using: &rng) {
            let number: JSONValue = Bool.random(using: &rng)
                ? .int(Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &rng))
                : .number(Double(Int.random(in: -1_000_000...1_000_000, using: &rng) * 10 + Int.random(in: 1...9, using: &rng)) / 100)
            values["amount"] = (number, number)
        }
        if Bool.random(using: &rng) {
            let flag = JSONValue.bool(Bool.random(using: &rng))
            values["active"] = (flag, flag)
        }
        if Bool.random(using: &rng) {
            let date = JSONValue.string(String(format: "%04d-%02d-%02d", Int.random(in: 1...9999, using: &rng),
                                               Int.random(in: 1...12, using: &rng), Int.random(in: 1...28, using: &rng)))
            values["since"] = (date, date)
        }
        if Bool.random(using: &rng) {
            let option = JSONValue.string(["gold", "silver", "Bronze ✦"].randomElement(using: &rng)!)
            values["tier"] = (option, option)
        }
        if Bool.random(using: &rng) {
            let chosen = JSONValue.array(["a", "b", "c", "d é"].shuffled(using: &rng).prefix(Int.random(in: 0...4, using: &rng))
                .map(JSONValue.string))
            values["tags"] = (chosen, chosen)
        }
        if Bool.random(using: &rng) {
            let memo = JSONValue.string(text(1...200, multiLine: true, using: &rng))
            values["memo"] = (memo, memo)
        }
        let defined = Set(values.keys).union(definitions.compactMap { if case .string(let key)? = $0["fieldKey"] { key } else { nil } })
        let undefined = Int.random(in: 0..<20, using: &rng) == 0 ? Int.random(in: 60...90, using: &rng) : Int.random(in: 0...4, using: &rng)
        let long = Int.random(in: 0..<10, using: &rng) == 0
        for index in 0..<undefined {
            var key = ""
            repeat {
                let letters = Array("abcxyzABCXYZ"), rest = Array("abcxyzABCXYZ0189_")
                key = String(letters.randomElement(using: &rng)!)
                    + String((0..<Int.random(in: 0...63, using: &rng) / (Bool.random(using: &rng) ? 1 : 8)).map { _ in
                        rest.randomElement(using: &rng)!
                    })
            } while values[key] != nil || defined.contains(key)
            // One text close to the 10,000-byte limit: 2,400 four-byte or two-byte pieces at most.
            let value = long && index == 0
                ? String(repeating: ["é", "😀", "a"].randomElement(using: &rng)!, count: Int.random(in: 2_000...2_400, using: &rng))
                : text(1...(undefined > 20 ? 20 : 120), multiLine: true, using: &rng)
            values[key] = (.string(value), .string(value))
        }
        // Sorted first: a dictionary's order changes from run to run, the seed must replay.
        let sent = values.sorted { $0.key < $1.key }.map { JSONValue.object(["fieldKey": .string($0.key), "value": $0.value.sent]) }.shuffled(using: &rng)
        let shown = values.sorted { $0.key < $1.key }.map { JSONValue.object(["fieldKey": .string($0.key), "value": $0.value.shown]) }
        return (sent, shown)
    }
}

