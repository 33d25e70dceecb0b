/*
 * hkdf.h
 *     HKDF-SHA256 key derivation (RFC 5869).
 */
#ifndef UHC_REPORTING_CORE_HKDF_H
#define UHC_REPORTING_CORE_HKDF_H

#include <cstddef>
#include <cstdint>

namespace uhc {

/* RFC 5869 limits the output to 255 hash lengths. */
constexpr std::size_t kHkdfSha256MaxOutput = 255 * 32;

/* Writes output_length bytes of HKDF-SHA256(ikm, salt, info) to output. An empty salt
 * means 32 zero bytes, as RFC 5869 section 2.2 specifies. Returns false when
 * output_length exceeds kHkdfSha256MaxOutput or OpenSSL fails, and then output holds
 * zeros. */
bool hkdf_sha256(const std::uint8_t *ikm, std::size_t ikm_length, const std::uint8_t *salt,
				 std::size_t salt_length, const std::uint8_t *info, std::size_t info_length,
				 std::uint8_t *output, std::size_t output_length) noexcept;

} // namespace uhc

#endif /* UHC_REPORTING_CORE_HKDF_H */
