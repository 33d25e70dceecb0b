// Hex conversion for test expectations, kept apart from the parsers under test.
#ifndef UHC_REPORTING_TESTS_HEX_TEST_UTIL_H
#define UHC_REPORTING_TESTS_HEX_TEST_UTIL_H

#include <cstddef>
#include <cstdint>
#include <string>

inline std::string
to_hex(const std::uint8_t *bytes, std::size_t length)
{
	static const char digits[] = "0123456789abcdef";
	std::string hex;

	for (std::size_t i = 0; i < length; i++)
	{
		hex += digits[bytes[i] >> 4];
		hex += digits[bytes[i] & 15];
	}
	return hex;
}

#endif // UHC_REPORTING_TESTS_HEX_TEST_UTIL_H
