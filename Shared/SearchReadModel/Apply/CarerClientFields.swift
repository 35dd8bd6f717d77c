import ClientDomain
import JSON

/// What a carer's client list shows of a client, as its row holds it: a change of any of
/// these is copied to the list's rows (the care section's `personalInfo` whole, which holds
/// the first and last name).
struct CarerClientFields: Equatable {
    var number: Int64?
    var name: String?
    var personalInfo: JSONValue?
}

extension SearchRow {
    var carerClientFields: CarerClientFields {
        CarerClientFields(number: number, name: profile?.name, personalInfo: profile?.care?.sections[CareSchema.personalInfo])
    }
}
