import CLibSSL
import Errors

/// A TLS configuration (OpenSSL's `SSL_CTX`): a client's trust and minimum version, or a
/// server's certificate and key. Sessions are made from it with `TLSSession`.
///
/// A client context verifies the peer's certificate chain against the trust store (the
/// system's, or `trustedCertificatesFile`) and the certificate's name against the server name
/// each session gives; TLS 1.2 is the least it speaks.
public final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is configured in `init` and only read afterwards
    // (SSL_new takes a reference to it); OpenSSL makes that safe across threads.

    public enum Role: Sendable { case client, server }

    let pointer: OpaquePointer
    public let role: Role

    /// A client context trusting the system's certificate authorities, or only those in
    /// `trustedCertificatesFile` (PEM) when given.
    public convenience init(clientTrusting trustedCertificatesFile: String? = nil) throws {
        try self.init(role: .client)
        SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER, nil)
        let loaded = if let trustedCertificatesFile {
            SSL_CTX_load_verify_locations(pointer, trustedCertificatesFile, nil)
        } else {
            SSL_CTX_set_default_verify_paths(pointer)
        }
        guard loaded == 1 else {
            throw ClienteleError(.invalidArgument, "The trusted certificates cannot be read",
                                 internalDetail: Self.drainErrors())
        }
    }

    /// A server context presenting the certificate chain and private key in the PEM files.
    public convenience init(serverCertificateChainFile: String, privateKeyFile: String) throws {
        try self.init(role: .server)
        guard SSL_CTX_use_certificate_chain_file(pointer, serverCertificateChainFile) == 1,
              SSL_CTX_use_PrivateKey_file(pointer, privateKeyFile, SSL_FILETYPE_PEM) == 1,
              SSL_CTX_check_private_key(pointer) == 1 else {
            throw ClienteleError(.invalidArgument, "The TLS certificate or key cannot be read",
                                 internalDetail: Self.drainErrors())
        }
    }

    private init(role: Role) throws {
        guard let pointer = SSL_CTX_new(role == .client ? TLS_client_method() : TLS_server_method()) else {
            throw ClienteleError(.internal, "TLS is not available", internalDetail: Self.drainErrors())
        }
        self.pointer = pointer
        self.role = role
        clientele_ssl_ctx_require_tls12(pointer)
        clientele_ssl_ctx_set_write_modes(pointer)
    }

    deinit { SSL_CTX_free(pointer) }

    /// OpenSSL's queued error strings for this thread, oldest first (for operators' logs).
    static func drainErrors() -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "no detail" : reasons.joined(separator: "; ")
    }
}
