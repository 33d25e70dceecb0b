/*
 * keyring.cpp
 *     The uhc_reporting.key_file setting and the per-backend key cache.
 *
 * The key file is read on first use in a backend, not at library load, so a broken file
 * fails the pseudonym calls (fail closed) and nothing else. The cache lives in a child of
 * CacheMemoryContext and holds only plain data. Every configuration reload marks it
 * stale and wipes it, so the next call re-reads the file; that is how a rotated key
 * reaches existing sessions.
 *
 * With uhc_reporting.key_file empty and uhc_reporting.allow_development_key on, the keys
 * come from the environment variable UHC_REPORTING_DEVELOPMENT_KEY of the server instead,
 * with a WARNING at every load. Both settings are sighup settings, so no session can
 * switch to the development key.
 */
#include "pg/keyring.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include "core/keyring.h"

extern "C" {
#include "storage/ipc.h"
#include "utils/guc.h"
#include "utils/memutils.h"
}

extern "C" {
static void assign_key_file(const char *new_value, void *extra);
static void assign_allow_development_key(bool new_value, void *extra);
static void wipe_key_cache_at_exit(int code, Datum arg);
}

namespace {

/*
 * Refresh computes pseudonyms for one client at a time, so a few slots suffice, and 64
 * also cover a session that alternates between many clients. A full cache evicts
 * round-robin.
 */
constexpr int kClientKeySlots = 64;

struct ClientKeySlot {
	bool used;
	uint32 version;
	size_t code_length;
	char code[uhc::kClientCodeMaxLength];
	uhc::HmacSha256Key hmac;
};

struct KeyCache {
	/* True once the key file named by the current setting has been read successfully. */
	bool loaded;
	uhc::Keyring keyring;
	int last_hit;
	int next_eviction;
	ClientKeySlot slots[kClientKeySlots];
};

/* Value of uhc_reporting.key_file. The GUC machinery owns the string. */
char *key_file_path = nullptr;

/* Value of uhc_reporting.allow_development_key. */
bool allow_development_key = false;

/* The server's environment variable that holds development keys, in the key file format. */
const char *const kDevelopmentKeyVariable = "UHC_REPORTING_DEVELOPMENT_KEY";

/* Allocated on first use in a child of CacheMemoryContext and kept for the life of the
 * backend. */
KeyCache *key_cache = nullptr;

const char *const kKeyFileHint =
	"Set uhc_reporting.key_file in postgresql.conf to a key file of lines \"<version> <64 hex "
	"digits>\", owned by the server's OS user with mode 0600 or 0400, then reload the "
	"configuration.";

void
wipe_key_cache(void)
{
	if (key_cache != nullptr)
		uhc::wipe_secret(key_cache, sizeof(*key_cache));
}

/* Raises the ERROR for a failed key file load. The path goes only to the server log,
 * because the setting itself is visible only to superusers. */
void
report_keyring_error(const uhc::KeyringError &error, const char *path)
{
	switch (error.status)
	{
		case uhc::KeyringStatus::kFileNotFound:
		case uhc::KeyringStatus::kOpenFailed:
			errno = error.sys_errno;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open pseudonym key file: %m"),
					 errdetail_log("The key file path is \"%s\".", path),
					 errhint("%s", kKeyFileHint)));
			break;
		case uhc::KeyringStatus::kReadFailed:
			errno = error.sys_errno;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read pseudonym key file: %m"),
					 errdetail_log("The key file path is \"%s\".", path),
					 errhint("%s", kKeyFileHint)));
			break;
		case uhc::KeyringStatus::kNotRegularFile:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("pseudonym key file is not a regular file"),
					 errdetail_log("The key file path is \"%s\".", path),
					 errhint("%s", kKeyFileHint)));
			break;
		case uhc::KeyringStatus::kWrongOwner:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("pseudonym key file must be owned by the database server's OS user"),
					 errdetail_log("The key file path is \"%s\".", path),
					 errhint("%s", kKeyFileHint)));
			break;
		case uhc::KeyringStatus::kWrongMode:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("pseudonym key file has group or other permissions"),
					 errdetail("The file has mode %04o, but it must have mode 0600 or 0400.",
							   error.mode),
					 errdetail_log("The key file path is \"%s\".", path),
					 errhint("%s", kKeyFileHint)));
			break;
		case uhc::KeyringStatus::kFileTooLarge:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("pseudonym key file is larger than %d bytes",
							static_cast<int>(uhc::kMaxKeyFileSize)),
					 errhint("%s", kKeyFileHint)));
			break;
		case uhc::KeyringStatus::kMalformedLine:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("invalid syntax in line %zu of pseudonym key file", error.line),
					 errdetail("A key line must be a version (a positive integer without leading "
							   "zeros, at most 2147483647), one space and 64 hex digits."),
					 errhint("%s", kKeyFileHint)));
			break;
		case uhc::KeyringStatus::kWrongKeyLength:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("invalid key length in line %zu of pseudonym key file", error.line),
					 errdetail("A key must be exactly 64 hex digits (256 bits)."),
					 errhint("%s", kKeyFileHint)));
			break;
		case uhc::KeyringStatus::kDuplicateVersion:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("duplicate key version in line %zu of pseudonym key file", error.line),
					 errdetail("Each key version may appear on one line only."),
					 errhint("%s", kKeyFileHint)));
			break;
		case uhc::KeyringStatus::kTooManyKeys:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("too many keys in pseudonym key file"),
					 errdetail("Line %zu exceeds the limit of %d keys.", error.line,
							   static_cast<int>(uhc::kMaxKeys)),
					 errhint("Remove retired key versions from the file named by "
							 "uhc_reporting.key_file, then reload the configuration.")));
			break;
		case uhc::KeyringStatus::kNoKeys:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("pseudonym key file contains no keys"),
					 errhint("%s", kKeyFileHint)));
			break;
		case uhc::KeyringStatus::kOk:
			break;
	}
	elog(ERROR, "unrecognized key file status %d", static_cast<int>(error.status));
}

