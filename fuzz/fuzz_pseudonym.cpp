// libFuzzer target: client code validation, client key derivation and pseudonym
// formatting. It checks is_valid_client_code against a plain reimplementation of
// ^[A-Z][A-Z0-9_]{1,31}$, and that every pseudonym is "P<version>-" followed by 26
// Crockford base32 digits, is the same when computed twice, and is rejected (length 0)
// for version 0.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "core/pseudonym.h"
#include "core/uuid_text.h"

namespace {

bool
reference_code_check(const std::string &code)
{
	if (code.size() < 2 || code.size() > 32 || code[0] < 'A' || code[0] > 'Z')
		return false;
	for (char c : code)
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	return true;
}

bool
is_crockford_digit(char c)
{
	return std::strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", c) != nullptr && c != '\0';
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	FuzzedDataProvider provider(data, size);
	std::uint8_t master[uhc::kMasterKeyLength] = {};
	std::uint8_t uuid[uhc::kUuidLength] = {};

	provider.ConsumeData(master, sizeof(master));
	provider.ConsumeData(uuid, sizeof(uuid));
	std::uint32_t version = provider.ConsumeIntegral<std::uint32_t>();
	std::string code = provider.ConsumeRemainingBytesAsString();

	bool valid = uhc::is_valid_client_code(code.data(), code.size());

	if (valid != reference_code_check(code))
		std::abort();
	if (!valid)
		return 0;

	uhc::HmacSha256Key client_hmac;

	if (!uhc::prepare_client_hmac(master, code.data(), code.size(), version, &client_hmac))
		std::abort();

	char first[uhc::kPseudonymBufferLength];
	char second[uhc::kPseudonymBufferLength];
	std::size_t length = uhc::compute_pseudonym(client_hmac, version, uuid, first);
	std::size_t length_again = uhc::compute_pseudonym(client_hmac, version, uuid, second);

	if (length != length_again || (length > 0 && std::strcmp(first, second) != 0))
		std::abort();
	if (version == 0 && length != 0)
		std::abort();
	if (length == 0)
		return 0;

	std::string prefix = "P" + std::to_string(version) + "-";

	if (length != prefix.size() + uhc::kPseudonymDigits || std::strlen(first) != length ||
		std::strncmp(first, prefix.c_str(), prefix.size()) != 0)
		std::abort();
	for (std::size_t i = prefix.size(); i < length; i++)
		if (!is_crockford_digit(first[i]))
			std::abort();
	uhc::wipe_hmac_sha256_key(&client_hmac);
	return 0;
}
