import ClientDomain
import Foundation

/// The JSON conventions every internal API uses: dates as RFC 3339 UTC with milliseconds
/// (`Timestamp`), keys sorted so equal values encode equally.
///
/// Each internal wire type has one codec. Those on a hot path (records, list pages, lookups,
/// command requests and responses, visibility answers, the applied feed) are coded by hand
/// (`internalJSON`, `internalJSONBytes`, `init(internalJSON:)`) and follow these conventions;
/// the others (status, rebuild and republish progress, quarantine reports, stats) are
/// `Codable` through this encoder and decoder.
public enum InternalJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an RFC 3339 date-time")
            }
            return date
        }
        return decoder
    }
}
