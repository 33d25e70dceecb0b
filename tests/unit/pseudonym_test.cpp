// Pseudonym derivation, UUID text parsing, client codes and the base32 encoding. Expected
// pseudonyms come from tests/harness/pseudonym_vectors.py (Python hmac and hashlib).
#include <gtest/gtest.h>

#include "hex_test_util.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "core/pseudonym.h"
#include "core/uuid_text.h"

namespace {

const char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Master key bytes 0x00 to 0x1f, the key of the published vector in docs/pseudonym.md.
void
fill_test_master_key(std::uint8_t key[uhc::kMasterKeyLength])
{
	for (std::size_t i = 0; i < uhc::kMasterKeyLength; i++)
		key[i] = static_cast<std::uint8_t>(i);
}

std::string
pseudonym_of(const char *client, std::uint32_t version, const char *uuid_text)
{
	std::uint8_t master[uhc::kMasterKeyLength];
	std::uint8_t uuid[uhc::kUuidLength];
	uhc::HmacSha256Key prepared;
	char buffer[uhc::kPseudonymBufferLength];

	fill_test_master_key(master);
	if (uhc::parse_uuid_text(uuid_text, std::strlen(uuid_text), uuid).status != uhc::UuidParseStatus::kOk)
		return "unparsable uuid";
	if (!uhc::prepare_client_hmac(master, client, std::strlen(client), version, &prepared))
		return "prepare failed";

	std::size_t length = uhc::compute_pseudonym(prepared, version, uuid, buffer);

	if (length != std::strlen(buffer))
		return "length mismatch";
	return std::string(buffer, length);
}

TEST(ClientKey, PublishedDerivation)
{
	std::uint8_t master[uhc::kMasterKeyLength];
	std::uint8_t key[uhc::kClientKeyLength];

	fill_test_master_key(master);
	ASSERT_TRUE(uhc::derive_client_key(master, "UHC", 3, 1, key));
	EXPECT_EQ(to_hex(key, sizeof(key)),
			  "c0cf377faad328ed36129b093556c150b503beb76f705943270d0542c2f3bcb3");
	ASSERT_TRUE(uhc::derive_client_key(master, "AETNA_2", 7, 1, key));
	EXPECT_EQ(to_hex(key, sizeof(key)),
			  "281dfa58f27cf89dd36bd7e692ca0ee27e8c03b876ef5f9ad43e26d08c148d47");
}

TEST(Pseudonym, PublishedVectors)
{
	struct Vector {
		const char *client;
		std::uint32_t version;
		const char *uuid;
		const char *expected;
	};
	const Vector vectors[] = {
		{"UHC", 1, "2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b", "P1-36DANDE7D1V8Z0RT5SAWFRKZAJ"},
		{"UHC", 1, "00000000-0000-0000-0000-000000000000", "P1-3H2AZ0139CD72ZB5XAA7RS31PB"},
		{"UHC", 1, "ffffffff-ffff-ffff-ffff-ffffffffffff", "P1-35QN80Q0WA9SGYGYQM0CQ3C6NN"},
		{"UHC", 1, "123e4567-e89b-12d3-a456-426614174000", "P1-3KHXGA0V0JMN7DCMG11TRWEQMK"},
		{"AETNA_2", 1, "2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b", "P1-27XAGHXXH5584S4499436NWCA6"},
		{"AETNA_2", 1, "00000000-0000-0000-0000-000000000000", "P1-1TB80FQ96BMFSCP77Y6ETBSPC5"},
		{"AETNA_2", 1, "ffffffff-ffff-ffff-ffff-ffffffffffff", "P1-5M307MXXBCSZAS99ZJTRWP5J99"},
		{"AETNA_2", 1, "123e4567-e89b-12d3-a456-426614174000", "P1-7PHSS8GM6MBFFTW8AV2WDW3T63"},
		{"UHC", 2, "2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b", "P2-5RJANG1Z85KCW2PA85RMA1JDZN"},
	};

	for (const Vector &v : vectors)
		EXPECT_EQ(pseudonym_of(v.client, v.version, v.uuid), v.expected)
			<< v.client << " v" << v.version << " " << v.uuid;
}

TEST(Pseudonym, VersionOutOfRangeRejected)
{
	std::uint8_t master[uhc::kMasterKeyLength];
	std::uint8_t uuid[uhc::kUuidLength] = {0};
	uhc::HmacSha256Key prepared;
	char buffer[uhc::kPseudonymBufferLength];

	fill_test_master_key(master);
	ASSERT_TRUE(uhc::prepare_client_hmac(master, "UHC", 3, 1, &prepared));
	EXPECT_EQ(uhc::compute_pseudonym(prepared, 0, uuid, buffer), 0u);
	EXPECT_EQ(uhc::compute_pseudonym(prepared, uhc::kMaxKeyVersion + 1, uuid, buffer), 0u);
}

TEST(Pseudonym, LargestVersionFitsBuffer)
{
	std::string text = pseudonym_of("UHC", uhc::kMaxKeyVersion, "2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b");

	EXPECT_EQ(text.size(), uhc::kPseudonymBufferLength - 1);
	EXPECT_EQ(text.substr(0, 12), "P2147483647-");
}

TEST(KeyFingerprint, PublishedVector)
{
	std::uint8_t master[uhc::kMasterKeyLength];
	char fingerprint[uhc::kFingerprintHexDigits + 1];

	fill_test_master_key(master);
	ASSERT_TRUE(uhc::compute_key_fingerprint(master, fingerprint));
	EXPECT_STREQ(fingerprint, "a862bcd4c6d3a6b6");
}

TEST(Base32, ZeroAndAllOnes)
{
	std::uint8_t zeros[16] = {0};
	std::uint8_t ones[16];
	char digits[uhc::kPseudonymDigits];

	std::memset(ones, 0xff, sizeof(ones));
	uhc::encode_crockford_base32_128(zeros, digits);
	EXPECT_EQ(std::string(digits, sizeof(digits)), std::string(26, '0'));
	// The top digit carries only the 3 highest bits, so all ones give 7 and then Z.
	uhc::encode_crockford_base32_128(ones, digits);
	EXPECT_EQ(std::string(digits, sizeof(digits)), "7" + std::string(25, 'Z'));
}

TEST(Base32, DecodesBackToValue)
{
	// Decoding with the alphabet by hand must give back the bytes, for a value that
	// uses many different digits.
	std::uint8_t value[16];

	for (int i = 0; i < 16; i++)
		value[i] = static_cast<std::uint8_t>(0x13 * i + 0x07);

	char digits[uhc::kPseudonymDigits];

	uhc::encode_crockford_base32_128(value, digits);

	unsigned __int128 decoded = 0;

	for (char digit : digits)
	{
		const char *where = std::strchr(kCrockford, digit);

		ASSERT_NE(where, nullptr) << "digit " << digit;
		decoded = (decoded << 5) | static_cast<unsigned>(where - kCrockford);
	}

	unsigned __int128 expected = 0;

	for (std::uint8_t byte : value)
		expected = (expected << 8) | byte;
	EXPECT_TRUE(decoded == expected);
}

TEST(Base32, EachDigitPosition)
{
	// Setting a single 5-bit group to 31 must produce Z at exactly that digit.
	for (int digit = 1; digit < 26; digit++)
	{
		unsigned __int128 number = static_cast<unsigned __int128>(31) << (5 * (25 - digit));
		std::uint8_t value[16];

		for (int i = 15; i >= 0; i--)
		{
			value[i] = static_cast<std::uint8_t>(number & 0xff);
			number >>= 8;
		}

		char digits[uhc::kPseudonymDigits];

		uhc::encode_crockford_base32_128(value, digits);
		std::string expected(26, '0');

		expected[digit] = 'Z';
		EXPECT_EQ(std::string(digits, sizeof(digits)), expected) << "digit " << digit;
	}
}

TEST(Base32, AlphabetExcludesAmbiguousLetters)
{
	EXPECT_EQ(std::strlen(kCrockford), 32u);
	for (char letter : std::string("ILOU"))
		EXPECT_EQ(std::strchr(kCrockford, letter), nullptr) << letter;
}

TEST(ClientCode, ValidCodes)
{
	for (const char *code : {"UHC", "AB", "A1", "AETNA_2", "A_", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"})
		EXPECT_TRUE(uhc::is_valid_client_code(code, std::strlen(code))) << code;
}

TEST(ClientCode, InvalidCodes)
{
	for (const char *code : {"", "A", "uhc", "Uhc", "1UHC", "_UHC", "UH C", "UHC-2", "UHC\n",
							 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", "\xc3\x9cHC"})
		EXPECT_FALSE(uhc::is_valid_client_code(code, std::strlen(code))) << code;

	// A NUL inside the text must not end the check early.
	EXPECT_FALSE(uhc::is_valid_client_code("UHC\0X", 5));
}

const char kCanonicalUuid[] = "2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b";
const std::uint8_t kCanonicalBytes[16] = {0x2b, 0x7a, 0x4a, 0x5e, 0x9f, 0x1c, 0x4c, 0x1e,
										  0x8d, 0x3a, 0x6f, 0x0b, 0x1e, 0x2d, 0x3c, 0x4b};

TEST(UuidText, AllSpellingsParseAlike)
{
	for (const char *spelling : {
			 "2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b",
			 "2B7A4A5E-9F1C-4C1E-8D3A-6F0B1E2D3C4B",
			 "2b7A4a5E-9f1C-4c1E-8d3A-6f0B1e2D3c4B",
			 "2b7a4a5e9f1c4c1e8d3a6f0b1e2d3c4b",
			 "2B7A4A5E9F1C4C1E8D3A6F0B1E2D3C4B",
			 "{2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b}",
			 "{2B7A4A5E9F1C4C1E8D3A6F0B1E2D3C4B}",
		 })
	{
		std::uint8_t uuid[16];
		uhc::UuidParseResult result = uhc::parse_uuid_text(spelling, std::strlen(spelling), uuid);

		ASSERT_EQ(result.status, uhc::UuidParseStatus::kOk) << spelling;
		EXPECT_EQ(std::memcmp(uuid, kCanonicalBytes, 16), 0) << spelling;
	}
}

TEST(UuidText, InvalidFormsReportOffset)
{
	using uhc::UuidParseStatus;
	struct Case {
		std::string text;
		UuidParseStatus status;
		std::size_t offset;
	};
	const std::string canonical = kCanonicalUuid;
	const Case cases[] = {
		{"", UuidParseStatus::kUnexpectedEnd, 1},
		{" " + canonical, UuidParseStatus::kUnexpectedCharacter, 1},
		{canonical + " ", UuidParseStatus::kUnexpectedCharacter, 37},
		{canonical + "\n", UuidParseStatus::kUnexpectedCharacter, 37},
		{"2b7a4a5g-9f1c-4c1e-8d3a-6f0b1e2d3c4b", UuidParseStatus::kUnexpectedCharacter, 8},
		{"2b7a-4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b", UuidParseStatus::kUnexpectedCharacter, 5},
		// Hyphens absent after the first group, then present.
		{"2b7a4a5e9f1c-4c1e-8d3a-6f0b1e2d3c4b", UuidParseStatus::kUnexpectedCharacter, 13},
		// Hyphens present after the first group, then missing.
		{"2b7a4a5e-9f1c4c1e-8d3a-6f0b1e2d3c4b", UuidParseStatus::kUnexpectedCharacter, 14},
		{"2b7a4a5e-9f1c-4c1e-8d3a6f0b1e2d3c4b", UuidParseStatus::kUnexpectedCharacter, 24},
		{"2b7a4a5e--9f1c-4c1e-8d3a-6f0b1e2d3c4b", UuidParseStatus::kUnexpectedCharacter, 10},
		{"2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4", UuidParseStatus::kUnexpectedEnd, 36},
		{"2b7a4a5e-", UuidParseStatus::kUnexpectedEnd, 10},
		{canonical + "0", UuidParseStatus::kUnexpectedCharacter, 37},
		{canonical + "-", UuidParseStatus::kUnexpectedCharacter, 37},
		{"{" + canonical, UuidParseStatus::kUnexpectedEnd, 38},
		{canonical + "}", UuidParseStatus::kUnexpectedCharacter, 37},
		{"{" + canonical + "}x", UuidParseStatus::kUnexpectedCharacter, 39},
		{"{" + canonical + "-", UuidParseStatus::kUnexpectedCharacter, 38},
		{"{{" + canonical + "}", UuidParseStatus::kUnexpectedCharacter, 2},
		{"2b7a\xc3\xa9" "4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b", UuidParseStatus::kUnexpectedCharacter, 5},
		{std::string("2b7a\0" "4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b", 36),
		 UuidParseStatus::kUnexpectedCharacter, 5},
		{"x", UuidParseStatus::kUnexpectedCharacter, 1},
	};

	for (const Case &c : cases)
	{
		std::uint8_t uuid[16];
		uhc::UuidParseResult result = uhc::parse_uuid_text(c.text.data(), c.text.size(), uuid);

		EXPECT_EQ(result.status, c.status) << "input \"" << c.text << "\"";
		EXPECT_EQ(result.offset, c.offset) << "input \"" << c.text << "\"";
	}
}

} // namespace
