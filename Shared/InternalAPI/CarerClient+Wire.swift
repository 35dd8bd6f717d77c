import Foundation

/// A carer's client list on the wire (`GET InternalPaths.carerClients`,
/// `application/octet-stream`), its only codec: length-prefixed fields (`WireWriter`). A busy
/// carer's list holds a thousand clients; as JSON, writing it, parsing it into values and
/// reading those was most of the gateway's and the projection's time per list (measured:
/// docs/performance.md, design measurements).
///
///     list   := "CCL1" count:u32 client*count
///     client := id:16 number:i64 (0: none) appointmentCount:i64 text*3
///     text   := length:u32 (0xFFFFFFFF: absent) utf8[length]
///
/// Integers little-endian; the id as its 16 bytes; the texts in order: name, firstName, lastName.
extension CarerClient {
    static let magic: [UInt8] = Array("CCL1".utf8)
    /// The fewest bytes a client takes (its texts absent).
    static let minimumBytes = 16 + 8 + 8 + 3 * 4

    public static func wireBytes(_ clients: [CarerClient]) -> [UInt8] {
        var out = WireWriter(magic: magic, capacity: 8 + clients.count * 64)
        out.list(clients) { out, client in
            out.uuid(client.id)
            out.i64(client.number ?? 0)
            out.i64(client.appointmentCount)
            out.text(client.name)
            out.text(client.firstName)
            out.text(client.lastName)
        }
        return out.bytes
    }

    /// The clients `bytes` hold; nil when they are not a list (wrong magic, cut short, trailing bytes).
    public static func clients(wireBytes bytes: [UInt8]) -> [CarerClient]? {
        WireReader.read(bytes, magic: magic) { reader in
            reader.list(limit: Int(UInt32.max - 1), itemBytes: minimumBytes) { reader in
                guard let id = reader.uuid(), let number = reader.i64(), let appointmentCount = reader.i64(),
                      let name = reader.text(), let firstName = reader.text(), let lastName = reader.text() else { return nil }
                return CarerClient(id: id, number: number == 0 ? nil : number, name: name, firstName: firstName,
                                   lastName: lastName, appointmentCount: appointmentCount)
            }
        }
    }
}
