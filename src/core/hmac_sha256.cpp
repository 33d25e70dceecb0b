/*
 * hmac_sha256.cpp
 *     HMAC-SHA256 with prepared ipad/opad states.
 */
#include "core/hmac_sha256.h"

#include <cstring>
#include <openssl/crypto.h>

namespace uhc {

void
wipe_secret(void *memory, std::size_t length) noexcept
{
	OPENSSL_cleanse(memory, length);
}

bool
prepare_hmac_sha256_key(const std::uint8_t *key, std::size_t key_length,
						HmacSha256Key *prepared) noexcept
{
	std::uint8_t block[kSha256BlockLength] = {0};
	bool ok = true;

	if (key_length > kSha256BlockLength)
	{
		SHA256_CTX hashed;

		ok = SHA256_Init(&hashed) == 1 && SHA256_Update(&hashed, key, key_length) == 1 &&
			 SHA256_Final(block, &hashed) == 1;
		wipe_secret(&hashed, sizeof(hashed));
	}
	else if (key_length > 0)
		std::memcpy(block, key, key_length);

	std::uint8_t pad[kSha256BlockLength];

	for (std::size_t i = 0; i < kSha256BlockLength; i++)
		pad[i] = block[i] ^ 0x36;
	ok = ok && SHA256_Init(&prepared->inner) == 1 &&
		 SHA256_Update(&prepared->inner, pad, sizeof(pad)) == 1;

	for (std::size_t i = 0; i < kSha256BlockLength; i++)
		pad[i] = block[i] ^ 0x5c;
	ok = ok && SHA256_Init(&prepared->outer) == 1 &&
		 SHA256_Update(&prepared->outer, pad, sizeof(pad)) == 1;

	wipe_secret(block, sizeof(block));
	wipe_secret(pad, sizeof(pad));
	if (!ok)
		wipe_hmac_sha256_key(prepared);
	return ok;
}

bool
compute_hmac_sha256(const HmacSha256Key &prepared, const std::uint8_t *message,
					std::size_t message_length, std::uint8_t *mac) noexcept
{
	SHA256_CTX context = prepared.inner;
	std::uint8_t inner_digest[kSha256DigestLength];

	bool ok = SHA256_Update(&context, message, message_length) == 1 &&
			  SHA256_Final(inner_digest, &context) == 1;

	context = prepared.outer;
	ok = ok && SHA256_Update(&context, inner_digest, sizeof(inner_digest)) == 1 &&
		 SHA256_Final(mac, &context) == 1;

	wipe_secret(&context, sizeof(context));
	wipe_secret(inner_digest, sizeof(inner_digest));
	return ok;
}

bool
hmac_sha256(const std::uint8_t *key, std::size_t key_length, const std::uint8_t *message,
			std::size_t message_length, std::uint8_t *mac) noexcept
{
	HmacSha256Key prepared;

	bool ok = prepare_hmac_sha256_key(key, key_length, &prepared) &&
			  compute_hmac_sha256(prepared, message, message_length, mac);

	wipe_hmac_sha256_key(&prepared);
	return ok;
}

} // namespace uhc
