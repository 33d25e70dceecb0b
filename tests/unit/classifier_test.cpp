// Unit tests of the procedure classifier core (src/core/classifier.h).
//
// Expected winners are written by hand, or, for the large randomized cases, computed by a
// plain reference matcher in this file that searches each rule with std::string::find.

#include "core/classifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using uhc::ClassifierStatus;
using uhc::MatchKind;
using uhc::MatchResult;

struct TestRule
{
	std::string pattern;
	MatchKind	kind;
	std::int32_t rank;
};

// Owns a compiled classifier and the rules it was built from.
class Compiled
{
public:
	explicit Compiled(std::vector<TestRule> rules) : rules_(std::move(rules))
	{
		std::vector<uhc::RuleSpec> specs;

		for (const TestRule &r : rules_)
			specs.push_back({r.pattern.data(), r.pattern.size(), r.kind, r.rank});
		status_ = uhc::ClassifierBuild(specs.data(), specs.size(), &classifier_, message_, sizeof(message_));
	}
	~Compiled() { uhc::ClassifierFree(classifier_); }
	Compiled(const Compiled &) = delete;
	Compiled &operator=(const Compiled &) = delete;

	ClassifierStatus status() const { return status_; }
	const uhc::Classifier *get() const { return classifier_; }

	// Returns the winning rule index, -1 for no match, -2 when lowering is needed.
	int Winner(const std::string &text, bool fold = false) const
	{
		return WinnerWithCode(text, true, "", false, fold);
	}
	int WinnerWithCode(const std::string &text, bool has_text, const std::string &code,
					   bool has_code, bool fold = false) const
	{
		std::int32_t index = -1;
		MatchResult result = uhc::ClassifierMatch(classifier_, text.data(), text.size(), has_text,
												  code.data(), code.size(), has_code, fold, &index);

		if (result == MatchResult::NeedsLowering)
			return -2;
		return result == MatchResult::Matched ? index : -1;
	}

private:
	std::vector<TestRule> rules_;
	uhc::Classifier *classifier_ = nullptr;
	ClassifierStatus status_;
	char		message_[256];
};

bool
IsWordChar(unsigned char c)
{
	return std::isalnum(c) != 0 || c >= 0x80;
}

// Reference semantics, written independently of the automaton.
bool
ReferenceMatches(const TestRule &rule, const std::string &text)
{
	if (rule.kind == MatchKind::Prefix)
	{
		std::size_t lead = text.find_first_not_of(' ');

		if (lead == std::string::npos)
			lead = text.size();
		return text.compare(lead, rule.pattern.size(), rule.pattern) == 0;
	}
	for (std::size_t at = text.find(rule.pattern); at != std::string::npos; at = text.find(rule.pattern, at + 1))
	{
		if (rule.kind == MatchKind::Substring)
			return true;

		std::size_t end = at + rule.pattern.size();
		bool		before_ok = !IsWordChar(rule.pattern.front()) || at == 0 || !IsWordChar(text[at - 1]);
		bool		after_ok = !IsWordChar(rule.pattern.back()) || end == text.size() || !IsWordChar(text[end]);

		if (before_ok && after_ok)
			return true;
	}
	return false;
}

int
ReferenceWinner(const std::vector<TestRule> &rules, const std::string &text)
{
	int			best = -1;

	for (std::size_t i = 0; i < rules.size(); i++)
		if (rules[i].kind != MatchKind::Code && ReferenceMatches(rules[i], text) &&
			(best < 0 || rules[i].rank < rules[best].rank))
			best = static_cast<int>(i);
	return best;
}

TEST(ClassifierBuild, EmptyRuleSetMatchesNothing)
{
	Compiled	c({});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(uhc::ClassifierRuleCount(c.get()), 0u);
	EXPECT_EQ(uhc::ClassifierStateCount(c.get()), 1u);
	EXPECT_EQ(c.Winner("anything at all"), -1);
	EXPECT_EQ(c.Winner(""), -1);
	EXPECT_EQ(c.WinnerWithCode("", false, "123", true), -1);
}

