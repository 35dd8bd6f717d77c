import Foundation
import HTTP

/// Checks a JSON value against a JSON Schema, for the keywords the gateway's response schemas
/// use: `$ref` (to `#/components/schemas/`), `type`, `enum`, `const`, `required`,
/// `properties`, `additionalProperties`, `items`, `minItems`, `maxItems`, `minimum`,
/// `maximum`, `minLength`, `maxLength`, `anyOf`, `allOf`. (`format` and `pattern` are not
/// checked; schemathesis checks every keyword against the running stack.)
struct SchemaCheck {
    /// Named schemas, as `#/components/schemas/<name>` refers to them.
    let schemas: [String: JSONValue]

    /// What is wrong with `value` under `schema`, each with its JSON path; empty when it matches.
    func problems(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        guard case .object(let keywords) = schema else { return [] }
        var found: [String] = []
        if case .string(let reference)? = keywords["$ref"] {
            let name = String(reference.split(separator: "/").last ?? "")
            guard let target = schemas[name] else { return ["\(path): \(reference) does not resolve"] }
            found += problems(value, target, at: path)
        }
        if let types = keywords["type"] {
            let names: [String] = switch types {
            case .string(let name): [name]
            case .array(let list): list.compactMap { if case .string(let name) = $0 { name } else { nil } }
            default: []
            }
            if !names.contains(where: { Self.value(value, isA: $0) }) { found.append("\(path): not \(names.joined(separator: " or "))") }
        }
        if case .array(let allowed)? = keywords["enum"], !allowed.contains(value) { found.append("\(path): \(value) not in enum") }
        if let constant = keywords["const"], constant != value { found.append("\(path): \(value) is not \(constant)") }
        if case .object(let object) = value {
            if case .array(let required)? = keywords["required"] {
                for case .string(let name) in required where object[name] == nil { found.append("\(path): no \(name)") }
            }
            let properties: [String: JSONValue]
            if case .object(let declared)? = keywords["properties"] { properties = declared } else { properties = [:] }
            for (name, member) in object {
                if let property = properties[name] {
                    found += problems(member, property, at: "\(path).\(name)")
                } else if let extra = keywords["additionalProperties"] {
                    if extra == .bool(false) { found.append("\(path): \(name) is not a declared property") }
                    found += problems(member, extra, at: "\(path).\(name)")
                }
            }
        }
        if case .array(let items) = value {
            if let itemSchema = keywords["items"] {
                for (index, item) in items.enumerated() { found += problems(item, itemSchema, at: "\(path)[\(index)]") }
            }
            if case .int(let minimum)? = keywords["minItems"], items.count < minimum { found.append("\(path): fewer than \(minimum) items") }
            if case .int(let maximum)? = keywords["maxItems"], items.count > maximum { found.append("\(path): more than \(maximum) items") }
        }
        if case .string(let text) = value {
            let length = text.unicodeScalars.count
            if case .int(let minimum)? = keywords["minLength"], length < minimum { found.append("\(path): shorter than \(minimum)") }
            if case .int(let maximum)? = keywords["maxLength"], length > maximum { found.append("\(path): longer than \(maximum)") }
        }
        if let number = Self.number(value) {
            if let minimum = keywords["minimum"].flatMap(Self.number), number < minimum { found.append("\(path): below \(minimum)") }
            if let maximum = keywords["maximum"].flatMap(Self.number), number > maximum { found.append("\(path): above \(maximum)") }
        }
        if case .array(let branches)? = keywords["allOf"] {
            for branch in branches { found += problems(value, branch, at: path) }
        }
        if case .array(let branches)? = keywords["anyOf"], !branches.contains(where: { problems(value, $0, at: path).isEmpty }) {
            found.append("\(path): matches none of anyOf")
        }
        return found
    }

    private static func value(_ value: JSONValue, isA type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("integer", .int), ("number", .int), ("number", .number),
             ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .number(let number): number
        default: nil
        }
    }
}