/*
 * Parses the development keys from the server's environment into the key cache and
 * warns that they are in use. The caller has checked uhc_reporting.allow_development_key.
 * NOTE: the variable's text stays in the environment of the postmaster and of every
 * backend, where only the server's OS user and root can read it (/proc/PID/environ).
 */
void
load_development_key(void)
{
	const char *text = std::getenv(kDevelopmentKeyVariable);

	if (text == nullptr || text[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("environment variable %s is not set", kDevelopmentKeyVariable),
				 errdetail("uhc_reporting.allow_development_key is on and uhc_reporting.key_file "
						   "is empty, so the development key must come from the server's "
						   "environment."),
				 errhint("Start the server with %s set to \"1 <64 hex digits>\", or set "
						 "uhc_reporting.key_file.", kDevelopmentKeyVariable)));

	uhc::KeyringError error{uhc::KeyringStatus::kOk, 0, 0, 0};

	try
	{
		uhc::parse_keyring(text, std::strlen(text), &key_cache->keyring, &error);
	}
	catch (...)
	{
		/* Unreachable, since parse_keyring is noexcept, but every core call sits in a
		 * try block. */
		error.status = uhc::KeyringStatus::kMalformedLine;
		error.line = 0;
	}

	if (error.status != uhc::KeyringStatus::kOk)
	{
		wipe_key_cache();
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("invalid development key in environment variable %s",
						kDevelopmentKeyVariable),
				 errdetail("The value must use the key file format, lines of \"<version> <64 hex "
						   "digits>\", and line %zu does not.", error.line),
				 errhint("Fix the variable and restart the server, or set "
						 "uhc_reporting.key_file.")));
	}

	ereport(WARNING,
			(errmsg("using the development pseudonym key from environment variable %s",
					kDevelopmentKeyVariable),
			 errdetail("uhc_reporting.key_file is empty and uhc_reporting.allow_development_key "
					   "is on. Pseudonyms computed with a development key must not reach a "
					   "client."),
			 errhint("In production, set uhc_reporting.key_file and turn "
					 "uhc_reporting.allow_development_key off.")));
}

/* Returns the loaded keyring, reading the key file first if the cache is empty or stale. */
const uhc::Keyring &
loaded_keyring(void)
{
	if (key_cache != nullptr && key_cache->loaded)
		return key_cache->keyring;

	bool use_development_key = key_file_path == nullptr || key_file_path[0] == '\0';

	if (use_development_key && !allow_development_key)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("uhc_reporting.key_file is not set"),
				 errdetail("Pseudonyms cannot be computed without a key."),
				 errhint("%s", kKeyFileHint)));

	if (key_cache == nullptr)
	{
		MemoryContext context = AllocSetContextCreate(CacheMemoryContext, "uhc_reporting key cache",
													  ALLOCSET_SMALL_SIZES);

		key_cache = static_cast<KeyCache *>(MemoryContextAllocZero(context, sizeof(KeyCache)));
		on_proc_exit(wipe_key_cache_at_exit, 0);
	}

	if (use_development_key)
	{
		load_development_key();
		key_cache->loaded = true;
		key_cache->last_hit = -1;
		return key_cache->keyring;
	}

	uhc::KeyringError error{uhc::KeyringStatus::kOk, 0, 0, 0};

	try
	{
		uhc::load_keyring_file(key_file_path, geteuid(), &key_cache->keyring, &error);
	}
	catch (...)
	{
		/* Unreachable, since load_keyring_file is noexcept, but every core
		 * call sits in a try block. */
		error.status = uhc::KeyringStatus::kReadFailed;
		error.sys_errno = EIO;
	}

	if (error.status != uhc::KeyringStatus::kOk)
	{
		wipe_key_cache();
		report_keyring_error(error, key_file_path);
	}
	key_cache->loaded = true;
	key_cache->last_hit = -1;
	return key_cache->keyring;
}

