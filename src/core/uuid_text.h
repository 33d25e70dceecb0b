/*
 * uuid_text.h
 *     Parser for the textual spellings of a UUID that patient ids arrive in.
 */
#ifndef UHC_REPORTING_CORE_UUID_TEXT_H
#define UHC_REPORTING_CORE_UUID_TEXT_H

#include <cstddef>
#include <cstdint>

namespace uhc {

constexpr std::size_t kUuidLength = 16;

enum class UuidParseStatus {
	kOk,
	/* A character that is not allowed where it stands. */
	kUnexpectedCharacter,
	/* The text ends before 32 hexadecimal digits (and a closing brace, if opened). */
	kUnexpectedEnd,
};

struct UuidParseResult {
	UuidParseStatus status;
	/* 1-based offset of the first bad character; for kUnexpectedEnd, the length plus 1. */
	std::size_t offset;
};

/*
 * Parses 32 hexadecimal digits of either case into 16 bytes, most significant first.
 * Hyphens are either absent or present at all four places of the 8-4-4-4-12 layout, and
 * the whole may be wrapped in braces. Whitespace anywhere is rejected. Every character
 * before the reported offset is ASCII, so the byte offset equals the character offset.
 */
UuidParseResult parse_uuid_text(const char *text, std::size_t length,
								std::uint8_t uuid[kUuidLength]) noexcept;

} // namespace uhc

#endif /* UHC_REPORTING_CORE_UUID_TEXT_H */
