// libFuzzer target for the gateway's client input parsers; built by run-fuzzers.sh from the
// parsers' own source files over the Errors, JSON and ClientDomain modules. One JSON body goes
// through every face's create and update parser to the domain command it would send; nothing
// may crash, and every accepted command's profile must pass the checks the command service's
// decider runs (`ClientFieldLimits.validate`) and fit what the read models can store
// (`ReadModelLimits.check`): an adapter never accepts what the domain or a read model refuses.
import ClientDomain
import Foundation
import JSON

/// A live client of every face, every field set, that an update applies to.
let current = ClientProfile(
    name: "Jane Doe", email: "jane@example.com", phone: "+1 555 0100", notes: "Notes", status: .active,
    address: "1 Main St", source: "referral", agents: [AgentAssignment(agentId: 42, agentName: "Ahmed Ali")],
    displayName: "Jane", username: "jane", bio: "Bio", jobTitle: "CTO", companyName: "Acme", industry: "Technology",
    website: "https://example.com", location: "Sydney, Australia", accountType: .business, plan: .premium,
    provider: "email", emailVerified: true, twoFactorEnabled: false, avatar: "https://example.com/a.png")
let tenant = UUID()
let client = UUID()

/// Fails the run unless `command`'s profile (as the decider would propose it) passes the domain and fits the read models.
func check(_ command: ClientCommand, from parser: String) {
    let proposed: ClientProfile
    switch command {
    case .create(let create): proposed = create.profile
    case .update(let update): proposed = current.applying(update.changes.effective(against: current))
    default: preconditionFailure("\(parser) made a \(command)")
    }
    do {
        try ClientFieldLimits().validate(proposed)
        try ReadModelLimits.check(proposed)
    } catch {
        preconditionFailure("\(parser) accepted what the domain refuses: \(error)")
    }
}

func create(_ profile: ClientProfile) -> ClientCommand {
    .create(CreateClient(clientId: client, tenantId: tenant, profile: profile))
}

func update(_ changes: ClientProfileChanges) -> ClientCommand {
    .update(UpdateClient(clientId: client, tenantId: tenant, changes: changes))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    if let profile = try? OrganizationClientInput.profile(from: body) { check(create(profile), from: "organization create") }
    if let changes = try? OrganizationClientInput.changes(from: body) { check(update(changes), from: "organization update") }
    if let creation = try? LeadsClientInput.creation(from: body) { check(create(creation.profile), from: "leads create") }
    if let changes = try? LeadsClientInput.changes(from: body) { check(update(changes), from: "leads update") }
    if let creation = try? AdminClientInput.creation(from: body) { check(create(creation.profile), from: "admin create") }
    if let object = try? OrganizationClientInput.jsonObject(body), let changes = try? AdminClientInput.changes(from: object) {
        check(update(changes), from: "admin update")
    }
    if let changes = try? AdminClientInput.account(from: body) { check(update(changes), from: "admin account") }
    return 0
}
