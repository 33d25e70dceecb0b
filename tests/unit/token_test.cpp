// Random pseudonym tokens of the token mode. Expected texts were computed with Python's
// int.from_bytes and the Crockford alphabet, independently of the C++ encoder.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <regex>
#include <set>
#include <string>

#include "core/pseudonym.h"

namespace {

std::string
token_of(const std::uint8_t random[uhc::kTokenRandomBytes])
{
	char buffer[uhc::kTokenBufferLength];
	std::size_t length = uhc::format_pseudonym_token(random, buffer);

	EXPECT_EQ(length, std::strlen(buffer));
	return std::string(buffer, length);
}

} // namespace

TEST(Token, FormatsKnownValues)
{
	std::uint8_t counting[uhc::kTokenRandomBytes];
	std::uint8_t zeros[uhc::kTokenRandomBytes] = {};
	std::uint8_t ones[uhc::kTokenRandomBytes];

	for (std::size_t i = 0; i < uhc::kTokenRandomBytes; i++)
		counting[i] = static_cast<std::uint8_t>(i);
	std::memset(ones, 0xff, sizeof(ones));

	EXPECT_EQ(token_of(counting), "T1-00041061050R3GG28A1C60T3GF");
	EXPECT_EQ(token_of(zeros), "T1-00000000000000000000000000");
	EXPECT_EQ(token_of(ones), "T1-7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
}

TEST(Token, GeneratedHaveTokenFormat)
{
	const std::regex format("^T1-[0-7][0-9A-HJKMNP-TV-Z]{25}$");

	for (int i = 0; i < 1000; i++)
	{
		char buffer[uhc::kTokenBufferLength];
		std::size_t length = uhc::generate_pseudonym_token(buffer);

		ASSERT_EQ(length, 29u);
		ASSERT_TRUE(std::regex_match(buffer, format)) << buffer;
	}
}

TEST(Token, GeneratedAreDistinct)
{
	std::set<std::string> tokens;

	for (int i = 0; i < 100000; i++)
	{
		char buffer[uhc::kTokenBufferLength];

		ASSERT_EQ(uhc::generate_pseudonym_token(buffer), 29u);
		tokens.insert(buffer);
	}
	EXPECT_EQ(tokens.size(), 100000u);
}
