// Per-call cost of the pseudonym core against OpenSSL's own HMAC interfaces, so the
// choice of copied SHA-256 midstates can be checked on any machine. Each benchmark
// computes the same pseudonym text, or the same MAC, for a rotating set of UUIDs.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/pseudonym.h"
#include "core/uuid_text.h"

namespace {

constexpr int kUuidCount = 1024;

struct Inputs {
	std::uint8_t master_key[uhc::kMasterKeyLength];
	std::uint8_t client_key[uhc::kClientKeyLength];
	std::uint8_t uuids[kUuidCount][uhc::kUuidLength];
};

Inputs
make_inputs()
{
	Inputs inputs;

	for (std::size_t i = 0; i < uhc::kMasterKeyLength; i++)
		inputs.master_key[i] = static_cast<std::uint8_t>(i);
	uhc::derive_client_key(inputs.master_key, "UHC", 3, 1, inputs.client_key);
	for (int n = 0; n < kUuidCount; n++)
		for (std::size_t i = 0; i < uhc::kUuidLength; i++)
			inputs.uuids[n][i] = static_cast<std::uint8_t>(n * 31 + i * 7);
	return inputs;
}

const Inputs &
inputs()
{
	static const Inputs value = make_inputs();

	return value;
}

// The extension's path: the client key is prepared once and cached per backend.
void
BM_PseudonymPreparedKey(benchmark::State &state)
{
	uhc::HmacSha256Key prepared;
	char buffer[uhc::kPseudonymBufferLength];
	int n = 0;

	uhc::prepare_client_hmac(inputs().master_key, "UHC", 3, 1, &prepared);
	for (auto _ : state)
	{
		benchmark::DoNotOptimize(uhc::compute_pseudonym(prepared, 1, inputs().uuids[n], buffer));
		benchmark::DoNotOptimize(buffer);
		n = (n + 1) % kUuidCount;
	}
}
BENCHMARK(BM_PseudonymPreparedKey);

// Without the cache: HKDF derivation and key preparation on every call.
void
BM_PseudonymDerivedEachCall(benchmark::State &state)
{
	char buffer[uhc::kPseudonymBufferLength];
	int n = 0;

	for (auto _ : state)
	{
		uhc::HmacSha256Key prepared;

		uhc::prepare_client_hmac(inputs().master_key, "UHC", 3, 1, &prepared);
		benchmark::DoNotOptimize(uhc::compute_pseudonym(prepared, 1, inputs().uuids[n], buffer));
		benchmark::DoNotOptimize(buffer);
		n = (n + 1) % kUuidCount;
	}
}
BENCHMARK(BM_PseudonymDerivedEachCall);

// OpenSSL's one-shot HMAC() with the derived client key, plus the same base32 encoding.
void
BM_OpenSslHmacOneShot(benchmark::State &state)
{
	std::uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mac_length = 0;
	char digits[uhc::kPseudonymDigits];
	int n = 0;

	for (auto _ : state)
	{
		HMAC(EVP_sha256(), inputs().client_key, uhc::kClientKeyLength, inputs().uuids[n],
			 uhc::kUuidLength, mac, &mac_length);
		uhc::encode_crockford_base32_128(mac, digits);
		benchmark::DoNotOptimize(digits);
		n = (n + 1) % kUuidCount;
	}
}
BENCHMARK(BM_OpenSslHmacOneShot);

// OpenSSL 3 EVP_MAC with a context keyed once and re-initialized per call, which reuses
// the key schedule.
void
BM_OpenSslEvpMacReinit(benchmark::State &state)
{
	EVP_MAC *mac_algorithm = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
	EVP_MAC_CTX *context = EVP_MAC_CTX_new(mac_algorithm);
	char digest_name[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
		OSSL_PARAM_construct_end(),
	};
	std::uint8_t mac[32];
	std::size_t mac_length = 0;
	char digits[uhc::kPseudonymDigits];
	int n = 0;

	if (EVP_MAC_init(context, inputs().client_key, uhc::kClientKeyLength, params) != 1)
	{
		state.SkipWithError("EVP_MAC_init failed");
		return;
	}
	for (auto _ : state)
	{
		EVP_MAC_init(context, nullptr, 0, nullptr);
		EVP_MAC_update(context, inputs().uuids[n], uhc::kUuidLength);
		EVP_MAC_final(context, mac, &mac_length, sizeof(mac));
		uhc::encode_crockford_base32_128(mac, digits);
		benchmark::DoNotOptimize(digits);
		n = (n + 1) % kUuidCount;
	}
	EVP_MAC_CTX_free(context);
	EVP_MAC_free(mac_algorithm);
}
BENCHMARK(BM_OpenSslEvpMacReinit);

// Parsing the text form of a UUID, which pseudonym(text, text) adds to each call.
void
BM_ParseUuidText(benchmark::State &state)
{
	const char text[] = "2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b";
	std::uint8_t uuid[uhc::kUuidLength];

	for (auto _ : state)
	{
		benchmark::DoNotOptimize(uhc::parse_uuid_text(text, sizeof(text) - 1, uuid));
		benchmark::DoNotOptimize(uuid);
	}
}
BENCHMARK(BM_ParseUuidText);

} // namespace
