/*
 * keyring.h
 *     Parser and loader of the pseudonym key file.
 *
 * The file holds one key per line, "<version> <64 hex digits>", where version is a
 * positive integer without leading zeros and at most 2147483647. Blank lines (empty or
 * only spaces and tabs) and lines starting with "#" are ignored. The active key is the
 * one with the highest version. Errors report a line number and never the line itself.
 */
#ifndef UHC_REPORTING_CORE_KEYRING_H
#define UHC_REPORTING_CORE_KEYRING_H

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

#include "core/pseudonym.h"

namespace uhc {

/* Key rotation adds one line per rotation, so 64 versions are far more than a deployment
 * needs; more is reported as kTooManyKeys rather than silently truncated. */
constexpr std::size_t kMaxKeys = 64;

/* A larger file is rejected before parsing; 64 keys with comments fit easily. */
constexpr std::size_t kMaxKeyFileSize = 64 * 1024;

enum class KeyringStatus {
	kOk,
	kFileNotFound,		/* open failed with ENOENT or ENOTDIR */
	kOpenFailed,		/* open failed otherwise, e.g. EACCES; sys_errno is set */
	kReadFailed,		/* fstat or read failed; sys_errno is set */
	kNotRegularFile,
	kWrongOwner,		/* not owned by the expected OS user */
	kWrongMode,			/* permission bits other than 0600 */
	kFileTooLarge,		/* more than kMaxKeyFileSize bytes */
	kMalformedLine,		/* not "<version> <hex>", bad version, or a non-hex digit */
	kWrongKeyLength,	/* a hex key of other than 64 digits */
	kDuplicateVersion,	/* a version that an earlier line already defined */
	kTooManyKeys,		/* more than kMaxKeys keys */
	kNoKeys,			/* no key line at all */
};

struct KeyringError {
	KeyringStatus status;
	/* 1-based line number for the line-level statuses, otherwise 0. */
	std::size_t line;
	/* errno for kOpenFailed and kReadFailed, otherwise 0. */
	int sys_errno;
	/* Mode bits for kWrongMode, for the message. */
	unsigned mode;
};

struct KeyEntry {
	std::uint32_t version;
	std::uint8_t key[kMasterKeyLength];
};

/* Plain data so that it can live in a PostgreSQL memory context; wipe_keyring zeroes it. */
struct Keyring {
	std::size_t count;
	KeyEntry entries[kMaxKeys];
};

/* Parses key file text. On failure, *keyring is wiped. */
KeyringStatus parse_keyring(const char *text, std::size_t length, Keyring *keyring,
							KeyringError *error) noexcept;

/*
 * Opens path, checks that it is a regular file owned by expected_owner with no
 * permission bits beyond 0600, reads it and parses it. Symbolic links are followed and
 * the checks apply to the target. The read buffer is wiped before returning.
 */
KeyringStatus load_keyring_file(const char *path, uid_t expected_owner, Keyring *keyring,
								KeyringError *error) noexcept;

/* Returns the key of the given version, or nullptr. */
const KeyEntry *find_key(const Keyring &keyring, std::uint32_t version) noexcept;

/* Returns the key with the highest version, or nullptr if the keyring is empty. */
const KeyEntry *active_key(const Keyring &keyring) noexcept;

inline void
wipe_keyring(Keyring *keyring) noexcept
{
	wipe_secret(keyring, sizeof(*keyring));
}

} // namespace uhc

#endif /* UHC_REPORTING_CORE_KEYRING_H */
