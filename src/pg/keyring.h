/*
 * keyring.h
 *     Per-backend cache of the pseudonym key file and of prepared client keys.
 *
 * Each function raises a PostgreSQL ERROR on failure, so callers must hold no C++ object
 * with a destructor when they call it.
 */
#ifndef UHC_REPORTING_PG_KEYRING_H
#define UHC_REPORTING_PG_KEYRING_H

#include "pg/module.h"

#include "core/hmac_sha256.h"
#include "core/pseudonym.h"

/* Returns the active (highest) key version, loading the key file if needed. */
uint32 uhc_active_key_version(void);

/* Raises an ERROR unless version is in the key file. */
void uhc_require_key_version(int32 version);

/*
 * Returns the prepared HMAC of the client key for a validated client code and a key
 * version that is in the key file. The pointer stays valid until the next call of any
 * function here, since the cache may evict the slot or reload the file.
 */
const uhc::HmacSha256Key *uhc_client_hmac(const char *code, size_t code_length, uint32 version);

/* Writes the fingerprint of the active key, 16 hex digits and a NUL. */
void uhc_active_key_fingerprint(char fingerprint[uhc::kFingerprintHexDigits + 1]);

/* Writes the fingerprint of the key of the given version, raising an ERROR unless that
 * version is in the key file. */
void uhc_key_fingerprint_of(int32 version, char fingerprint[uhc::kFingerprintHexDigits + 1]);

#endif /* UHC_REPORTING_PG_KEYRING_H */
