import Foundation

/// Turns an event's stored JSON from an older schema version into the current one.
///
/// Each step takes one (type, version) to version + 1; `upcast` chains steps until the
/// current version, so an event written years ago replays through today's code. A step
/// works on the parsed JSON object and must not lose information.
public struct EventUpcaster: Sendable {
    public typealias Step = @Sendable ([String: Any]) throws -> [String: Any]

    private var steps: [String: [Int: Step]] = [:]
    private var currentVersions: [String: Int] = [:]

    public init() {}

    /// Declares `type`'s current schema version.
    public mutating func register(type: String, currentVersion: Int) {
        currentVersions[type] = currentVersion
    }

    /// Adds the step from `fromVersion` to `fromVersion + 1` of `type`.
    public mutating func addStep(type: String, from fromVersion: Int, _ step: @escaping Step) {
        steps[type, default: [:]][fromVersion] = step
    }

    /// Whether `version` is `type`'s current version (nothing to upcast); throws for a type
    /// or version this code does not know, as `upcast` does.
    public func isCurrent(type: String, version: Int) throws -> Bool {
        guard let current = currentVersions[type] else { throw EventDecodingError.unknownType(type) }
        guard version >= 1, version <= current else { throw EventDecodingError.unknownVersion(type: type, version: version) }
        return version == current
    }

    /// `data` at `version` of `type`, brought to the current version.
    public func upcast(type: String, version: Int, data: Data) throws -> Data {
        if try isCurrent(type: type, version: version) { return data }
        let current = currentVersions[type] ?? version
        guard var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw EventDecodingError.malformed(type: type, version: version)
        }
        for from in version..<current {
            guard let step = steps[type]?[from] else { throw EventDecodingError.unknownVersion(type: type, version: from) }
            object = try step(object)
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// The upcaster for the client events this version of the code knows.
    public static let standard: EventUpcaster = {
        var upcaster = EventUpcaster()
        upcaster.register(type: ClientCreated.type, currentVersion: ClientCreated.schemaVersion)
        upcaster.register(type: ClientProfileChanged.type, currentVersion: ClientProfileChanged.schemaVersion)
        upcaster.register(type: ClientDeleted.type, currentVersion: ClientDeleted.schemaVersion)
        upcaster.register(type: ClientErased.type, currentVersion: ClientErased.schemaVersion)
        upcaster.register(type: ClientPortalPasswordSet.type, currentVersion: ClientPortalPasswordSet.schemaVersion)
        upcaster.register(type: ClientActivityRecorded.type, currentVersion: ClientActivityRecorded.schemaVersion)
        upcaster.register(type: ClientDocumentAttached.type, currentVersion: ClientDocumentAttached.schemaVersion)
        upcaster.register(type: ClientDocumentReplaced.type, currentVersion: ClientDocumentReplaced.schemaVersion)
        upcaster.register(type: ClientDocumentRemoved.type, currentVersion: ClientDocumentRemoved.schemaVersion)
        for kind in CareRecordKind.allCases {
            for change in [ClientCareRecordChanged.Change.added, .changed] {
                upcaster.register(type: ClientCareRecordChanged.type(kind, change), currentVersion: ClientCareRecordChanged.schemaVersion)
            }
        }
        // client.created v1 → v2: the flat organization-API fields move into `profile`;
        // a missing status was the API's default, active.
        upcaster.addStep(type: ClientCreated.type, from: 1) { v1 in
            var profile: [String: Any] = [:]
            for key in ["name", "phone", "notes"] { if let value = v1[key], !(value is NSNull) { profile[key] = value } }
            profile["status"] = (v1["status"] as? String) ?? ClientStatus.active.rawValue
            return ["profile": profile]
        }
        return upcaster
    }()
}
