/*
 * pseudonym.h
 *     Keyed patient pseudonyms: per-client key derivation, the pseudonym text and the key
 *     fingerprint. docs/pseudonym.md gives the derivation byte for byte.
 */
#ifndef UHC_REPORTING_CORE_PSEUDONYM_H
#define UHC_REPORTING_CORE_PSEUDONYM_H

#include <cstddef>
#include <cstdint>

#include "core/hmac_sha256.h"
#include "core/uuid_text.h"

namespace uhc {

constexpr std::size_t kMasterKeyLength = 32;
constexpr std::size_t kClientKeyLength = 32;
constexpr std::size_t kClientCodeMaxLength = 32;

/* Crockford base32 digits of a 128-bit value: 26 digits hold 130 bits, the top 2 zero. */
constexpr std::size_t kPseudonymDigits = 26;

/* "P" + up to 10 digits of a positive int32 version + "-" + 26 digits + NUL. */
constexpr std::size_t kPseudonymBufferLength = 1 + 10 + 1 + kPseudonymDigits + 1;

/* Random bytes of a pseudonym token, the same 128 bits that a keyed pseudonym carries. */
constexpr std::size_t kTokenRandomBytes = 16;

/* "T1-" + 26 digits + NUL. The 1 is the token format version, not a key version, because
 * a token does not depend on any key. */
constexpr std::size_t kTokenBufferLength = 3 + kPseudonymDigits + 1;

/* Hex digits of the key fingerprint, 64 bits of HMAC-SHA256. */
constexpr std::size_t kFingerprintHexDigits = 16;

/* Key versions are SQL integers, so the largest is the int32 maximum. */
constexpr std::uint32_t kMaxKeyVersion = 2147483647u;

/* The info prefix of the client key derivation, without its terminating NUL. */
extern const char kClientKeyInfoLabel[];

/* Returns whether code matches ^[A-Z][A-Z0-9_]{1,31}$. */
bool is_valid_client_code(const char *code, std::size_t length) noexcept;

/*
 * Derives a client key: HKDF-SHA256 with the master key as IKM, an empty salt, and
 * info = "uhc_reporting pseudonym v1" || 0x00 || code || 0x00 || version as 4 bytes big
 * endian. The caller validates code first. Returns false only if OpenSSL fails.
 */
bool derive_client_key(const std::uint8_t master_key[kMasterKeyLength], const char *code,
					   std::size_t code_length, std::uint32_t version,
					   std::uint8_t client_key[kClientKeyLength]) noexcept;

/* Derives the client key and prepares it for compute_pseudonym, wiping the raw key. */
bool prepare_client_hmac(const std::uint8_t master_key[kMasterKeyLength], const char *code,
						 std::size_t code_length, std::uint32_t version,
						 HmacSha256Key *prepared) noexcept;

/* Writes the 26 Crockford base32 digits of a 128-bit big-endian value, without a NUL. */
void encode_crockford_base32_128(const std::uint8_t value[16], char digits[kPseudonymDigits]) noexcept;

/*
 * Writes "P<version>-" and the base32 digits of the first 128 bits of
 * HMAC-SHA256(client key, uuid) to buffer, NUL-terminated. Returns the text length, or 0
 * if version is 0 or above kMaxKeyVersion or OpenSSL fails.
 */
std::size_t compute_pseudonym(const HmacSha256Key &client_hmac, std::uint32_t version,
							  const std::uint8_t uuid[kUuidLength],
							  char buffer[kPseudonymBufferLength]) noexcept;

/* Writes "T1-" and the 26 Crockford base32 digits of a 128-bit big-endian value to
 * buffer, NUL-terminated. Returns the text length. */
std::size_t format_pseudonym_token(const std::uint8_t random[kTokenRandomBytes],
								   char buffer[kTokenBufferLength]) noexcept;

/*
 * Writes a new random token: 128 bits from OpenSSL's RAND_bytes, formatted as by
 * format_pseudonym_token. Returns the text length, or 0 if OpenSSL has no random bytes
 * to give, in which case buffer holds no token.
 */
std::size_t generate_pseudonym_token(char buffer[kTokenBufferLength]) noexcept;

/* Writes the first 16 lower-case hex digits of HMAC-SHA256(master key,
 * "uhc_reporting key fingerprint") and a NUL. Returns false only if OpenSSL fails. */
bool compute_key_fingerprint(const std::uint8_t master_key[kMasterKeyLength],
							 char fingerprint[kFingerprintHexDigits + 1]) noexcept;

} // namespace uhc

#endif /* UHC_REPORTING_CORE_PSEUDONYM_H */