TEST(ClassifierBuild, RejectsEmptyPattern)
{
	Compiled	c({{"", MatchKind::Substring, 0}});

	EXPECT_EQ(c.status(), ClassifierStatus::InvalidRule);
	EXPECT_EQ(c.get(), nullptr);
}

TEST(ClassifierBuild, RejectsDuplicateRank)
{
	Compiled	c({{"a", MatchKind::Substring, 3}, {"b", MatchKind::Word, 3}});

	EXPECT_EQ(c.status(), ClassifierStatus::InvalidRule);
	EXPECT_EQ(c.get(), nullptr);
}

TEST(ClassifierSubstring, MatchesAnywhere)
{
	Compiled	c({{"scan", MatchKind::Substring, 0}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("scan"), 0);
	EXPECT_EQ(c.Winner("bone scanner"), 0);
	EXPECT_EQ(c.Winner("rescanned"), 0);
	EXPECT_EQ(c.Winner("sca n"), -1);
	EXPECT_EQ(c.Winner("sca"), -1);
}

TEST(ClassifierSubstring, OverlappingPatterns)
{
	// The classic Aho-Corasick case: "she" ends inside "hers", and "he" inside both.
	Compiled	c({{"hers", MatchKind::Substring, 0}, {"she", MatchKind::Substring, 1}, {"he", MatchKind::Substring, 2}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("ushers"), 0);
	EXPECT_EQ(c.Winner("ushe"), 1);
	EXPECT_EQ(c.Winner("the"), 2);
	EXPECT_EQ(c.Winner("hehehers"), 0);
}

TEST(ClassifierSubstring, PercentAndUnderscoreAreLiteral)
{
	Compiled	c({{"50%", MatchKind::Substring, 0}, {"a_b", MatchKind::Substring, 1}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("dose 50% reduced"), 0);
	EXPECT_EQ(c.Winner("dose 500 reduced"), -1);
	EXPECT_EQ(c.Winner("a_b"), 1);
	EXPECT_EQ(c.Winner("axb"), -1);
	EXPECT_EQ(c.Winner("ab"), -1);
}

TEST(ClassifierWord, RequiresBoundaries)
{
	Compiled	c({{"scan", MatchKind::Word, 0}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("scan"), 0);
	EXPECT_EQ(c.Winner("bone scan"), 0);
	EXPECT_EQ(c.Winner("scan of bone"), 0);
	EXPECT_EQ(c.Winner("x-scan-y"), 0);
	EXPECT_EQ(c.Winner("(scan)"), 0);
	EXPECT_EQ(c.Winner("scanner"), -1);
	EXPECT_EQ(c.Winner("rescan"), -1);
	EXPECT_EQ(c.Winner("scan2"), -1);
	EXPECT_EQ(c.Winner("2scan"), -1);
}

TEST(ClassifierWord, UnderscoreIsNotWordCharacter)
{
	Compiled	c({{"scan", MatchKind::Word, 0}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("_scan_"), 0);
}

TEST(ClassifierWord, NonAsciiNeighboursAreWordCharacters)
{
	Compiled	c({{"scan", MatchKind::Word, 0}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("\xc3\xa9scan"), -1);		// "éscan"
	EXPECT_EQ(c.Winner("scan\xc3\x9f"), -1);		// "scanß"
	EXPECT_EQ(c.Winner("\xce\xa3 scan \xce\xa3"), 0);	// "Σ scan Σ"
}

TEST(ClassifierWord, LaterOccurrenceCanQualify)
{
	Compiled	c({{"scan", MatchKind::Word, 0}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("scanner then scan"), 0);
	EXPECT_EQ(c.Winner("scanscan scan"), 0);
	EXPECT_EQ(c.Winner("scanscan"), -1);
}

TEST(ClassifierWord, BoundaryCheckedOnlyAtWordEnds)
{
	// "x-" ends with a non-word byte, so only its start needs a boundary.
	Compiled	c({{"x-", MatchKind::Word, 0}, {"-ray", MatchKind::Word, 1}, {"--", MatchKind::Word, 2}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("x-ray"), 0);
	EXPECT_EQ(c.Winner("ax-ray"), 1);		// "x-" fails, "-ray" qualifies
	EXPECT_EQ(c.Winner("ax-rays"), -1);
	EXPECT_EQ(c.Winner("a--b"), 2);
}

TEST(ClassifierWord, PatternWithInnerSpace)
{
	Compiled	c({{"blood test", MatchKind::Word, 0}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("full blood test done"), 0);
	EXPECT_EQ(c.Winner("bloodblood test"), -1);
	EXPECT_EQ(c.Winner("blood tests"), -1);
}

TEST(ClassifierPrefix, SkipsLeadingSpacesOnly)
{
	Compiled	c({{"renal", MatchKind::Prefix, 0}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("renal dialysis"), 0);
	EXPECT_EQ(c.Winner("   renal dialysis"), 0);
	EXPECT_EQ(c.Winner("renalx"), 0);
	EXPECT_EQ(c.Winner("\trenal dialysis"), -1);
	EXPECT_EQ(c.Winner("adrenal"), -1);
	EXPECT_EQ(c.Winner("x renal"), -1);
	EXPECT_EQ(c.Winner("   "), -1);
}

TEST(ClassifierPrefix, PatternWithLeadingSpaceNeverMatches)
{
	// ltrim() removes every leading space, so the trimmed text never starts with one.
	Compiled	c({{" renal", MatchKind::Prefix, 0}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner(" renal"), -1);
	EXPECT_EQ(c.Winner("renal"), -1);
}

TEST(ClassifierPriority, LowestRankWins)
{
	Compiled	c({{"scan", MatchKind::Substring, 5}, {"bone", MatchKind::Substring, 2}, {"density", MatchKind::Word, 9}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("bone density scan"), 1);
	EXPECT_EQ(c.Winner("density scan"), 0);
	EXPECT_EQ(c.Winner("density"), 2);
}

TEST(ClassifierPriority, RankOrderIndependentOfInputOrder)
{
	// The glue ranks by (priority, rule_id); equal priorities therefore get the ranks of
	// their rule_id order, which this test gives out of input order.
	Compiled	c({{"ray", MatchKind::Substring, 7}, {"x-ray", MatchKind::Substring, 3}, {"x", MatchKind::Word, 4}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("chest x-ray"), 1);
	EXPECT_EQ(c.Winner("x ray"), 2);
	EXPECT_EQ(c.Winner("gray"), 0);
}

TEST(ClassifierPriority, WordRuleBeatsWorseSubstringInSameState)
{
	Compiled	c({{"scan", MatchKind::Substring, 5}, {"scan", MatchKind::Word, 1}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("bone scan"), 1);
	EXPECT_EQ(c.Winner("bone scanner"), 0);
}

TEST(ClassifierCode, CodeRuleBeatsEveryTextRule)
{
	Compiled	c({{"colonoscopy", MatchKind::Substring, 0}, {"73761001", MatchKind::Code, 50}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.WinnerWithCode("colonoscopy", true, "73761001", true), 1);
	EXPECT_EQ(c.WinnerWithCode("colonoscopy", true, "7376100", true), 0);
	EXPECT_EQ(c.WinnerWithCode("colonoscopy", true, "737610011", true), 0);
	EXPECT_EQ(c.WinnerWithCode("", false, "73761001", true), 1);
	EXPECT_EQ(c.WinnerWithCode("", false, "1", true), -1);
	EXPECT_EQ(c.WinnerWithCode("colonoscopy", true, "", false), 0);
}

TEST(ClassifierCode, CodeIsNotMatchedAgainstText)
{
	Compiled	c({{"123", MatchKind::Code, 0}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("123"), -1);
	EXPECT_EQ(c.WinnerWithCode("123", true, "123", true), 0);
}

TEST(ClassifierFold, FoldsAsciiAndAsksForLoweringOtherwise)
{
	Compiled	c({{"x-ray", MatchKind::Substring, 0}, {"scan", MatchKind::Word, 1}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner("Chest X-RAY", true), 0);
	EXPECT_EQ(c.Winner("Chest X-RAY", false), -1);
	EXPECT_EQ(c.Winner("BONE SCAN", true), 1);
	EXPECT_EQ(c.Winner("BONE SCANNER", true), -1);
	EXPECT_EQ(c.Winner("\xc3\x89" "chographie", true), -2);
	EXPECT_EQ(c.Winner("\xc3\x89" "chographie", false), -1);
}

TEST(ClassifierFold, CodeMatchDoesNotNeedLowering)
{
	Compiled	c({{"42", MatchKind::Code, 0}});

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.WinnerWithCode("\xc3\x89", true, "42", true, true), 0);
}

TEST(ClassifierMatchAll, FlagsEveryMatchingRule)
{
	std::vector<TestRule> rules = {
		{"scan", MatchKind::Word, 0}, {"bone", MatchKind::Prefix, 1}, {"an", MatchKind::Substring, 2},
		{"99", MatchKind::Code, 3}, {"zzz", MatchKind::Substring, 4}};
	Compiled	c(rules);
	std::uint8_t matched[5];
	std::string text = "bone scan";

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	ASSERT_EQ(uhc::ClassifierMatchAll(c.get(), text.data(), text.size(), true, "99", 2, true, false, matched),
			  MatchResult::Matched);
	EXPECT_EQ(matched[0], 1);
	EXPECT_EQ(matched[1], 1);
	EXPECT_EQ(matched[2], 1);
	EXPECT_EQ(matched[3], 1);
	EXPECT_EQ(matched[4], 0);
	EXPECT_EQ(uhc::ClassifierMatchAll(c.get(), "\xc3\xa9", 2, true, "", 0, false, true, matched),
			  MatchResult::NeedsLowering);
	EXPECT_EQ(uhc::ClassifierMatchAll(c.get(), "scanner", 7, true, "", 0, false, false, matched),
			  MatchResult::Matched);
	EXPECT_EQ(matched[0], 0);
	EXPECT_EQ(matched[2], 1);
}

TEST(ClassifierScale, VeryLongDescription)
{
	Compiled	c({{"needle", MatchKind::Word, 1}, {"hay", MatchKind::Prefix, 0}, {"stack", MatchKind::Substring, 2}});
	std::string text(4u << 20, 'h');

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(c.Winner(text), -1);
	text += " needle";
	EXPECT_EQ(c.Winner(text), 0);
	text.replace(0, 3, "hay");
	EXPECT_EQ(c.Winner(text), 1);
}

TEST(ClassifierScale, ThousandsOfRulesAgreeWithReference)
{
	std::mt19937 rng(20240601);
	const std::string alphabet = "abcde -%_\xc3\xa9";
	auto random_string = [&](std::size_t min_len, std::size_t max_len) {
		std::uniform_int_distribution<std::size_t> len(min_len, max_len);
		std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
		std::string s;
		std::size_t n = len(rng);

		for (std::size_t i = 0; i < n; i++)
			s.push_back(alphabet[pick(rng)]);
		return s;
	};
	std::vector<TestRule> rules;
	std::vector<std::int32_t> ranks(5000);

	for (std::size_t i = 0; i < ranks.size(); i++)
		ranks[i] = static_cast<std::int32_t>(i);
	std::shuffle(ranks.begin(), ranks.end(), rng);
	for (std::size_t i = 0; i < ranks.size(); i++)
	{
		static const MatchKind kinds[] = {MatchKind::Substring, MatchKind::Word, MatchKind::Prefix};

		rules.push_back({random_string(1, 8), kinds[i % 3], ranks[i]});
	}

	Compiled	c(rules);

	ASSERT_EQ(c.status(), ClassifierStatus::Ok);
	EXPECT_EQ(uhc::ClassifierRuleCount(c.get()), rules.size());
	int			mismatches = 0;

	for (int trial = 0; trial < 20000; trial++)
	{
		std::string text = random_string(0, 40);
		int			expected = ReferenceWinner(rules, text);
		int			actual = c.Winner(text);

		if (expected != actual && ++mismatches <= 5)
			ADD_FAILURE() << "text \"" << text << "\": expected rule " << expected << ", got " << actual;
	}
	EXPECT_EQ(mismatches, 0);
}

}								// namespace
