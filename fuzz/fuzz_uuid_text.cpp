// libFuzzer target: parse_uuid_text on arbitrary bytes. Besides crashes and sanitizer
// reports, it checks the documented contract: the error offset lies in 1..length+1 and
// every byte before it is ASCII, and an accepted text parses to the same 16 bytes as
// its canonical hyphenated form.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/uuid_text.h"

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const char *text = reinterpret_cast<const char *>(data);
	std::uint8_t uuid[uhc::kUuidLength];
	uhc::UuidParseResult result = uhc::parse_uuid_text(text, size, uuid);

	if (result.status != uhc::UuidParseStatus::kOk)
	{
		if (result.offset < 1 || result.offset > size + 1)
			std::abort();
		for (std::size_t i = 0; i + 1 < result.offset; i++)
			if (data[i] >= 0x80)
				std::abort();
		return 0;
	}

	char canonical[37];
	std::snprintf(canonical, sizeof(canonical),
				  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
				  uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7],
				  uuid[8], uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);

	std::uint8_t again[uhc::kUuidLength];
	uhc::UuidParseResult second = uhc::parse_uuid_text(canonical, 36, again);

	if (second.status != uhc::UuidParseStatus::kOk || std::memcmp(uuid, again, sizeof(uuid)) != 0)
		std::abort();
	return 0;
}
