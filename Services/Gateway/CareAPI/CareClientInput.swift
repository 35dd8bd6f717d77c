import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import JSON

/// Reads the care API's create and update bodies into a `CarePatch` and checks them,
/// collecting every problem (`CareValidationFailure`) before anything is sent.
///
/// The sections' own rules are `CareSchema`'s (the decider checks them again); here are the
/// ones that need more than the body: a date of birth not in the future (this side has a
/// clock), and a plan manager and support coordinator that are users of the client's company
/// with the `plan-manager` and `support-coordinator` roles.
enum CareClientInput {
    /// The parsed top-level object of a JSON body.
    static func object(_ bytes: [UInt8]) throws -> [String: JSONValue] {
        guard let value = try? JSONParser.parse(bytes), case .object(let object) = value else {
            throw CareValidationFailure([CareIssue("body", "must be a JSON object")])
        }
        return object
    }

    /// A create body: the sections, and `companyId` (which company, for a caller in several).
    static func creation(_ object: [String: JSONValue]) throws -> (patch: CarePatch, companyId: UUID?) {
        var sections = object
        var issues: [CareIssue] = []
        var companyId: UUID?
        switch sections.removeValue(forKey: "companyId") {
        case nil, .null?: break
        case .string(let text)? where UUID(canonical: text) != nil: companyId = UUID(canonical: text)
        default: issues.append(CareIssue("companyId", "must be a company id"))
        }
        let patch = CarePatch(sections: sections).normalized()
        issues += CareSchema.issues(of: patch, against: nil)
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        return (patch, companyId)
    }

    /// An update body: a merge patch of the sections (checked against `current`).
    static func update(_ object: [String: JSONValue], current: CareProfile?) throws -> CarePatch {
        let patch = CarePatch(sections: object).normalized()
        let issues = CareSchema.issues(of: patch, against: current)
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        return patch
    }

    /// The checks that need a clock and the identity store; throws every problem found.
    static func checkRelations(_ patch: CarePatch, companyId: UUID, today: String, identity: IdentityStore) async throws {
        var issues: [CareIssue] = []
        if case .string(let birth)? = patch.sections[CareSchema.personalInfo]?["dateOfBirth"], birth > today {
            issues.append(CareIssue("personalInfo.dateOfBirth", "must not be in the future"))
        }
        for (field, role) in [("planManager", Role.planManager), ("supportCoordinator", Role.supportCoordinator)] {
            guard case .string(let text)? = patch.sections[CareSchema.ndisDetails]?[field], let id = UUID(canonical: text) else { continue }
            let user = try await identity.user(id: id)
            if user == nil || user?.active != true || user?.companyIds.contains(companyId) != true || user?.roles.contains(role) != true {
                issues.append(CareIssue("ndisDetails.\(field)", "must be a user of the client's company with the \(role) role"))
            }
        }
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
    }

    /// Whether `patch` changes medical information.
    static func touchesMedical(_ patch: CarePatch) -> Bool { patch.sections[CareSchema.medicalInfo] != nil }

    /// Today's date in UTC, `YYYY-MM-DD`.
    static func today(_ now: Date) -> String { String(Timestamp.format(now).prefix(10)) }
}
