import ClientDomain
import Crypto
import Foundation
import JSON

/// The one place an event's personal data is sealed and opened (crypto-shredding).
///
/// An event's JSON `data` is split in two: the clear part, the fields every reader may see
/// without a key (ids, numbers, status-like enums, booleans, document metadata: `clearPaths`),
/// and every other field, sealed with the stream's data key (AES-256-GCM) into one string,
/// `"sealed": "<base64 of nonce ‖ ciphertext ‖ tag>"`, beside the clear fields. The associated
/// data binds the sealed part to its event: the stream id's 16 bytes, the stream version (8
/// bytes, big-endian) and the type, so a sealed part copied to another event does not open.
/// An event with nothing to seal is stored as it was (no `sealed` key); so are events stored
/// before sealing existed, and both open without a key.
///
/// Default sealed: a field not listed stays out of the clear part, so a new field is personal
/// until someone decides otherwise (docs/operations.md, "Personal data in the log").
public enum EventSealing {
    /// The key of the sealed part in an event's data.
    public static let sealedKey = "sealed"

    /// The fields of each event type that stay clear, as dot-separated paths into `data`
    /// (nested objects only; an array is sealed or clear whole).
    public static func clearPaths(of type: String) -> Set<String> {
        switch type {
        case ClientCreated.type:
            ["number", "profile.status", "profile.accountType", "profile.plan", "profile.emailVerified", "profile.twoFactorEnabled"]
        case ClientProfileChanged.type:
            ["changes.status", "changes.accountType", "changes.plan", "changes.emailVerified", "changes.twoFactorEnabled"]
        case ClientActivityRecorded.type:
            ["submission"]
        case ClientDocumentAttached.type:
            documentPaths
        case ClientDocumentReplaced.type:
            documentPaths.union(["replacedId"])
        case ClientDocumentRemoved.type:
            ["documentId"]
        case _ where ClientCareRecordChanged.parse(type: type) != nil:
            ["record.id", "goalId", "fields"]
        default:
            // client.deleted and client.portal_password_set carry nothing; an unknown type
            // keeps nothing clear.
            []
        }
    }

    /// A document reference's fields that stay clear (its name and digest are sealed).
    private static let documentPaths: Set<String> = ["document.id", "document.use", "document.contentType", "document.size",
                                                     "document.uploadedAt", "document.documentType"]

    /// Why an event's data cannot be opened.
    public enum OpenError: Error, Equatable, CustomStringConvertible {
        /// The stream's key was shredded: the sealed part is gone for good.
        case erased
        /// No key is known for the stream, and it was not erased.
        case keyUnknown
        /// The sealed part does not open under the stream's key for this event (altered,
        /// copied from another event, or not JSON).
        case malformed

        public var description: String {
            switch self {
            case .erased: "the stream's data key was erased"
            case .keyUnknown: "no data key is known for the stream"
            case .malformed: "the sealed part of the event does not open"
            }
        }
    }

    /// `envelope`'s data with its personal fields sealed under `key` (unchanged when nothing
    /// is personal). Throws when the data is not a JSON object.
    public static func seal(_ envelope: EventEnvelope, key: AESGCM) throws -> Data {
        let value = try envelope.data.withUnsafeBytes { bytes in try JSONParser.parse(bytes) }
        guard case .object(let object) = value else { throw OpenError.malformed }
        let rule = clearRule(of: envelope.type)
        var (clear, sealed) = split(object, paths: rule.paths, prefixes: rule.prefixes, at: "")
        guard !sealed.isEmpty else { return envelope.data }
        let ciphertext = key.seal(JSONValue.object(sealed).serialized(), associatedData: associatedData(of: envelope))
        clear[sealedKey] = .string(Data(ciphertext).base64EncodedString())
        return Data(JSONValue.object(clear).serialized())
    }

    /// `envelope` with its data whole again: the sealed part opened under `key` and merged
    /// into the clear one. Data without a sealed part is returned as it is, whatever `key`.
    public static func open(_ envelope: EventEnvelope, key: ClientKeyState) throws(OpenError) -> EventEnvelope {
        guard let whole = try openedData(of: envelope, key: key) else { return envelope }
        var opened = envelope
        opened.data = Data(whole.serialized())
        return opened
    }

    /// `envelope`'s data whole, parsed: the sealed part opened under `key` and merged into the
    /// clear one; nil when the data has no sealed part (it reads as it is, whatever `key`).
    public static func openedData(of envelope: EventEnvelope, key: ClientKeyState) throws(OpenError) -> JSONValue? {
        guard mayBeSealed(envelope.data), let value = try? envelope.data.withUnsafeBytes({ bytes in try JSONParser.parse(bytes) }),
              case .object(var object) = value, let sealedValue = object.removeValue(forKey: sealedKey) else {
            return nil
        }
        let cipher: AESGCM
        switch key {
        case .key(let key): cipher = key
        case .erased: throw .erased
        case .unknown: throw .keyUnknown
        }
        guard case .string(let text) = sealedValue, let bytes = Data(base64Encoded: text),
              let plaintext = cipher.open(Array(bytes), associatedData: associatedData(of: envelope)),
              let sealed = try? JSONParser.parse(plaintext), case .object(let sealedObject) = sealed else {
            throw .malformed
        }
        return .object(merge(object, sealedObject))
    }

