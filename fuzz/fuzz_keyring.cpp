// libFuzzer target: parse_keyring on arbitrary key file text. A failed parse must leave
// an empty keyring. A successful one contains 1 to kMaxKeys keys with distinct, non-zero
// versions, and active_key returns the highest of them.
#include <cstdint>
#include <cstdlib>

#include "core/keyring.h"

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	static uhc::Keyring keyring;
	uhc::KeyringError error{uhc::KeyringStatus::kOk, 0, 0, 0};
	uhc::KeyringStatus status =
		uhc::parse_keyring(reinterpret_cast<const char *>(data), size, &keyring, &error);

	if (status != uhc::KeyringStatus::kOk)
	{
		if (keyring.count != 0 || error.status != status)
			std::abort();
		return 0;
	}
	if (keyring.count < 1 || keyring.count > uhc::kMaxKeys)
		std::abort();

	std::uint32_t highest = 0;

	for (std::size_t i = 0; i < keyring.count; i++)
	{
		std::uint32_t version = keyring.entries[i].version;

		if (version == 0 || uhc::find_key(keyring, version) != &keyring.entries[i])
			std::abort();
		if (version > highest)
			highest = version;
	}
	if (uhc::active_key(keyring) == nullptr || uhc::active_key(keyring)->version != highest)
		std::abort();
	uhc::wipe_keyring(&keyring);
	return 0;
}
