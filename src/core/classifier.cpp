/*
 * classifier.cpp
 *     Aho-Corasick compilation and matching of procedure rules (see classifier.h).
 *
 * The automaton is a full transition table (a DFA) over byte classes: every byte that
 * occurs in some text pattern gets its own class, all other bytes share class 0. States
 * that have any rule ending in them, directly or through their failure chain, are
 * numbered after all other states, so the per-byte loop tests one comparison to know
 * whether there is anything to check.
 */
#include "core/classifier.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

namespace uhc {

namespace {

constexpr std::uint16_t kBailClass = 0xFFFF;	/* non-ASCII byte while folding */
constexpr std::size_t kMaxTableEntries = std::size_t{1} << 28;	/* 1 GiB of int32 */

struct Rule
{
	std::string pattern;
	MatchKind	kind;
	std::int32_t rank;
	std::int32_t index;			/* position in the caller's array */
	bool		need_before;	/* pattern starts with a word byte (word kind only) */
	bool		need_after;		/* pattern ends with a word byte (word kind only) */
};

/* Per output state: what ends in this state, directly or through its failure chain. */
struct OutputState
{
	std::int32_t best_substring_rank;	/* INT32_MAX when no substring rule */
	std::int32_t best_substring_index;	/* the rule with that rank, or -1 */
	std::int32_t best_checked_rank;		/* best word/prefix rank in the chain */
	std::int32_t checks_begin;			/* own word/prefix rules, sorted by rank */
	std::int32_t checks_end;
	std::int32_t next_checked_state;	/* nearest proper suffix with word/prefix rules, or -1 */
};

unsigned char
FoldAscii(unsigned char c) noexcept
{
	return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

}								/* namespace */

struct Classifier
{
	std::vector<Rule> rules;	/* in the caller's order */
	std::vector<std::int32_t> code_rules;	/* indexes of code rules, sorted by pattern */

	std::uint16_t exact_class[256];
	std::uint16_t folded_class[256];
	std::size_t class_count = 1;

