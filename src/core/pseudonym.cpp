/*
 * pseudonym.cpp
 *     Client key derivation, pseudonym encoding and key fingerprint.
 */
#include "core/pseudonym.h"

#include "core/hkdf.h"

#include <cstring>

#include <openssl/rand.h>

namespace uhc {

const char kClientKeyInfoLabel[] = "uhc_reporting pseudonym v1";

namespace {

const char kCrockfordAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const char kFingerprintLabel[] = "uhc_reporting key fingerprint";

} // namespace

bool
is_valid_client_code(const char *code, std::size_t length) noexcept
{
	if (length < 2 || length > kClientCodeMaxLength)
		return false;
	if (code[0] < 'A' || code[0] > 'Z')
		return false;
	for (std::size_t i = 1; i < length; i++)
	{
		char c = code[i];
		bool allowed = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';

		if (!allowed)
			return false;
	}
	return true;
}

bool
derive_client_key(const std::uint8_t master_key[kMasterKeyLength], const char *code,
				  std::size_t code_length, std::uint32_t version,
				  std::uint8_t client_key[kClientKeyLength]) noexcept
{
	if (code_length > kClientCodeMaxLength)
		return false;

	constexpr std::size_t label_length = sizeof(kClientKeyInfoLabel) - 1;
	std::uint8_t info[label_length + 1 + kClientCodeMaxLength + 1 + 4];
	std::size_t n = 0;

	std::memcpy(info, kClientKeyInfoLabel, label_length);
	n += label_length;
	info[n++] = 0x00;
	std::memcpy(info + n, code, code_length);
	n += code_length;
	info[n++] = 0x00;
	info[n++] = static_cast<std::uint8_t>(version >> 24);
	info[n++] = static_cast<std::uint8_t>(version >> 16);
	info[n++] = static_cast<std::uint8_t>(version >> 8);
	info[n++] = static_cast<std::uint8_t>(version);

	return hkdf_sha256(master_key, kMasterKeyLength, nullptr, 0, info, n, client_key,
					   kClientKeyLength);
}

bool
prepare_client_hmac(const std::uint8_t master_key[kMasterKeyLength], const char *code,
					std::size_t code_length, std::uint32_t version,
					HmacSha256Key *prepared) noexcept
{
	std::uint8_t client_key[kClientKeyLength];
	bool ok = derive_client_key(master_key, code, code_length, version, client_key) &&
			  prepare_hmac_sha256_key(client_key, sizeof(client_key), prepared);

	wipe_secret(client_key, sizeof(client_key));
	return ok;
}

void
encode_crockford_base32_128(const std::uint8_t value[16], char digits[kPseudonymDigits]) noexcept
{
	std::uint64_t high = 0;
	std::uint64_t low = 0;

	for (int i = 0; i < 8; i++)
	{
		high = (high << 8) | value[i];
		low = (low << 8) | value[8 + i];
	}

	/* Digit i is bits 125-5i .. 129-5i of the value, counted from bit 0 at the right.
	 * Filling from the last digit shifts the 128-bit value right by 5 each step. */
	for (std::size_t i = kPseudonymDigits; i-- > 0;)
	{
		digits[i] = kCrockfordAlphabet[low & 31u];
		low = (low >> 5) | (high << 59);
		high >>= 5;
	}
}

std::size_t
compute_pseudonym(const HmacSha256Key &client_hmac, std::uint32_t version,
				  const std::uint8_t uuid[kUuidLength], char buffer[kPseudonymBufferLength]) noexcept
{
	if (version == 0 || version > kMaxKeyVersion)
		return 0;

	std::uint8_t mac[kSha256DigestLength];

	if (!compute_hmac_sha256(client_hmac, uuid, kUuidLength, mac))
		return 0;

	/* The version is written backwards into a scratch buffer, then copied in order. */
	char version_digits[10];
	std::size_t version_length = 0;

	for (std::uint32_t v = version; v != 0; v /= 10)
		version_digits[version_length++] = static_cast<char>('0' + v % 10);

	std::size_t n = 0;

	buffer[n++] = 'P';
	while (version_length > 0)
		buffer[n++] = version_digits[--version_length];
	buffer[n++] = '-';
	encode_crockford_base32_128(mac, buffer + n);
	n += kPseudonymDigits;
	buffer[n] = '\0';

	wipe_secret(mac, sizeof(mac));
	return n;
}

std::size_t
format_pseudonym_token(const std::uint8_t random[kTokenRandomBytes],
					   char buffer[kTokenBufferLength]) noexcept
{
	buffer[0] = 'T';
	buffer[1] = '1';
	buffer[2] = '-';
	encode_crockford_base32_128(random, buffer + 3);
	buffer[3 + kPseudonymDigits] = '\0';
	return 3 + kPseudonymDigits;
}

std::size_t
generate_pseudonym_token(char buffer[kTokenBufferLength]) noexcept
{
	std::uint8_t random[kTokenRandomBytes];

	if (RAND_bytes(random, static_cast<int>(sizeof(random))) != 1)
	{
		buffer[0] = '\0';
		return 0;
	}

	std::size_t length = format_pseudonym_token(random, buffer);

	wipe_secret(random, sizeof(random));
	return length;
}

bool
compute_key_fingerprint(const std::uint8_t master_key[kMasterKeyLength],
						char fingerprint[kFingerprintHexDigits + 1]) noexcept
{
	static const char hex[] = "0123456789abcdef";
	std::uint8_t mac[kSha256DigestLength];

	if (!hmac_sha256(master_key, kMasterKeyLength,
					 reinterpret_cast<const std::uint8_t *>(kFingerprintLabel),
					 sizeof(kFingerprintLabel) - 1, mac))
		return false;

	for (std::size_t i = 0; i < kFingerprintHexDigits / 2; i++)
	{
		fingerprint[2 * i] = hex[mac[i] >> 4];
		fingerprint[2 * i + 1] = hex[mac[i] & 15u];
	}
	fingerprint[kFingerprintHexDigits] = '\0';
	wipe_secret(mac, sizeof(mac));
	return true;
}

} // namespace uhc