    /// Whether `data` may hold a sealed part: it holds the text `"sealed":`, which JSON text
    /// holds only as a key named `sealed` (inside a string, a quote is escaped). False means
    /// nothing is sealed, without parsing.
    public static func mayBeSealed(_ data: Data) -> Bool {
        // Each quote, then a compare: `Data.range(of:)` cost a projection more than the
        // AES-GCM opening itself.
        data.withUnsafeBytes { bytes in
            sealedKeyText.withUnsafeBytes { text in
                guard let base = bytes.baseAddress, bytes.count >= text.count else { return false }
                var offset = 0
                while offset <= bytes.count - text.count {
                    guard let quote = memchr(base + offset, Int32(UInt8(ascii: "\"")), bytes.count - text.count - offset + 1) else {
                        return false
                    }
                    if let pattern = text.baseAddress, memcmp(quote, pattern, text.count) == 0 { return true }
                    offset = base.distance(to: UnsafeRawPointer(quote)) + 1
                }
                return false
            }
        }
    }

    private static let sealedKeyText = Array("\"\(sealedKey)\":".utf8)

    /// The associated data of `envelope`'s sealed part: stream id, version, type.
    static func associatedData(of envelope: EventEnvelope) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24 + envelope.type.utf8.count)
        withUnsafeBytes(of: envelope.streamId.uuid) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(bitPattern: envelope.streamVersion).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: envelope.type.utf8)
        return bytes
    }

    /// An event type's clear paths with their prefixes, made once per type this code knows
    /// (sealing runs on every append; making the prefixes each time cost the command
    /// service 1% of its CPU).
    private static func clearRule(of type: String) -> (paths: Set<String>, prefixes: Set<String>) {
        if let rule = clearRules[type] { return rule }
        let paths = clearPaths(of: type)
        return (paths, prefixes(of: paths))
    }

    private static let clearRules: [String: (paths: Set<String>, prefixes: Set<String>)] = {
        var types = [ClientCreated.type, ClientProfileChanged.type, ClientActivityRecorded.type, ClientDocumentAttached.type,
                     ClientDocumentReplaced.type, ClientDocumentRemoved.type]
        for kind in CareRecordKind.allCases {
            types += [ClientCareRecordChanged.type(kind, .added), ClientCareRecordChanged.type(kind, .changed)]
        }
        return Dictionary(uniqueKeysWithValues: types.map { type in
            let paths = clearPaths(of: type)
            return (type, (paths, prefixes(of: paths)))
        })
    }()

    /// Every proper prefix (`a.`, `a.b.`) of `paths`: the objects to walk into.
    private static func prefixes(of paths: Set<String>) -> Set<String> {
        var prefixes: Set<String> = []
        for path in paths {
            var prefix = ""
            for component in path.split(separator: ".").dropLast() {
                prefix += component + "."
                prefixes.insert(prefix)
            }
        }
        return prefixes
    }

    /// `object` (at `path`, ending with a dot unless empty) split into its clear fields and
    /// the rest.
    private static func split(_ object: [String: JSONValue], paths: Set<String>, prefixes: Set<String>,
                              at path: String) -> (clear: [String: JSONValue], sealed: [String: JSONValue]) {
        var clear: [String: JSONValue] = [:]
        var sealed: [String: JSONValue] = [:]
        for (key, value) in object {
            let fieldPath = path + key
            if paths.contains(fieldPath) {
                clear[key] = value
            } else if case .object(let inner) = value, prefixes.contains(fieldPath + ".") {
                let (innerClear, innerSealed) = split(inner, paths: paths, prefixes: prefixes, at: fieldPath + ".")
                if !innerSealed.isEmpty { sealed[key] = .object(innerSealed) }
                // An empty object stays (clear), so it comes back as it was.
                if !innerClear.isEmpty || innerSealed.isEmpty { clear[key] = .object(innerClear) }
            } else {
                sealed[key] = value
            }
        }
        return (clear, sealed)
    }

    /// `clear` with `sealed`'s fields put back (objects present in both merged field by field).
    private static func merge(_ clear: [String: JSONValue], _ sealed: [String: JSONValue]) -> [String: JSONValue] {
        var merged = clear
        for (key, value) in sealed {
            if case .object(let inner)? = merged[key], case .object(let sealedInner) = value {
                merged[key] = .object(merge(inner, sealedInner))
            } else {
                merged[key] = value
            }
        }
        return merged
    }
}

extension EventSealing {
    /// Whether `data` holds a sealed part (a top-level `sealed` key).
    public static func isSealed(_ data: Data) -> Bool {
        guard mayBeSealed(data), let value = try? data.withUnsafeBytes({ bytes in try JSONParser.parse(bytes) }),
              case .object(let object) = value else { return false }
        return object[sealedKey] != nil
    }
}
