/*
 * hkdf.cpp
 *     HKDF-SHA256 extract and expand steps, built on the prepared HMAC of hmac_sha256.h.
 */
#include "core/hkdf.h"

#include "core/hmac_sha256.h"

#include <cstring>

namespace uhc {

bool
hkdf_sha256(const std::uint8_t *ikm, std::size_t ikm_length, const std::uint8_t *salt,
			std::size_t salt_length, const std::uint8_t *info, std::size_t info_length,
			std::uint8_t *output, std::size_t output_length) noexcept
{
	if (output_length > kHkdfSha256MaxOutput)
		return false;

	/* Extract: PRK = HMAC(salt, IKM). HMAC pads a short key with zeros, so an empty salt
	 * gives the same PRK as 32 zero bytes. */
	std::uint8_t prk[kSha256DigestLength];
	HmacSha256Key prk_key;
	bool ok = hmac_sha256(salt, salt_length, ikm, ikm_length, prk) &&
			  prepare_hmac_sha256_key(prk, sizeof(prk), &prk_key);

	/* Expand: T(i) = HMAC(PRK, T(i-1) || info || i), so the previous block, info and the
	 * counter are hashed as consecutive updates of one inner state. */
	std::uint8_t block[kSha256DigestLength];
	std::size_t written = 0;

	for (unsigned counter = 1; ok && written < output_length; counter++)
	{
		SHA256_CTX context = prk_key.inner;
		std::uint8_t counter_byte = static_cast<std::uint8_t>(counter);

		if (counter > 1)
			ok = SHA256_Update(&context, block, sizeof(block)) == 1;
		ok = ok && SHA256_Update(&context, info, info_length) == 1 &&
			 SHA256_Update(&context, &counter_byte, 1) == 1 &&
			 SHA256_Final(block, &context) == 1;
		context = prk_key.outer;
		ok = ok && SHA256_Update(&context, block, sizeof(block)) == 1 &&
			 SHA256_Final(block, &context) == 1;
		wipe_secret(&context, sizeof(context));

		std::size_t take = output_length - written;

		if (take > sizeof(block))
			take = sizeof(block);
		if (ok)
			std::memcpy(output + written, block, take);
		written += take;
	}

	wipe_secret(prk, sizeof(prk));
	wipe_secret(block, sizeof(block));
	wipe_hmac_sha256_key(&prk_key);
	if (!ok)
		wipe_secret(output, output_length);
	return ok;
}

} // namespace uhc
