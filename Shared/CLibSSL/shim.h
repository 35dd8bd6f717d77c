// OpenSSL's libssl: TLS for the HTTP client's https calls (crm-sync to a company's CRM) and
// the test suite's TLS server. Only Shared/TLS imports this module.
#ifndef CLIENTELE_CLIBSSL_SHIM_H
#define CLIENTELE_CLIBSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <errno.h>
#include <sys/socket.h>

// Macros Swift cannot call.
static inline int clientele_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline int clientele_ssl_ctx_require_tls12(SSL_CTX *context) {
    return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}
static inline long clientele_ssl_ctx_set_write_modes(SSL_CTX *context) {
    return SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

// A socket BIO that sends with MSG_NOSIGNAL: OpenSSL's own writes with write(2), which raises
// SIGPIPE (and ends the process) when the peer has gone; nothing in Clientele ignores SIGPIPE.
static inline int clientele_bio_write(BIO *bio, const char *data, int length) {
    int fd = (int)(intptr_t)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    ssize_t n = send(fd, data, (size_t)length, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(bio);
    return (int)n;
}
static inline int clientele_bio_read(BIO *bio, char *data, int length) {
    int fd = (int)(intptr_t)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    ssize_t n = recv(fd, data, (size_t)length, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(bio);
    return (int)n;
}
static inline long clientele_bio_control(BIO *bio, int command, long number, void *pointer) {
    (void)bio; (void)number; (void)pointer;
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}
// The method, made once by the Swift wrapper.
static inline BIO_METHOD *clientele_socket_bio_method_new(void) {
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "clientele socket");
    if (method == NULL) return NULL;
    BIO_meth_set_write(method, clientele_bio_write);
    BIO_meth_set_read(method, clientele_bio_read);
    BIO_meth_set_ctrl(method, clientele_bio_control);
    return method;
}
// Makes `fd` the session's transport through `method` (the descriptor stays the caller's).
static inline int clientele_ssl_set_socket(SSL *ssl, int fd, BIO_METHOD *method) {
    BIO *bio = BIO_new(method);
    if (bio == NULL) return 0;
    BIO_set_data(bio, (void *)(intptr_t)fd);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl, bio, bio);
    return 1;
}
#endif