const uhc::KeyEntry &
master_key(uint32 version)
{
	const uhc::KeyEntry *entry = uhc::find_key(loaded_keyring(), version);

	if (entry == nullptr)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pseudonym key version %u does not exist", version),
				 errdetail("The key file has no line for this version."),
				 errhint("Use the active version from uhc_reporting.key_version(), or add the "
						 "key line back to the file named by uhc_reporting.key_file.")));
	return *entry;
}

bool
slot_matches(const ClientKeySlot &slot, const char *code, size_t code_length, uint32 version)
{
	return slot.used && slot.version == version && slot.code_length == code_length &&
		   std::memcmp(slot.code, code, code_length) == 0;
}

} // namespace

/* The backend calls these through function pointers, so they get C linkage. */
extern "C" {

/* Runs on every configuration reload, even when the path is unchanged, so that a key
 * file edited in place is re-read. It must not fail, and wiping plain memory cannot. */
static void
assign_key_file(const char *new_value, void *extra)
{
	(void) new_value;
	(void) extra;
	wipe_key_cache();
}

/* Turning the development key off must stop its use at the next statement. */
static void
assign_allow_development_key(bool new_value, void *extra)
{
	(void) new_value;
	(void) extra;
	wipe_key_cache();
}

static void
wipe_key_cache_at_exit(int code, Datum arg)
{
	(void) code;
	(void) arg;
	wipe_key_cache();
}

} // extern "C"

void
uhc_keyring_init(void)
{
	DefineCustomStringVariable("uhc_reporting.key_file",
							   "Path of the file with the pseudonym master keys.",
							   "One key per line, \"<version> <64 hex digits>\"; the highest "
							   "version is active. The file must be owned by the server's OS "
							   "user with mode 0600 or 0400.",
							   &key_file_path,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_AUTO_FILE,
							   nullptr,
							   assign_key_file,
							   nullptr);

	DefineCustomBoolVariable("uhc_reporting.allow_development_key",
							 "Allows a development pseudonym key from the server's environment.",
							 "Used only while uhc_reporting.key_file is empty: the keys then come "
							 "from the environment variable UHC_REPORTING_DEVELOPMENT_KEY, in "
							 "the key file format, with a warning at every load. Never turn it "
							 "on in production.",
							 &allow_development_key,
							 false,
							 PGC_SIGHUP,
							 GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_AUTO_FILE,
							 nullptr,
							 assign_allow_development_key,
							 nullptr);
}

uint32
uhc_active_key_version(void)
{
	return uhc::active_key(loaded_keyring())->version;
}

void
uhc_require_key_version(int32 version)
{
	if (version <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid pseudonym key version %d", version),
				 errdetail("Key versions are positive integers.")));
	(void) master_key(static_cast<uint32>(version));
}

const uhc::HmacSha256Key *
uhc_client_hmac(const char *code, size_t code_length, uint32 version)
{
	const uhc::KeyEntry &master = master_key(version);

	if (key_cache->last_hit >= 0 &&
		slot_matches(key_cache->slots[key_cache->last_hit], code, code_length, version))
		return &key_cache->slots[key_cache->last_hit].hmac;

	for (int i = 0; i < kClientKeySlots; i++)
	{
		if (slot_matches(key_cache->slots[i], code, code_length, version))
		{
			key_cache->last_hit = i;
			return &key_cache->slots[i].hmac;
		}
	}

	int index = key_cache->next_eviction;
	ClientKeySlot *slot = &key_cache->slots[index];
	bool prepared = false;

	key_cache->next_eviction = (index + 1) % kClientKeySlots;
	uhc::wipe_secret(slot, sizeof(*slot));
	try
	{
		prepared = uhc::prepare_client_hmac(master.key, code, code_length, version, &slot->hmac);
	}
	catch (...)
	{
		/* Unreachable, since prepare_client_hmac is noexcept, but every core
		 * call sits in a try block. */
		prepared = false;
	}
	if (!prepared)
	{
		uhc::wipe_secret(slot, sizeof(*slot));
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not derive the pseudonym key of a client"),
				 errdetail("OpenSSL failed while computing HKDF-SHA256.")));
	}

	slot->used = true;
	slot->version = version;
	slot->code_length = code_length;
	std::memcpy(slot->code, code, code_length);
	key_cache->last_hit = index;
	return &slot->hmac;
}

void
uhc_active_key_fingerprint(char fingerprint[uhc::kFingerprintHexDigits + 1])
{
	uhc_key_fingerprint_of(uhc_active_key_version(), fingerprint);
}

void
uhc_key_fingerprint_of(int32 version, char fingerprint[uhc::kFingerprintHexDigits + 1])
{
	uhc_require_key_version(version);

	const uhc::KeyEntry &entry = master_key(static_cast<uint32>(version));
	bool computed = false;

	try
	{
		computed = uhc::compute_key_fingerprint(entry.key, fingerprint);
	}
	catch (...)
	{
		/* Unreachable, since compute_key_fingerprint is noexcept, but every core
		 * call sits in a try block. */
		computed = false;
	}
	if (!computed)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not compute the pseudonym key fingerprint"),
				 errdetail("OpenSSL failed while computing HMAC-SHA256.")));
}