	std::vector<std::int32_t> delta;	/* state * class_count + class -> state */
	std::size_t state_count = 1;
	std::int32_t first_output_state = 1;
	std::vector<OutputState> outputs;	/* indexed by state - first_output_state */
	std::vector<std::int32_t> checked_rules;	/* rule indexes, grouped per state */
};

namespace {

void
SetMessage(char *message, std::size_t size, const char *text) noexcept
{
	if (message != nullptr && size > 0)
		std::snprintf(message, size, "%s", text);
}

/* Checks one occurrence of a word or prefix rule that ends at text[end - 1]. */
bool
OccurrenceQualifies(const Rule &rule, const unsigned char *text, std::size_t text_len,
					std::size_t end, std::size_t leading_spaces) noexcept
{
	std::size_t start = end - rule.pattern.size();

	if (rule.kind == MatchKind::Prefix)
		return start == leading_spaces;
	if (rule.need_before && start > 0 && IsWordByte(text[start - 1]))
		return false;
	if (rule.need_after && end < text_len && IsWordByte(text[end]))
		return false;
	return true;
}

std::size_t
CountLeadingSpaces(const unsigned char *text, std::size_t len) noexcept
{
	std::size_t n = 0;

	while (n < len && text[n] == ' ')
		n++;
	return n;
}

const Rule *
FindCodeRule(const Classifier &c, std::string_view code) noexcept
{
	auto it = std::lower_bound(c.code_rules.begin(), c.code_rules.end(), code,
							   [&c](std::int32_t index, std::string_view key) {
								   return std::string_view(c.rules[index].pattern) < key;
							   });

	if (it != c.code_rules.end() && c.rules[*it].pattern == code)
		return &c.rules[*it];
	return nullptr;
}

/*
 * Builds the trie, failure links, the full transition table and the output summaries.
 * Throws std::bad_alloc on allocation failure; the caller converts it to a status.
 */
ClassifierStatus
CompileTextRules(Classifier &c, char *message, std::size_t message_size)
{
	std::vector<std::int32_t> text_rules;
	std::size_t total_bytes = 0;
	bool		seen[256] = {false};

	for (const Rule &r : c.rules)
	{
		if (r.kind == MatchKind::Code)
			continue;
		text_rules.push_back(r.index);
		total_bytes += r.pattern.size();
		for (unsigned char b : r.pattern)
			seen[b] = true;
	}

	/* Byte classes. */
	c.class_count = 1;
	for (int b = 0; b < 256; b++)
		c.exact_class[b] = seen[b] ? static_cast<std::uint16_t>(c.class_count++) : 0;
	for (int b = 0; b < 256; b++)
		c.folded_class[b] = b >= 0x80 ? kBailClass : c.exact_class[FoldAscii(static_cast<unsigned char>(b))];

	std::size_t max_states = total_bytes + 1;

	if (max_states > static_cast<std::size_t>(INT32_MAX) ||
		max_states > kMaxTableEntries / c.class_count)
	{
		SetMessage(message, message_size, "the rules need a larger automaton than the classifier supports");
		return ClassifierStatus::TooManyStates;
	}

	/* Trie: delta contains -1 for a missing child until the breadth-first pass fills it. */
	const std::size_t k = c.class_count;
	std::vector<std::int32_t> delta;
	std::vector<std::vector<std::int32_t>> own_rules(1);

	delta.reserve(max_states * k);
	delta.assign(k, -1);
	for (std::int32_t index : text_rules)
	{
		const Rule &r = c.rules[index];
		std::int32_t state = 0;

		for (unsigned char b : r.pattern)
		{
			std::size_t slot = static_cast<std::size_t>(state) * k + c.exact_class[b];

			if (delta[slot] < 0)
			{
				std::int32_t child = static_cast<std::int32_t>(own_rules.size());

				own_rules.emplace_back();
				delta.insert(delta.end(), k, -1);
				delta[slot] = child;
			}
			state = delta[slot];
		}
		own_rules[state].push_back(index);
	}

	const std::size_t n = own_rules.size();
	std::vector<std::int32_t> fail(n, 0);
	std::vector<std::int32_t> order;	/* breadth-first order, root first */

	order.reserve(n);
	order.push_back(0);
	for (std::size_t head = 0; head < order.size(); head++)
	{
		std::int32_t u = order[head];

		for (std::size_t cls = 0; cls < k; cls++)
		{
			std::size_t slot = static_cast<std::size_t>(u) * k + cls;
			std::int32_t v = delta[slot];

			if (v >= 0)
			{
				fail[v] = (u == 0) ? 0 : delta[static_cast<std::size_t>(fail[u]) * k + cls];
				order.push_back(v);
			}
			else
				delta[slot] = (u == 0) ? 0 : delta[static_cast<std::size_t>(fail[u]) * k + cls];
		}
	}

	/* Summaries along failure chains; a state's failure target comes earlier in order. */
	std::vector<std::int32_t> best_substring(n, INT32_MAX);
	std::vector<std::int32_t> best_substring_index(n, -1);
	std::vector<std::int32_t> best_checked(n, INT32_MAX);
	std::vector<std::int32_t> next_checked(n, -1);
	std::vector<bool> own_checked(n, false);

	for (std::int32_t u : order)
	{
		auto &mine = own_rules[u];

		std::sort(mine.begin(), mine.end(), [&c](std::int32_t a, std::int32_t b) {
			return c.rules[a].rank < c.rules[b].rank;
		});
		if (u != 0)
		{
			std::int32_t f = fail[u];

			best_substring[u] = best_substring[f];
			best_substring_index[u] = best_substring_index[f];
			best_checked[u] = best_checked[f];
			next_checked[u] = own_checked[f] ? f : next_checked[f];
		}
		for (std::int32_t index : mine)
		{
			const Rule &r = c.rules[index];

			if (r.kind == MatchKind::Substring)
			{
				if (r.rank < best_substring[u])
				{
					best_substring[u] = r.rank;
					best_substring_index[u] = index;
				}
			}
			else
			{
				best_checked[u] = std::min(best_checked[u], r.rank);
				own_checked[u] = true;
			}
		}
	}

	/* Renumber: states with nothing in their chain first (root stays 0), then the rest. */
	std::vector<std::int32_t> new_id(n);
	std::int32_t next_plain = 0;
	std::int32_t output_count = 0;

	for (std::size_t u = 0; u < n; u++)
		if (best_substring[u] == INT32_MAX && best_checked[u] == INT32_MAX)
			new_id[u] = next_plain++;
	for (std::size_t u = 0; u < n; u++)
		if (!(best_substring[u] == INT32_MAX && best_checked[u] == INT32_MAX))
			new_id[u] = next_plain + output_count++;

	c.state_count = n;
	c.first_output_state = next_plain;
	c.delta.assign(n * k, 0);
	for (std::size_t u = 0; u < n; u++)
		for (std::size_t cls = 0; cls < k; cls++)
			c.delta[static_cast<std::size_t>(new_id[u]) * k + cls] = new_id[delta[u * k + cls]];

	c.outputs.assign(static_cast<std::size_t>(output_count), OutputState{});
	for (std::size_t u = 0; u < n; u++)
	{
		if (new_id[u] < c.first_output_state)
			continue;

		OutputState &o = c.outputs[static_cast<std::size_t>(new_id[u] - c.first_output_state)];

		o.best_substring_rank = best_substring[u];
		o.best_substring_index = best_substring_index[u];
		o.best_checked_rank = best_checked[u];
		o.checks_begin = static_cast<std::int32_t>(c.checked_rules.size());
		for (std::int32_t index : own_rules[u])
			if (c.rules[index].kind != MatchKind::Substring)
				c.checked_rules.push_back(index);
		o.checks_end = static_cast<std::int32_t>(c.checked_rules.size());
		o.next_checked_state = next_checked[u] < 0 ? -1 : new_id[next_checked[u]];
	}
	return ClassifierStatus::Ok;
}

/*
 * Runs the automaton over text. Fold selects the ASCII-folding class map, with a bail-out
 * on the first non-ASCII byte.
 */
template <bool Fold>
MatchResult
RunAutomaton(const Classifier &c, const unsigned char *text, std::size_t len,
			 std::int32_t *rule_index) noexcept
{
	const std::uint16_t *classes = Fold ? c.folded_class : c.exact_class;
	const std::int32_t *delta = c.delta.data();
	const std::size_t k = c.class_count;
	const std::int32_t first_output = c.first_output_state;
	const std::size_t leading_spaces = CountLeadingSpaces(text, len);
	std::int32_t best_rank = INT32_MAX;
	std::int32_t best_index = -1;
	std::int32_t state = 0;

	for (std::size_t i = 0; i < len; i++)
	{
		std::uint16_t cls = classes[text[i]];

		if (Fold && cls == kBailClass)
			return MatchResult::NeedsLowering;
		state = delta[static_cast<std::size_t>(state) * k + cls];
		if (state < first_output)
			continue;

		const OutputState &o = c.outputs[static_cast<std::size_t>(state - first_output)];

		if (o.best_substring_rank < best_rank)
		{
			best_rank = o.best_substring_rank;
			best_index = o.best_substring_index;
		}
		if (o.best_checked_rank >= best_rank)
			continue;

		/* Walk this state and its suffixes that have word or prefix rules. */
		for (std::int32_t s = state; s >= 0;)
		{
			const OutputState &so = c.outputs[static_cast<std::size_t>(s - first_output)];

			if (so.best_checked_rank >= best_rank)
				break;
			for (std::int32_t j = so.checks_begin; j < so.checks_end; j++)
			{
				const Rule &r = c.rules[c.checked_rules[j]];

				if (r.rank >= best_rank)
					break;
				if (OccurrenceQualifies(r, text, len, i + 1, leading_spaces))
				{
					best_rank = r.rank;
					best_index = r.index;
					break;
				}
			}
			s = so.next_checked_state;
		}
	}

	if (best_index < 0)
		return MatchResult::NoMatch;
	*rule_index = best_index;
	return MatchResult::Matched;
}

bool
HasNonAscii(const unsigned char *text, std::size_t len) noexcept
{
	for (std::size_t i = 0; i < len; i++)
		if (text[i] >= 0x80)
			return true;
	return false;
}

/* Whether rule r (a text rule) matches text, checked by plain search. */
bool
RuleMatchesNaively(const Rule &r, const unsigned char *text, std::size_t len, bool fold) noexcept
{
	const std::size_t m = r.pattern.size();
	const std::size_t leading_spaces = CountLeadingSpaces(text, len);

	if (m > len)
		return false;
	for (std::size_t start = 0; start + m <= len; start++)
	{
		bool		equal = true;

		for (std::size_t j = 0; j < m && equal; j++)
		{
			unsigned char t = fold ? FoldAscii(text[start + j]) : text[start + j];

			equal = t == static_cast<unsigned char>(r.pattern[j]);
		}
		if (!equal)
			continue;
		if (r.kind == MatchKind::Substring)
			return true;
		if (OccurrenceQualifies(r, text, len, start + m, leading_spaces))
			return true;
	}
	return false;
}

}								/* namespace */

ClassifierStatus
ClassifierBuild(const RuleSpec *rules, std::size_t count, Classifier **out,
				char *message, std::size_t message_size) noexcept
{
	*out = nullptr;
	try
	{
		std::unique_ptr<Classifier> c(new Classifier());
		std::vector<std::int32_t> ranks;

		if (count > static_cast<std::size_t>(INT32_MAX))
		{
			SetMessage(message, message_size, "too many rules");
			return ClassifierStatus::InvalidRule;
		}
		c->rules.reserve(count);
		ranks.reserve(count);
		for (std::size_t i = 0; i < count; i++)
		{
			const RuleSpec &spec = rules[i];
			Rule		r;

			if (spec.pattern_len == 0 || spec.pattern == nullptr)
			{
				SetMessage(message, message_size, "a rule has an empty pattern");
				return ClassifierStatus::InvalidRule;
			}
			r.pattern.assign(spec.pattern, spec.pattern_len);
			r.kind = spec.kind;
			r.rank = spec.rank;
			r.index = static_cast<std::int32_t>(i);
			r.need_before = spec.kind == MatchKind::Word && IsWordByte(static_cast<unsigned char>(r.pattern.front()));
			r.need_after = spec.kind == MatchKind::Word && IsWordByte(static_cast<unsigned char>(r.pattern.back()));
			c->rules.push_back(std::move(r));
			ranks.push_back(spec.rank);
			if (spec.kind == MatchKind::Code)
				c->code_rules.push_back(static_cast<std::int32_t>(i));
		}

		std::sort(ranks.begin(), ranks.end());
		if (std::adjacent_find(ranks.begin(), ranks.end()) != ranks.end())
		{
			SetMessage(message, message_size, "two rules have the same rank");
			return ClassifierStatus::InvalidRule;
		}

		/* Sorted by pattern; for equal codes the best rank comes first and wins. */
		const Classifier &cref = *c;
		std::sort(c->code_rules.begin(), c->code_rules.end(), [&cref](std::int32_t a, std::int32_t b) {
			const Rule &ra = cref.rules[a];
			const Rule &rb = cref.rules[b];

			if (ra.pattern != rb.pattern)
				return ra.pattern < rb.pattern;
			return ra.rank < rb.rank;
		});

		ClassifierStatus status = CompileTextRules(*c, message, message_size);

		if (status != ClassifierStatus::Ok)
			return status;
		*out = c.release();
		return ClassifierStatus::Ok;
	}
	catch (const std::bad_alloc &)
	{
		SetMessage(message, message_size, "out of memory while compiling the rules");
		return ClassifierStatus::OutOfMemory;
	}
	catch (...)
	{
		SetMessage(message, message_size, "unexpected exception while compiling the rules");
		return ClassifierStatus::Internal;
	}
}

void
ClassifierFree(Classifier *classifier) noexcept
{
	delete classifier;
}

std::size_t
ClassifierRuleCount(const Classifier *classifier) noexcept
{
	return classifier->rules.size();
}

std::size_t
ClassifierStateCount(const Classifier *classifier) noexcept
{
	return classifier->state_count;
}

MatchResult
ClassifierMatch(const Classifier *classifier,
				const char *text, std::size_t text_len, bool has_text,
				const char *code, std::size_t code_len, bool has_code,
				bool fold_ascii, std::int32_t *rule_index) noexcept
{
	const Classifier &c = *classifier;

	if (has_code && !c.code_rules.empty())
	{
		const Rule *r = FindCodeRule(c, std::string_view(code, code_len));

		if (r != nullptr)
		{
			*rule_index = r->index;
			return MatchResult::Matched;
		}
	}
	if (!has_text)
		return MatchResult::NoMatch;

	const auto *bytes = reinterpret_cast<const unsigned char *>(text);

	if (fold_ascii)
		return RunAutomaton<true>(c, bytes, text_len, rule_index);
	return RunAutomaton<false>(c, bytes, text_len, rule_index);
}

MatchResult
ClassifierMatchAll(const Classifier *classifier,
				   const char *text, std::size_t text_len, bool has_text,
				   const char *code, std::size_t code_len, bool has_code,
				   bool fold_ascii, std::uint8_t *matched) noexcept
{
	const Classifier &c = *classifier;
	const auto *bytes = reinterpret_cast<const unsigned char *>(text);
	bool		any = false;

	if (has_text && fold_ascii && HasNonAscii(bytes, text_len))
		return MatchResult::NeedsLowering;

	for (const Rule &r : c.rules)
	{
		bool		hit;

		if (r.kind == MatchKind::Code)
			hit = has_code && r.pattern == std::string_view(code, code_len);
		else
			hit = has_text && RuleMatchesNaively(r, bytes, text_len, fold_ascii);
		matched[r.index] = hit ? 1 : 0;
		any = any || hit;
	}
	return any ? MatchResult::Matched : MatchResult::NoMatch;
}

}								/* namespace uhc */
