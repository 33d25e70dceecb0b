/*
 * keyring.cpp
 *     Key file parser and loader; see keyring.h for the format.
 */
#include "core/keyring.h"

#include "core/hex.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace uhc {

namespace {

KeyringStatus
fail(KeyringError *error, KeyringStatus status, std::size_t line = 0, int sys_errno = 0,
	 unsigned mode = 0) noexcept
{
	error->status = status;
	error->line = line;
	error->sys_errno = sys_errno;
	error->mode = mode;
	return status;
}

bool
is_blank(const char *line, std::size_t length) noexcept
{
	for (std::size_t i = 0; i < length; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return false;
	return true;
}

/* Parses one key line into entry, returning kMalformedLine or kWrongKeyLength on failure. */
KeyringStatus
parse_key_line(const char *line, std::size_t length, KeyEntry *entry) noexcept
{
	std::size_t pos = 0;
	std::uint64_t version = 0;

	/* A version is digits without a leading zero, so "01" and "1" cannot both appear. */
	if (length == 0 || line[0] < '1' || line[0] > '9')
		return KeyringStatus::kMalformedLine;
	while (pos < length && line[pos] >= '0' && line[pos] <= '9')
	{
		version = version * 10 + static_cast<std::uint64_t>(line[pos] - '0');
		if (version > kMaxKeyVersion)
			return KeyringStatus::kMalformedLine;
		pos++;
	}
	if (pos >= length || line[pos] != ' ')
		return KeyringStatus::kMalformedLine;
	pos++;

	std::size_t hex_start = pos;

	while (pos < length && hex_digit_value(line[pos]) >= 0)
		pos++;
	if (pos != length)
		return KeyringStatus::kMalformedLine;
	if (length - hex_start != 2 * kMasterKeyLength)
		return KeyringStatus::kWrongKeyLength;

	entry->version = static_cast<std::uint32_t>(version);
	for (std::size_t i = 0; i < kMasterKeyLength; i++)
	{
		int high = hex_digit_value(line[hex_start + 2 * i]);
		int low = hex_digit_value(line[hex_start + 2 * i + 1]);

		entry->key[i] = static_cast<std::uint8_t>((high << 4) | low);
	}
	return KeyringStatus::kOk;
}

} // namespace

KeyringStatus
parse_keyring(const char *text, std::size_t length, Keyring *keyring, KeyringError *error) noexcept
{
	wipe_keyring(keyring);
	fail(error, KeyringStatus::kOk);

	std::size_t line_number = 0;
	std::size_t start = 0;

	while (start < length)
	{
		std::size_t end = start;

		while (end < length && text[end] != '\n')
			end++;
		line_number++;

		const char *line = text + start;
		std::size_t line_length = end - start;

		start = end + 1;
		if (is_blank(line, line_length) || line[0] == '#')
			continue;

		if (keyring->count == kMaxKeys)
		{
			wipe_keyring(keyring);
			return fail(error, KeyringStatus::kTooManyKeys, line_number);
		}

		KeyEntry *entry = &keyring->entries[keyring->count];
		KeyringStatus status = parse_key_line(line, line_length, entry);

		if (status != KeyringStatus::kOk)
		{
			wipe_keyring(keyring);
			return fail(error, status, line_number);
		}
		if (find_key(*keyring, entry->version) != nullptr)
		{
			wipe_keyring(keyring);
			return fail(error, KeyringStatus::kDuplicateVersion, line_number);
		}
		keyring->count++;
	}

	if (keyring->count == 0)
		return fail(error, KeyringStatus::kNoKeys);
	return KeyringStatus::kOk;
}

KeyringStatus
load_keyring_file(const char *path, uid_t expected_owner, Keyring *keyring,
				  KeyringError *error) noexcept
{
	wipe_keyring(keyring);

	/* O_NONBLOCK keeps a FIFO in place of the file from blocking the open, and the type
	 * check below then rejects it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
	{
		int open_errno = errno;

		if (open_errno == ENOENT || open_errno == ENOTDIR)
			return fail(error, KeyringStatus::kFileNotFound, 0, open_errno);
		return fail(error, KeyringStatus::kOpenFailed, 0, open_errno);
	}

	struct stat st;

	if (fstat(fd, &st) != 0)
	{
		int stat_errno = errno;

		close(fd);
		return fail(error, KeyringStatus::kReadFailed, 0, stat_errno);
	}
	if (!S_ISREG(st.st_mode))
	{
		close(fd);
		return fail(error, KeyringStatus::kNotRegularFile);
	}
	if (st.st_uid != expected_owner)
	{
		close(fd);
		return fail(error, KeyringStatus::kWrongOwner);
	}
	if ((st.st_mode & 07777 & ~static_cast<mode_t>(0600)) != 0)
	{
		close(fd);
		return fail(error, KeyringStatus::kWrongMode, 0, 0, st.st_mode & 07777);
	}

	/* Reading one byte more than the limit distinguishes a file at the limit from a larger one. */
	char buffer[kMaxKeyFileSize + 1];
	std::size_t length = 0;

	while (length < sizeof(buffer))
	{
		ssize_t n = read(fd, buffer + length, sizeof(buffer) - length);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			int read_errno = errno;

			close(fd);
			wipe_secret(buffer, length);
			return fail(error, KeyringStatus::kReadFailed, 0, read_errno);
		}
		if (n == 0)
			break;
		length += static_cast<std::size_t>(n);
	}
	close(fd);

	KeyringStatus status;

	if (length > kMaxKeyFileSize)
		status = fail(error, KeyringStatus::kFileTooLarge);
	else
		status = parse_keyring(buffer, length, keyring, error);
	wipe_secret(buffer, length);
	return status;
}

const KeyEntry *
find_key(const Keyring &keyring, std::uint32_t version) noexcept
{
	for (std::size_t i = 0; i < keyring.count; i++)
		if (keyring.entries[i].version == version)
			return &keyring.entries[i];
	return nullptr;
}

const KeyEntry *
active_key(const Keyring &keyring) noexcept
{
	const KeyEntry *best = nullptr;

	for (std::size_t i = 0; i < keyring.count; i++)
		if (best == nullptr || keyring.entries[i].version > best->version)
			best = &keyring.entries[i];
	return best;
}

} // namespace uhc
