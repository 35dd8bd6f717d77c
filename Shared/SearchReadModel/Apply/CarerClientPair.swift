import Foundation

/// A carer and one of its clients (with the client's tenant): a row of a carer's client list.
struct CarerClientPair: Sendable, Hashable {
    var clientId: UUID
    var tenantId: UUID
    var carerId: UUID
}
