import ClientDomain
import Errors
import Foundation
import XCTest

/// Attaching and removing documents: a passport replaces the previous one, care documents
/// accumulate up to their cap, and a fold of the events gives the client's documents.
final class DocumentDeciderTests: XCTestCase {
    let tenant = UUID()
    let decider = ClientDecider()
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    func document(_ use: DocumentUse, name: String = "scan.pdf") -> DocumentReference {
        DocumentReference(id: UUID(), use: use, documentType: use == .care ? .report : nil, name: name,
                          contentType: "application/pdf", size: 10, sha256: String(repeating: "a", count: 64),
                          uploadedAt: start)
    }

    func client(documents: [DocumentReference] = []) -> Client {
        Client(id: UUID(), tenantId: tenant, profile: ClientProfile(name: "Jane"), version: 2, createdAt: start, updatedAt: start,
               isDeleted: false, documents: documents)
    }

    func decide(_ command: ClientCommand, _ client: Client) async throws -> [ClientEvent] {
        try await decider.decide(command, current: client, lookup: FixedLookup())
    }

    func testAFirstPassportIsAttachedAndASecondReplacesIt() async throws {
        var current = client()
        let first = document(.passport)
        let attached = try await decide(.attachDocument(AttachDocument(clientId: current.id, tenantId: tenant, document: first)), current)
        XCTAssertEqual(attached, [.documentAttached(ClientDocumentAttached(document: first))])
        current.apply(attached[0], at: start)
        let second = document(.passport)
        let replaced = try await decide(.attachDocument(AttachDocument(clientId: current.id, tenantId: tenant, document: second)), current)
        XCTAssertEqual(replaced, [.documentReplaced(ClientDocumentReplaced(replacedId: first.id, document: second))])
        current.apply(replaced[0], at: start)
        XCTAssertEqual(current.documents, [second])
    }

    func testCareDocumentsAccumulateBesideThePassportAndRemoveOneByOne() async throws {
        var current = client()
        let passport = document(.passport)
        let care = [document(.care), document(.care)]
        for document in [passport] + care {
            let events = try await decide(.attachDocument(AttachDocument(clientId: current.id, tenantId: tenant, document: document)),
                                          current)
            current.apply(events[0], at: start)
        }
        XCTAssertEqual(current.documents, [passport] + care)
        let removed = try await decide(.removeDocument(RemoveDocument(clientId: current.id, tenantId: tenant, documentId: care[0].id)),
                                       current)
        XCTAssertEqual(removed, [.documentRemoved(ClientDocumentRemoved(documentId: care[0].id))])
        current.apply(removed[0], at: start)
        XCTAssertEqual(current.documents, [passport, care[1]])
    }

    func testRemovingADocumentTheClientLacksIsNotFound() async {
        let current = client()
        await assertCode(.notFound) {
            _ = try await self.decide(.removeDocument(RemoveDocument(clientId: current.id, tenantId: self.tenant, documentId: UUID())),
                                      current)
        }
    }

    func testAnotherTenantsClientIsNotFound() async {
        let current = client()
        await assertCode(.notFound) {
            _ = try await self.decide(.attachDocument(AttachDocument(clientId: current.id, tenantId: UUID(),
                                                                     document: self.document(.care))), current)
        }
    }

    func testCareDocumentsStopAtTheCap() async {
        let full = client(documents: (0..<DocumentReference.maxCareDocuments).map { _ in document(.care) })
        await assertCode(.conflict) {
            _ = try await self.decide(.attachDocument(AttachDocument(clientId: full.id, tenantId: self.tenant,
                                                                     document: self.document(.care))), full)
        }
    }

    func testMalformedReferencesAreRefused() async {
        var noType = document(.care)
        noType.documentType = nil
        var pathName = document(.passport)
        pathName.name = "../etc/passwd"
        var control = document(.passport)
        control.name = "a\u{7}b.pdf"
        var long = document(.passport)
        long.name = String(repeating: "é", count: 128) // 256 bytes
        var hash = document(.passport)
        hash.sha256 = String(repeating: "A", count: 64)
        for reference in [noType, pathName, control, long, hash] {
            let current = client()
            await assertCode(.invalidArgument) {
                _ = try await self.decide(.attachDocument(AttachDocument(clientId: current.id, tenantId: self.tenant,
                                                                         document: reference)), current)
            }
        }
    }

    func testEventsRoundTripThroughTheirJSON() throws {
        let events: [ClientEvent] = [
            .documentAttached(ClientDocumentAttached(document: document(.care, name: "Plan ✓.pdf"))),
            .documentReplaced(ClientDocumentReplaced(replacedId: UUID(), document: document(.passport))),
            .documentRemoved(ClientDocumentRemoved(documentId: UUID())),
        ]
        for event in events {
            let envelope = EventEnvelope(type: event.type, schemaVersion: event.schemaVersion, streamId: UUID(), streamVersion: 2,
                                         tenantId: tenant, occurredAt: start, actor: .system, correlationId: "c", causationId: nil,
                                         data: try event.encode())
            XCTAssertEqual(try ClientEvent.decode(envelope), event)
        }
    }

    private func assertCode(_ code: ClienteleError.Code, _ body: @escaping () async throws -> Void,
                            file: StaticString = #filePath, line: UInt = #line) async {
        do {
            try await body()
            XCTFail("expected \(code)", file: file, line: line)
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, code, file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }
}
