import Crypto
import Foundation

/// Makes client data keys and wraps them with the master key (`DATA_MASTER_KEY`), the only
/// form in which a data key is stored.
///
/// A data key is 32 random bytes (AES-256-GCM); wrapped, it is sealed under the master key
/// with the stream id's 16 bytes as associated data, so a wrapped key copied to another
/// stream's row does not unwrap there.
public struct ClientKeyring: Sendable {
    private let master: AESGCM

    public init(master: AESGCM) {
        self.master = master
    }

    /// The master key in `text`: the base64 of 32 bytes; nil for anything else.
    public static func masterKey(base64 text: String) -> AESGCM? {
        guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return AESGCM(key: Array(bytes))
    }

    /// A new data key for `streamId`, with its wrapped form to store.
    public func makeKey(for streamId: UUID) -> (key: AESGCM, wrapped: [UInt8]) {
        let raw = SecureRandom.bytes(count: AESGCM.keyByteCount)
        guard let key = AESGCM(key: raw) else { preconditionFailure("a key of AESGCM.keyByteCount bytes") }
        return (key, master.seal(raw, associatedData: Self.associatedData(streamId)))
    }

    /// The raw data key wrapped in `wrapped` for `streamId`; nil when it was not wrapped by
    /// this master key for this stream.
    public func unwrapRaw(_ wrapped: [UInt8], for streamId: UUID) -> [UInt8]? {
        master.open(wrapped, associatedData: Self.associatedData(streamId))
    }

    /// The data key wrapped in `wrapped` for `streamId` (see `unwrapRaw`).
    public func unwrap(_ wrapped: [UInt8], for streamId: UUID) -> AESGCM? {
        unwrapRaw(wrapped, for: streamId).flatMap { AESGCM(key: $0) }
    }

    static func associatedData(_ streamId: UUID) -> [UInt8] {
        withUnsafeBytes(of: streamId.uuid) { Array($0) }
    }
}
