import Foundation

/// A private certificate authority and a server certificate it signed, for `localhost` and
/// 127.0.0.1, made with the `openssl` program in a scratch directory (PEM files). A second,
/// unrelated authority (`untrustedAuthorityFile`) lets a test show that a client trusting it
/// refuses the server.
public struct TestCertificates: Sendable {
    public var authorityFile: String
    public var untrustedAuthorityFile: String
    public var serverCertificateFile: String
    public var serverKeyFile: String

    public static func make() throws -> TestCertificates {
        let directory = try ProjectPaths.scratchDirectory("certificates").path
        func openssl(_ arguments: [String]) throws {
            let result = try ExternalProgram.run("openssl", arguments)
            guard result.status == 0 else { throw TestSupportError("openssl \(arguments.first ?? "") failed: \(result.standardError)") }
        }
        func authority(_ name: String) throws -> (certificate: String, key: String) {
            let certificate = "\(directory)/\(name).pem", key = "\(directory)/\(name).key"
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                         "-subj", "/CN=Clientele test \(name)", "-keyout", key, "-out", certificate])
            return (certificate, key)
        }
        let trusted = try authority("authority")
        let untrusted = try authority("other-authority")
        let key = "\(directory)/server.key", request = "\(directory)/server.csr", certificate = "\(directory)/server.pem"
        let extensions = "\(directory)/server.ext"
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
                     "-keyout", key, "-out", request])
        try openssl(["x509", "-req", "-in", request, "-CA", trusted.certificate, "-CAkey", trusted.key, "-CAcreateserial",
                     "-days", "2", "-extfile", extensions, "-out", certificate])
        return TestCertificates(authorityFile: trusted.certificate, untrustedAuthorityFile: untrusted.certificate,
                                serverCertificateFile: certificate, serverKeyFile: key)
    }
}
