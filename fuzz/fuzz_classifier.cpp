// libFuzzer target: compile up to 16 rules of any kind and match one description and
// code. The automaton's winner (ClassifierMatch) must equal the first matching rule
// found by checking each rule on its own (ClassifierMatchAll), code rules first, in rank
// order, which is how explain_classification() cross-checks the two in the server.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "core/classifier.h"

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	FuzzedDataProvider provider(data, size);
	std::size_t rule_count = provider.ConsumeIntegralInRange<std::size_t>(0, 16);
	std::vector<std::string> patterns;
	std::vector<uhc::RuleSpec> specs;

	patterns.reserve(rule_count);
	for (std::size_t i = 0; i < rule_count; i++)
	{
		auto kind = static_cast<uhc::MatchKind>(provider.ConsumeIntegralInRange<int>(0, 3));

		patterns.push_back(provider.ConsumeRandomLengthString(24));
		specs.push_back({patterns.back().data(), patterns.back().size(), kind,
						 static_cast<std::int32_t>(i)});
	}
	bool has_code = provider.ConsumeBool();
	bool fold_ascii = provider.ConsumeBool();
	std::string code = provider.ConsumeRandomLengthString(16);
	std::string text = provider.ConsumeRemainingBytesAsString();

	uhc::Classifier *classifier = nullptr;
	char message[256];
	uhc::ClassifierStatus status =
		uhc::ClassifierBuild(specs.data(), specs.size(), &classifier, message, sizeof(message));

	if (status != uhc::ClassifierStatus::Ok)
	{
		if (classifier != nullptr)
			std::abort();
		return 0;
	}

	std::int32_t winner = -1;
	uhc::MatchResult result = uhc::ClassifierMatch(classifier, text.data(), text.size(), true,
												   code.data(), code.size(), has_code,
												   fold_ascii, &winner);
	std::vector<std::uint8_t> matched(rule_count + 1, 0);
	uhc::MatchResult all = uhc::ClassifierMatchAll(classifier, text.data(), text.size(), true,
												   code.data(), code.size(), has_code,
												   fold_ascii, matched.data());

	if (result == uhc::MatchResult::NeedsLowering && all != uhc::MatchResult::NeedsLowering)
		std::abort();
	if (all == uhc::MatchResult::NeedsLowering && result != uhc::MatchResult::NeedsLowering)
	{
		/* ClassifierMatch looks up code rules before it reads the text, so it may return
		 * a matching code rule where ClassifierMatchAll returns NeedsLowering first. */
		if (result != uhc::MatchResult::Matched || specs[winner].kind != uhc::MatchKind::Code ||
			!has_code || patterns[winner] != code)
			std::abort();
	}
	else if (result != uhc::MatchResult::NeedsLowering)
	{
		std::int32_t expected = -1;

		for (int pass = 0; pass < 2 && expected < 0; pass++)
			for (std::size_t i = 0; i < rule_count && expected < 0; i++)
				if (matched[i] && (specs[i].kind == uhc::MatchKind::Code) == (pass == 0))
					expected = static_cast<std::int32_t>(i);
		if ((result == uhc::MatchResult::Matched ? winner : -1) != expected)
			std::abort();
	}
	uhc::ClassifierFree(classifier);
	return 0;
}
