/*
 * hmac_sha256.h
 *     HMAC-SHA256 (RFC 2104, FIPS 198-1) over OpenSSL's SHA-256 compression function.
 *
 * A key is prepared once into the two SHA-256 states that follow the ipad and opad
 * blocks. Each MAC then copies those states, so a call allocates nothing and hashes
 * only the message and the 32-byte inner digest. No PostgreSQL header is included.
 */
#ifndef UHC_REPORTING_CORE_HMAC_SHA256_H
#define UHC_REPORTING_CORE_HMAC_SHA256_H

#include <cstddef>
#include <cstdint>

#ifndef OPENSSL_SUPPRESS_DEPRECATED
/* SHA256_CTX and SHA256_Init are deprecated in OpenSSL 3.0 but still exported. They are
 * used because a SHA256_CTX is a plain struct that can be copied without allocation. */
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/sha.h>

namespace uhc {

constexpr std::size_t kSha256DigestLength = 32;
constexpr std::size_t kSha256BlockLength = 64;

/* SHA-256 states after absorbing (key XOR ipad) and (key XOR opad). Plain data, so it can
 * live in a PostgreSQL memory context; wipe_hmac_sha256_key zeroes it. */
struct HmacSha256Key {
	SHA256_CTX inner;
	SHA256_CTX outer;
};

/* Prepares key for HMAC-SHA256. A key longer than 64 bytes is hashed first, as RFC 2104
 * requires. Returns false only if OpenSSL fails. */
bool prepare_hmac_sha256_key(const std::uint8_t *key, std::size_t key_length,
							 HmacSha256Key *prepared) noexcept;

/* Writes HMAC-SHA256(prepared key, message) to mac (32 bytes). Returns false only if
 * OpenSSL fails. */
bool compute_hmac_sha256(const HmacSha256Key &prepared, const std::uint8_t *message,
						 std::size_t message_length, std::uint8_t *mac) noexcept;

/* One-shot HMAC-SHA256 for callers that use a key once (key derivation, tests). */
bool hmac_sha256(const std::uint8_t *key, std::size_t key_length, const std::uint8_t *message,
				 std::size_t message_length, std::uint8_t *mac) noexcept;

/* Zeroes key material in a way the compiler cannot drop. */
void wipe_secret(void *memory, std::size_t length) noexcept;

inline void
wipe_hmac_sha256_key(HmacSha256Key *prepared) noexcept
{
	wipe_secret(prepared, sizeof(*prepared));
}

} // namespace uhc

#endif /* UHC_REPORTING_CORE_HMAC_SHA256_H */
