/*
 * pseudonym.cpp
 *     SQL functions uhc_reporting.pseudonym, key_version, key_fingerprint and
 *     new_pseudonym_token.
 *
 * Each function reads its arguments, validates them with the core, fetches the prepared
 * client key from the key cache and formats the result into a stack buffer, so a call
 * allocates only its result text.
 */
#include "pg/keyring.h"

#include "core/pseudonym.h"
#include "core/uuid_text.h"

extern "C" {
#include "utils/builtins.h"
#include "utils/uuid.h"
}

namespace {

/* Returns the client code argument after checking it, without copying it. */
void
read_client_code(text *code_text, const char **code, size_t *code_length)
{
	*code = VARDATA_ANY(code_text);
	*code_length = VARSIZE_ANY_EXHDR(code_text);

	if (!uhc::is_valid_client_code(*code, *code_length))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid client code \"%s\"",
						text_to_cstring(code_text)),
				 errdetail("A client code is 2 to 32 characters: an upper-case letter, then "
						   "upper-case letters, digits or underscores.")));
}

/* Parses the text spelling of a patient UUID. The error gives a position, never the value. */
void
parse_patient_text(text *patient_text, uint8 uuid[uhc::kUuidLength])
{
	uhc::UuidParseResult result{uhc::UuidParseStatus::kUnexpectedCharacter, 1};

	try
	{
		result = uhc::parse_uuid_text(VARDATA_ANY(patient_text), VARSIZE_ANY_EXHDR(patient_text),
									  uuid);
	}
	catch (...)
	{
		/* Unreachable, since parse_uuid_text is noexcept, but every core
		 * call sits in a try block. */
	}

	const char *detail = "A patient UUID is 32 hex digits, optionally with hyphens in the "
						 "8-4-4-4-12 layout and enclosed in braces, without whitespace.";

	if (result.status == uhc::UuidParseStatus::kUnexpectedCharacter)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for patient UUID: unexpected character at position %zu",
						result.offset),
				 errdetail("%s", detail)));
	if (result.status == uhc::UuidParseStatus::kUnexpectedEnd)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for patient UUID: unexpected end at position %zu",
						result.offset),
				 errdetail("%s", detail)));
}

/* Computes the pseudonym of a parsed UUID for a validated client code and key version. */
text *
make_pseudonym(const char *code, size_t code_length, uint32 version,
			   const uint8 uuid[uhc::kUuidLength])
{
	const uhc::HmacSha256Key *client_hmac = uhc_client_hmac(code, code_length, version);
	char buffer[uhc::kPseudonymBufferLength];
	size_t length = 0;

	try
	{
		length = uhc::compute_pseudonym(*client_hmac, version, uuid, buffer);
	}
	catch (...)
	{
		/* Unreachable, since compute_pseudonym is noexcept, but every core
		 * call sits in a try block. */
		length = 0;
	}
	if (length == 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not compute a pseudonym"),
				 errdetail("OpenSSL failed while computing HMAC-SHA256.")));
	return cstring_to_text_with_len(buffer, static_cast<int>(length));
}

} // namespace

/* PostgreSQL 15 defines PGDLLEXPORT as empty on ELF platforms and the library is built
 * with -fvisibility=hidden, so the entry points and their info records are exported here. */
#pragma GCC visibility push(default)
extern "C" {

/* SQL function: uhc_reporting.pseudonym(client_code text, patient uuid) returns text */
PG_FUNCTION_INFO_V1(uhc_pseudonym_uuid);
Datum
uhc_pseudonym_uuid(PG_FUNCTION_ARGS)
{
	const char *code;
	size_t code_length;

	read_client_code(PG_GETARG_TEXT_PP(0), &code, &code_length);

	pg_uuid_t *patient = PG_GETARG_UUID_P(1);
	uint32 version = uhc_active_key_version();

	PG_RETURN_TEXT_P(make_pseudonym(code, code_length, version, patient->data));
}

/* SQL function: uhc_reporting.pseudonym(client_code text, patient text) returns text */
PG_FUNCTION_INFO_V1(uhc_pseudonym_text);
Datum
uhc_pseudonym_text(PG_FUNCTION_ARGS)
{
	const char *code;
	size_t code_length;
	uint8 uuid[uhc::kUuidLength];

	read_client_code(PG_GETARG_TEXT_PP(0), &code, &code_length);
	parse_patient_text(PG_GETARG_TEXT_PP(1), uuid);

	uint32 version = uhc_active_key_version();

	PG_RETURN_TEXT_P(make_pseudonym(code, code_length, version, uuid));
}

/* SQL function: uhc_reporting.pseudonym(client_code text, patient uuid, key_version integer)
 * returns text */
PG_FUNCTION_INFO_V1(uhc_pseudonym_uuid_version);
Datum
uhc_pseudonym_uuid_version(PG_FUNCTION_ARGS)
{
	const char *code;
	size_t code_length;

	read_client_code(PG_GETARG_TEXT_PP(0), &code, &code_length);

	pg_uuid_t *patient = PG_GETARG_UUID_P(1);
	int32 version = PG_GETARG_INT32(2);

	uhc_require_key_version(version);
	PG_RETURN_TEXT_P(make_pseudonym(code, code_length, static_cast<uint32>(version), patient->data));
}

/* SQL function: uhc_reporting.key_version() returns integer */
PG_FUNCTION_INFO_V1(uhc_key_version);
Datum
uhc_key_version(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	PG_RETURN_INT32(static_cast<int32>(uhc_active_key_version()));
}

/* SQL function: uhc_reporting.key_fingerprint() returns text */
PG_FUNCTION_INFO_V1(uhc_key_fingerprint);
Datum
uhc_key_fingerprint(PG_FUNCTION_ARGS)
{
	char fingerprint[uhc::kFingerprintHexDigits + 1];

	(void) fcinfo;
	uhc_active_key_fingerprint(fingerprint);
	PG_RETURN_TEXT_P(cstring_to_text(fingerprint));
}

/* SQL function: uhc_reporting.key_fingerprint(key_version integer) returns text */
PG_FUNCTION_INFO_V1(uhc_key_fingerprint_version);
Datum
uhc_key_fingerprint_version(PG_FUNCTION_ARGS)
{
	char fingerprint[uhc::kFingerprintHexDigits + 1];

	uhc_key_fingerprint_of(PG_GETARG_INT32(0), fingerprint);
	PG_RETURN_TEXT_P(cstring_to_text(fingerprint));
}

/* SQL function: uhc_reporting.new_pseudonym_token() returns text */
PG_FUNCTION_INFO_V1(uhc_new_pseudonym_token);
Datum
uhc_new_pseudonym_token(PG_FUNCTION_ARGS)
{
	char buffer[uhc::kTokenBufferLength];
	size_t length = 0;

	(void) fcinfo;
	try
	{
		length = uhc::generate_pseudonym_token(buffer);
	}
	catch (...)
	{
		/* Unreachable, since generate_pseudonym_token is noexcept, but every core
		 * call sits in a try block. */
		length = 0;
	}
	if (length == 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not generate a pseudonym token"),
				 errdetail("OpenSSL's RAND_bytes failed to return random bytes.")));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buffer, static_cast<int>(length)));
}

} // extern "C"
#pragma GCC visibility pop
