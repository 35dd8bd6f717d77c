// OpenSSL's libcrypto: digests, HMAC, key derivation and secure random.
// Only Shared/Crypto imports this module.
#ifndef CLIENTELE_CLIBCRYPTO_SHIM_H
#define CLIENTELE_CLIBCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#endif
