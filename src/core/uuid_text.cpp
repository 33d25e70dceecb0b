/*
 * uuid_text.cpp
 *     UUID text parser; see uuid_text.h for the accepted spellings.
 */
#include "core/uuid_text.h"

#include "core/hex.h"

namespace uhc {

namespace {

/* Hex digits read before each hyphen of the 8-4-4-4-12 layout. */
bool
is_hyphen_place(int digits_read) noexcept
{
	return digits_read == 8 || digits_read == 12 || digits_read == 16 || digits_read == 20;
}

UuidParseResult
fail_at(UuidParseStatus status, std::size_t index) noexcept
{
	return UuidParseResult{status, index + 1};
}

} // namespace

UuidParseResult
parse_uuid_text(const char *text, std::size_t length, std::uint8_t uuid[kUuidLength]) noexcept
{
	enum class Hyphens { kUndecided, kPresent, kAbsent };

	std::size_t pos = 0;
	bool braced = length > 0 && text[0] == '{';
	Hyphens hyphens = Hyphens::kUndecided;
	int digits_read = 0;

	if (braced)
		pos++;

	while (digits_read < 32)
	{
		if (pos >= length)
			return fail_at(UuidParseStatus::kUnexpectedEnd, length);

		if (is_hyphen_place(digits_read) && hyphens != Hyphens::kAbsent)
		{
			bool is_hyphen = text[pos] == '-';

			/* The first group decides the layout, and later groups must follow it. */
			if (hyphens == Hyphens::kUndecided)
				hyphens = is_hyphen ? Hyphens::kPresent : Hyphens::kAbsent;
			else if (!is_hyphen)
				return fail_at(UuidParseStatus::kUnexpectedCharacter, pos);
			if (is_hyphen)
			{
				pos++;
				if (pos >= length)
					return fail_at(UuidParseStatus::kUnexpectedEnd, length);
			}
		}

		int value = hex_digit_value(text[pos]);

		if (value < 0)
			return fail_at(UuidParseStatus::kUnexpectedCharacter, pos);
		if (digits_read % 2 == 0)
			uuid[digits_read / 2] = static_cast<std::uint8_t>(value << 4);
		else
			uuid[digits_read / 2] |= static_cast<std::uint8_t>(value);
		digits_read++;
		pos++;
	}

	if (braced)
	{
		if (pos >= length)
			return fail_at(UuidParseStatus::kUnexpectedEnd, length);
		if (text[pos] != '}')
			return fail_at(UuidParseStatus::kUnexpectedCharacter, pos);
		pos++;
	}
	if (pos < length)
		return fail_at(UuidParseStatus::kUnexpectedCharacter, pos);
	return UuidParseResult{UuidParseStatus::kOk, 0};
}

} // namespace uhc
