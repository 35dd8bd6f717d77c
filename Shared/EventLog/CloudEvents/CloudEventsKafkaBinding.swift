import ClientDomain
import Foundation
import Kafka
import ServiceRuntime

/// Maps event envelopes to Kafka messages and back, per the CloudEvents Kafka protocol
/// binding in binary mode: attributes as `ce_` headers, the event's JSON as the value.
///
/// Standard attributes: `ce_specversion` (1.0), `ce_id` (event id), `ce_source`, `ce_type`
/// (`client.created`…), `ce_time` (RFC 3339), `ce_subject` (the client id), and
/// `content-type: application/json`. Extensions carry the rest of the envelope:
/// `ce_tenantid`, `ce_streamversion`, `ce_schemaversion`, `ce_correlationid`,
/// `ce_causationid`, `ce_actorkind`, `ce_actorid`, and `ce_position` (the event store's
/// position). The key is the client id, so a client's events stay in order on one partition.
///
/// An event written with a trace carries its W3C `traceparent` (the CloudEvents
/// distributed-tracing extension) in a `traceparent` header, the name Kafka tracing
/// instrumentations read; reading also accepts `ce_traceparent`. An invalid value is dropped
/// rather than failing the event.
public enum CloudEventsKafkaBinding {
    public static let source = "/clientele/command-service"

    public static func message(for event: StoredEvent, topic: String) -> KafkaOutgoingMessage {
        let envelope = event.envelope
        var headers = [
            KafkaHeader(name: "ce_specversion", string: "1.0"),
            KafkaHeader(name: "ce_id", string: envelope.eventId.lowercasedString),
            KafkaHeader(name: "ce_source", string: source),
            KafkaHeader(name: "ce_type", string: envelope.type),
            KafkaHeader(name: "ce_time", string: Timestamp.format(envelope.occurredAt)),
            KafkaHeader(name: "ce_subject", string: envelope.streamId.lowercasedString),
            KafkaHeader(name: "content-type", string: "application/json"),
            KafkaHeader(name: "ce_tenantid", string: envelope.tenantId.lowercasedString),
            KafkaHeader(name: "ce_streamversion", string: String(envelope.streamVersion)),
            KafkaHeader(name: "ce_schemaversion", string: String(envelope.schemaVersion)),
            KafkaHeader(name: "ce_correlationid", string: envelope.correlationId),
            KafkaHeader(name: "ce_actorkind", string: envelope.actor.kind.rawValue),
            KafkaHeader(name: "ce_actorid", string: envelope.actor.id),
            KafkaHeader(name: "ce_position", string: String(event.position)),
        ]
        if let causation = envelope.causationId { headers.append(KafkaHeader(name: "ce_causationid", string: causation)) }
        if let traceparent = envelope.traceparent { headers.append(KafkaHeader(name: "traceparent", string: traceparent)) }
        return KafkaOutgoingMessage(topic: topic, key: Array(envelope.streamId.lowercasedString.utf8),
                                    value: Array(envelope.data), headers: headers)
    }

    /// The stored event a record carries; throws `BindingError` naming the first bad attribute.
    public static func event(from record: KafkaRecord) throws -> StoredEvent {
        var attributes: [String: String] = [:]
        for header in record.headers {
            if let value = header.value { attributes[header.name] = String(decoding: value, as: UTF8.self) }
        }
        func required(_ name: String) throws -> String {
            guard let value = attributes[name], !value.isEmpty else { throw BindingError(attribute: name) }
            return value
        }
        func parsed<T>(_ name: String, _ parse: (String) -> T?) throws -> T {
            guard let value = parse(try required(name)) else { throw BindingError(attribute: name) }
            return value
        }
        guard try required("ce_specversion") == "1.0" else { throw BindingError(attribute: "ce_specversion") }
        let envelope = EventEnvelope(
            eventId: try parsed("ce_id", UUID.init(uuidString:)),
            type: try required("ce_type"),
            schemaVersion: try parsed("ce_schemaversion") { Int($0) },
            streamId: try parsed("ce_subject", UUID.init(uuidString:)),
            streamVersion: try parsed("ce_streamversion") { Int64($0) },
            tenantId: try parsed("ce_tenantid", UUID.init(uuidString:)),
            occurredAt: try parsed("ce_time", Timestamp.parse),
            actor: Actor(kind: try parsed("ce_actorkind", Actor.Kind.init(rawValue:)), id: try required("ce_actorid")),
            correlationId: try required("ce_correlationid"),
            causationId: attributes["ce_causationid"],
            data: Data(record.value),
            traceparent: (attributes["traceparent"] ?? attributes["ce_traceparent"])
                .flatMap { TraceContext.parse($0)?.traceparent })
        return StoredEvent(position: try parsed("ce_position") { Int64($0) }, envelope: envelope)
    }

    /// A record that is not a Clientele CloudEvent.
    public struct BindingError: Error, Equatable, CustomStringConvertible {
        public var attribute: String
        public var description: String { "missing or invalid CloudEvents attribute \(attribute)" }
    }
}
