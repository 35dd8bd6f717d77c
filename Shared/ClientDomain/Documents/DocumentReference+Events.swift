import Foundation

extension Array where Element == DocumentReference {
    /// Applies a document event to a client's documents (every fold of the stream uses this,
    /// so the command service and the read models agree); other events change nothing.
    ///
    /// Attaching an id the list has already is a no-op, and so is removing one it lacks: a
    /// replayed event leaves the same list.
    public mutating func apply(_ event: ClientEvent) {
        switch event {
        case .documentAttached(let attached):
            guard !contains(where: { $0.id == attached.document.id }) else { return }
            append(attached.document)
        case .documentReplaced(let replaced):
            removeAll { $0.id == replaced.replacedId || $0.id == replaced.document.id }
            append(replaced.document)
        case .documentRemoved(let removed):
            removeAll { $0.id == removed.documentId }
        default:
            return
        }
    }

    /// The client's passport, if it has one.
    public var passport: DocumentReference? { first { $0.use == .passport } }
}
