/*
 * hex.h
 *     Hexadecimal digit decoding shared by the UUID and key file parsers.
 */
#ifndef UHC_REPORTING_CORE_HEX_H
#define UHC_REPORTING_CORE_HEX_H

namespace uhc {

/* Returns the value of a hex digit of either case, or -1 for any other character. */
inline int
hex_digit_value(char c) noexcept
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

} // namespace uhc

#endif /* UHC_REPORTING_CORE_HEX_H */
