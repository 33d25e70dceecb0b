/*
 * classifier.h
 *     Multi-pattern procedure classifier: compiles text rules into one Aho-Corasick
 *     automaton over lower-cased UTF-8 bytes, so that the cost of classifying a
 *     description is linear in its length and independent of the number of rules.
 *
 * This is a pure C++ core. It includes no PostgreSQL header and never calls PostgreSQL.
 * Every function is noexcept and reports failure through a status.
 *
 * Matching semantics (the caller lowers patterns and descriptions the way SQL lower()
 * does, or requests ASCII folding from ClassifierMatch):
 *   substring  the pattern occurs anywhere in the description.
 *   word       the pattern occurs with no word character directly before or after it.
 *              A word character is an ASCII letter or digit or any byte >= 0x80 (so any
 *              non-ASCII character). The boundary is checked only at a pattern end that
 *              is itself a word character.
 *   prefix     the description, after skipping leading ' ' bytes, starts with the pattern.
 *   code       the procedure code equals the pattern byte for byte. A matching code rule
 *              wins over every text rule.
 * Among matching text rules the lowest rank wins. Ranks are given by the caller: the
 * glue ranks rules by (priority, rule_id).
 */
#ifndef UHC_REPORTING_CORE_CLASSIFIER_H
#define UHC_REPORTING_CORE_CLASSIFIER_H

#include <cstddef>
#include <cstdint>

namespace uhc {

enum class MatchKind : std::uint8_t { Substring = 0, Word = 1, Prefix = 2, Code = 3 };

/* One enabled rule as the caller passes it to ClassifierBuild. */
struct RuleSpec
{
	const char *pattern;	/* lowered pattern bytes, not NUL-terminated */
	std::size_t pattern_len;
	MatchKind	kind;
	std::int32_t rank;		/* lower wins; ranks must be distinct */
};

enum class ClassifierStatus : std::uint8_t
{
	Ok = 0,
	OutOfMemory,
	InvalidRule,			/* empty pattern, or two rules with the same rank */
	TooManyStates,			/* the automaton would need more than INT32_MAX states */
	Internal
};

enum class MatchResult : std::uint8_t
{
	Matched = 0,
	NoMatch,
	/* ASCII folding was requested and the text has a byte >= 0x80, so the caller must
	 * lower the text itself and match again without folding. */
	NeedsLowering
};

struct Classifier;				/* opaque, owned by the caller through ClassifierFree */

/*
 * Compiles rules[0..count) into a classifier. On success *out owns a new classifier and
 * Ok is returned. On failure *out is null and message (if not null) receives a
 * NUL-terminated English description of at most message_size bytes.
 */
ClassifierStatus ClassifierBuild(const RuleSpec *rules, std::size_t count, Classifier **out,
								 char *message, std::size_t message_size) noexcept;

void		ClassifierFree(Classifier *classifier) noexcept;

/* Number of rules the classifier was built from, and its automaton size (for tests). */
std::size_t ClassifierRuleCount(const Classifier *classifier) noexcept;
std::size_t ClassifierStateCount(const Classifier *classifier) noexcept;

/*
 * Finds the winning rule for one description and an optional procedure code. text may be
 * null only when text_len is 0 and has_text is false. With fold_ascii the core maps
 * A-Z to a-z itself. The caller may request that only when SQL lower() is known to do
 * exactly that for every ASCII byte. Non-ASCII text then gives NeedsLowering. On
 * Matched, *rule_index is the index of the winner in the array given to ClassifierBuild.
 * The function neither allocates nor fails.
 */
MatchResult ClassifierMatch(const Classifier *classifier,
							const char *text, std::size_t text_len, bool has_text,
							const char *code, std::size_t code_len, bool has_code,
							bool fold_ascii, std::int32_t *rule_index) noexcept;

/*
 * Marks in matched[0..ClassifierRuleCount) every rule that matches (1) or not (0), by
 * checking each rule on its own without the automaton. Meant for explaining a result,
 * not for bulk use: the cost is the sum over rules of the text length. The same
 * fold_ascii contract as ClassifierMatch applies.
 */
MatchResult ClassifierMatchAll(const Classifier *classifier,
							   const char *text, std::size_t text_len, bool has_text,
							   const char *code, std::size_t code_len, bool has_code,
							   bool fold_ascii, std::uint8_t *matched) noexcept;

/* Whether byte c is a word character for the word match kind. */
constexpr bool
IsWordByte(unsigned char c) noexcept
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

}								/* namespace uhc */

#endif							/* UHC_REPORTING_CORE_CLASSIFIER_H */
