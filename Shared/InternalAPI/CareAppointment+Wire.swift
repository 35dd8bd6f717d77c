import Foundation

/// A client's appointments on the wire (`GET InternalPaths.careAppointments`,
/// `application/octet-stream`), its only codec: length-prefixed fields (`WireWriter`), so a
/// month's hundreds are neither escaped nor parsed into values (measured: docs/performance.md,
/// design measurements).
///
///     list        := "CAP1" count:u32 appointment*count
///     appointment := id:16 clientId:16 carerId:16 startsAt:f64 endsAt:f64 text*2
///     text        := length:u32 (0xFFFFFFFF: absent) utf8[length]
///
/// Little-endian; ids as their 16 bytes; instants as the bits of their seconds since 1970
/// (read back exactly); the texts in order: serviceType, status (both present).
extension CareAppointment {
    static let magic: [UInt8] = Array("CAP1".utf8)
    /// The fewest bytes an appointment takes (its texts empty).
    static let minimumBytes = 3 * 16 + 2 * 8 + 2 * 4

    public static func wireBytes(_ appointments: [CareAppointment]) -> [UInt8] {
        var out = WireWriter(magic: magic, capacity: 8 + appointments.count * 100)
        out.list(appointments) { out, appointment in
            out.uuid(appointment.id)
            out.uuid(appointment.clientId)
            out.uuid(appointment.carerId)
            out.date(appointment.startsAt)
            out.date(appointment.endsAt)
            out.text(appointment.serviceType)
            out.text(appointment.status)
        }
        return out.bytes
    }

    /// The appointments `bytes` hold; nil when they are not a list (wrong magic, cut short,
    /// trailing bytes, more than `CareAppointmentsQuery.maxCount`, an absent text).
    public static func appointments(wireBytes bytes: [UInt8]) -> [CareAppointment]? {
        WireReader.read(bytes, magic: magic) { reader in
            reader.list(limit: CareAppointmentsQuery.maxCount, itemBytes: minimumBytes) { reader in
                guard let id = reader.uuid(), let clientId = reader.uuid(), let carerId = reader.uuid(), let startsAt = reader.date(),
                      let endsAt = reader.date(), let serviceType = reader.requiredText(), let status = reader.requiredText() else {
                    return nil
                }
                return CareAppointment(id: id, clientId: clientId, carerId: carerId, startsAt: startsAt, endsAt: endsAt,
                                       serviceType: serviceType, status: status)
            }
        }
    }
}
