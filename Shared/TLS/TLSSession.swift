import CLibSSL
import Errors

/// The socket transport every session uses (`shim.h`: sends with MSG_NOSIGNAL). Made once;
/// an immutable OpenSSL object shared by every thread.
nonisolated(unsafe) private let socketMethod = clientele_socket_bio_method_new()

/// One TLS session over a connected, non-blocking socket (OpenSSL's `SSL`).
///
/// The owner drives it: `handshake`, `write` and `read` never block; each answers what it did
/// or which readiness of the socket it waits for (TLS may need to read in order to write, and
/// the other way round). The session does not own the socket: `close` ends the session, the
/// owner closes the descriptor. Not thread-safe: one owner at a time, as a socket.
public final class TLSSession {
    /// What a step did.
    public enum Step: Equatable, Sendable {
        /// Bytes written or read (a handshake: done).
        case done(Int)
        /// Call again once the socket is readable.
        case wantsRead
        /// Call again once the socket is writable.
        case wantsWrite
        /// The peer ended the session (a read's end of input).
        case closed
        /// The session failed; the reason is for operators (a certificate problem names it).
        case failed(String)
    }

    private let pointer: OpaquePointer
    private var isClosed = false

    /// A client session on `fd` for `serverName`: sent as SNI, and the peer's certificate must
    /// be valid for it (a DNS name or an IP address).
    public init(client context: TLSContext, fd: Int32, serverName: String) throws {
        pointer = try Self.makeSSL(context, fd: fd)
        SSL_set_connect_state(pointer)
        let isAddress = serverName.contains(":") || serverName.allSatisfy { $0.isNumber || $0 == "." }
        let named = isAddress
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(pointer), serverName) == 1
            : clientele_ssl_set_server_name(pointer, serverName) == 1 && SSL_set1_host(pointer, serverName) == 1
        // Thrown once `pointer` is set, the session is freed by `deinit` (`close`).
        guard named else {
            throw ClienteleError(.invalidArgument, "The TLS server name is not valid", internalDetail: TLSContext.drainErrors())
        }
    }

    /// A server session on an accepted `fd`.
    public init(server context: TLSContext, fd: Int32) throws {
        pointer = try Self.makeSSL(context, fd: fd)
        SSL_set_accept_state(pointer)
    }

    private static func makeSSL(_ context: TLSContext, fd: Int32) throws -> OpaquePointer {
        guard let ssl = SSL_new(context.pointer) else {
            throw ClienteleError(.internal, "TLS is not available", internalDetail: TLSContext.drainErrors())
        }
        guard let method = socketMethod, clientele_ssl_set_socket(ssl, fd, method) == 1 else {
            SSL_free(ssl)
            throw ClienteleError(.internal, "TLS is not available", internalDetail: TLSContext.drainErrors())
        }
        return ssl
    }

    deinit { close() }

    /// Advances the handshake: `.done(0)` once it is complete and the peer verified.
    public func handshake() -> Step {
        ERR_clear_error()
        let result = SSL_do_handshake(pointer)
        return result == 1 ? .done(0) : step(after: result)
    }

    /// Writes some of `bytes` (at least one when it does not wait).
    public func write(_ bytes: UnsafeRawBufferPointer) -> Step {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return .done(0) }
        ERR_clear_error()
        let result = SSL_write(pointer, base, Int32(clamping: bytes.count))
        return result > 0 ? .done(Int(result)) : step(after: result)
    }

    /// Reads some bytes into `buffer`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Step {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return .done(0) }
        ERR_clear_error()
        let result = SSL_read(pointer, base, Int32(clamping: buffer.count))
        return result > 0 ? .done(Int(result)) : step(after: result)
    }

    /// Whether decrypted bytes wait in the session (readable without the socket).
    public var hasBufferedInput: Bool { SSL_pending(pointer) > 0 }

    /// Sends the close notification when it can without waiting and frees the session.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        ERR_clear_error()
        SSL_shutdown(pointer)
        SSL_free(pointer)
        ERR_clear_error()
    }

    private func step(after result: Int32) -> Step {
        switch SSL_get_error(pointer, result) {
        case SSL_ERROR_WANT_READ: return .wantsRead
        case SSL_ERROR_WANT_WRITE: return .wantsWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL where ERR_peek_error() == 0: return .closed
        default:
            let verification = SSL_get_verify_result(pointer)
            if verification != X509_V_OK, let reason = X509_verify_cert_error_string(verification) {
                _ = TLSContext.drainErrors()
                return .failed("certificate not trusted: \(String(cString: reason))")
            }
            return .failed(TLSContext.drainErrors())
        }
    }
}
