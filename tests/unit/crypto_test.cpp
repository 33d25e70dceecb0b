// HMAC-SHA256 against RFC 4231 and HKDF-SHA256 against RFC 5869, section by section.
#include <gtest/gtest.h>

#include "hex_test_util.h"

#include <cstdint>
#include <string>
#include <vector>

#include "core/hkdf.h"
#include "core/hmac_sha256.h"

namespace {

std::vector<std::uint8_t>
from_hex(const std::string &hex)
{
	std::vector<std::uint8_t> bytes;

	for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
		bytes.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
	return bytes;
}

std::vector<std::uint8_t>
repeated(std::uint8_t byte, std::size_t count)
{
	return std::vector<std::uint8_t>(count, byte);
}

std::vector<std::uint8_t>
ascii(const std::string &text)
{
	return std::vector<std::uint8_t>(text.begin(), text.end());
}

std::vector<std::uint8_t>
byte_range(unsigned first, unsigned last_inclusive)
{
	std::vector<std::uint8_t> bytes;

	for (unsigned b = first; b <= last_inclusive; b++)
		bytes.push_back(static_cast<std::uint8_t>(b));
	return bytes;
}

struct HmacCase {
	const char *name;
	std::vector<std::uint8_t> key;
	std::vector<std::uint8_t> data;
	// Expected HMAC-SHA-256 in hex; test case 5 lists only the first 128 bits.
	std::string expected;
};

// RFC 4231 section 4, test cases 1 to 7, HMAC-SHA-256 rows.
std::vector<HmacCase>
rfc4231_cases()
{
	return {
		{"case 1", repeated(0x0b, 20), ascii("Hi There"),
		 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"case 2", ascii("Jefe"), ascii("what do ya want for nothing?"),
		 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"case 3", repeated(0xaa, 20), repeated(0xdd, 50),
		 "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
		{"case 4", byte_range(0x01, 0x19), repeated(0xcd, 50),
		 "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
		{"case 5", repeated(0x0c, 20), ascii("Test With Truncation"),
		 "a3b6167473100ee06e0c796c2955552b"},
		{"case 6", repeated(0xaa, 131),
		 ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
		 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
		{"case 7", repeated(0xaa, 131),
		 ascii("This is a test using a larger than block-size key and a larger than "
			   "block-size data. The key needs to be hashed before being used by the HMAC "
			   "algorithm."),
		 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	};
}

TEST(HmacSha256, Rfc4231OneShot)
{
	for (const HmacCase &c : rfc4231_cases())
	{
		std::uint8_t mac[uhc::kSha256DigestLength];

		ASSERT_TRUE(uhc::hmac_sha256(c.key.data(), c.key.size(), c.data.data(), c.data.size(), mac))
			<< c.name;
		EXPECT_EQ(to_hex(mac, c.expected.size() / 2), c.expected) << c.name;
	}
}

TEST(HmacSha256, Rfc4231PreparedKeyReused)
{
	// A prepared key must give the same MAC on every use, since calls copy its states.
	for (const HmacCase &c : rfc4231_cases())
	{
		uhc::HmacSha256Key prepared;

		ASSERT_TRUE(uhc::prepare_hmac_sha256_key(c.key.data(), c.key.size(), &prepared)) << c.name;
		for (int round = 0; round < 3; round++)
		{
			std::uint8_t mac[uhc::kSha256DigestLength];

			ASSERT_TRUE(uhc::compute_hmac_sha256(prepared, c.data.data(), c.data.size(), mac));
			EXPECT_EQ(to_hex(mac, c.expected.size() / 2), c.expected) << c.name << " round " << round;
		}
	}
}

TEST(HmacSha256, WipeZeroesPreparedKey)
{
	uhc::HmacSha256Key prepared;
	std::vector<std::uint8_t> key = repeated(0x0b, 20);

	ASSERT_TRUE(uhc::prepare_hmac_sha256_key(key.data(), key.size(), &prepared));
	uhc::wipe_hmac_sha256_key(&prepared);

	const auto *bytes = reinterpret_cast<const std::uint8_t *>(&prepared);

	for (std::size_t i = 0; i < sizeof(prepared); i++)
		ASSERT_EQ(bytes[i], 0) << "byte " << i;
}

struct HkdfCase {
	const char *name;
	std::vector<std::uint8_t> ikm;
	std::vector<std::uint8_t> salt;
	std::vector<std::uint8_t> info;
	std::string expected_okm;
};

// RFC 5869 appendix A, test cases 1 to 3 (the SHA-256 ones).
TEST(HkdfSha256, Rfc5869Cases)
{
	std::vector<HkdfCase> cases = {
		{"case 1", repeated(0x0b, 22), byte_range(0x00, 0x0c), byte_range(0xf0, 0xf9),
		 "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
		{"case 2", byte_range(0x00, 0x4f), byte_range(0x60, 0xaf), byte_range(0xb0, 0xff),
		 "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
		 "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
		 "cc30c58179ec3e87c14c01d5c1f3434f1d87"},
		{"case 3", repeated(0x0b, 22), {}, {},
		 "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
	};

	for (const HkdfCase &c : cases)
	{
		std::vector<std::uint8_t> okm(c.expected_okm.size() / 2);

		ASSERT_TRUE(uhc::hkdf_sha256(c.ikm.data(), c.ikm.size(), c.salt.data(), c.salt.size(),
									 c.info.data(), c.info.size(), okm.data(), okm.size()))
			<< c.name;
		EXPECT_EQ(to_hex(okm.data(), okm.size()), c.expected_okm) << c.name;
	}
}

TEST(HkdfSha256, RejectsOutputAboveLimit)
{
	std::vector<std::uint8_t> ikm = repeated(0x0b, 22);
	std::vector<std::uint8_t> okm(uhc::kHkdfSha256MaxOutput + 1);

	EXPECT_FALSE(uhc::hkdf_sha256(ikm.data(), ikm.size(), nullptr, 0, nullptr, 0, okm.data(),
								  okm.size()));
}

TEST(HkdfSha256, MaxOutputAccepted)
{
	std::vector<std::uint8_t> ikm = repeated(0x0b, 22);
	std::vector<std::uint8_t> okm(uhc::kHkdfSha256MaxOutput);

	EXPECT_TRUE(uhc::hkdf_sha256(ikm.data(), ikm.size(), nullptr, 0, nullptr, 0, okm.data(),
								 okm.size()));
	// The first 42 bytes do not depend on L, so they equal test case 3.
	EXPECT_EQ(to_hex(okm.data(), 42),
			  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

} // namespace
