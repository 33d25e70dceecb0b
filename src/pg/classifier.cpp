/*
 * classifier.cpp
 *     SQL functions of the procedure classifier and its per-backend rules cache.
 *
 * The enabled rules of uhc_reporting.procedure_rules are read through SPI and compiled
 * by the core (src/core/classifier.h) once per backend. The compiled classifier lives in
 * a child of CacheMemoryContext and is freed by that context's reset callback.
 *
 * Invalidation. A statement-level trigger on the rules, groups and settings tables
 * (uhc_rules_changed) sends a relcache invalidation for the rules table. The relcache
 * callback only clears cache.valid and counts the message. The cache is checked, and
 * rebuilt if needed, only on the first call of each top-level statement, so that the
 * groups never change in the middle of a statement.
 *
 * Snapshots. The rules are read with the statement's active snapshot. An invalidation
 * can be consumed after that snapshot was taken, in which case the rebuild may still see
 * the old rules. Such a rebuild sets cache.recheck, and the cache is built once more at
 * the next statement (READ COMMITTED) or in the next transaction (REPEATABLE READ and
 * SERIALIZABLE), whose snapshot is newer than the consumed message.
 */
#include "pg/module.h"

extern "C" {
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation_d.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
}

#include <cstring>

#include "core/classifier.h"

namespace {

constexpr const char *kSchemaName = "uhc_reporting";
constexpr const char *kRulesTableName = "procedure_rules";

/* One compiled rule as explain_classification reports it, stored in the cache context. */
struct CachedRule
{
	int32		rule_id;
	int32		priority;
	uhc::MatchKind kind;
	text	   *pattern;		/* as written, not lowered */
	text	   *group_name;
};

/*
 * The per-backend rules cache. A plain POD static: no constructor or destructor runs at
 * library load or exit. Everything it points to lives in context.
 */
struct ClassifierCache
{
	MemoryContext context;		/* owns the fields below; NULL before the first build */
	uhc::Classifier *classifier;	/* freed by the reset callback of context */
	CachedRule *rules;			/* in rank order: (priority, rule_id) */
	int32		rule_count;
	text	   *default_group;
	/* SQL lower() maps every ASCII byte as ASCII tolower does, under the default collation. */
	bool		fold_ascii;

	/* Cleared by the relcache callback, set when a build starts. */
	bool		valid;
	/* Relcache messages seen for the rules table; compared around each build. */
	uint64		invalidation_count;
	/* Build again at a later statement, because this build may predate a change. */
	bool		recheck;
	/* The recheck waits for another transaction: the build used a transaction snapshot. */
	bool		recheck_needs_new_transaction;
	LocalTransactionId recheck_lxid;

	/* The top-level statement in which the cache was last checked. */
	LocalTransactionId statement_lxid;
	TimestampTz statement_start;

	/* procedure_rules, or InvalidOid when unknown; reset by every message for it, so that
	 * a table re-created by DROP and CREATE EXTENSION is looked up again. */
	Oid			rules_relid;
};

ClassifierCache cache;

/* Rows of the rules query before compilation; palloc'd in the build context. */
struct LoadedRules
{
	CachedRule *rules;
	uhc::RuleSpec *specs;
	int32		count;
	text	   *default_group;
};

/* Status of a core call, kept as plain data so that it can outlive the C++ objects. */
struct CompileOutcome
{
	uhc::ClassifierStatus status;
	uhc::Classifier *classifier;
	char		message[256];
};

}								/* namespace */

/* PostgreSQL 15 defines PGDLLEXPORT as empty on ELF platforms and the library is built
 * with -fvisibility=hidden, so the SQL-callable entry points are declared with default
 * visibility here; their definitions below inherit it. */
#pragma GCC visibility push(default)
extern "C" {
PG_FUNCTION_INFO_V1(uhc_classify);
PG_FUNCTION_INFO_V1(uhc_classify_with_code);
PG_FUNCTION_INFO_V1(uhc_explain_classification);
PG_FUNCTION_INFO_V1(uhc_rules_changed);
}
#pragma GCC visibility pop

extern "C" {

/* Relcache callback: runs while invalidation messages are processed, so it must not read
 * the catalogs or fail. It only records that the rules may have changed. */
static void
uhc_classifier_relcache_callback(Datum arg, Oid relid)
{
	(void) arg;
	if (relid == InvalidOid || cache.rules_relid == InvalidOid || relid == cache.rules_relid)
	{
		cache.valid = false;
		cache.invalidation_count++;
		cache.rules_relid = InvalidOid;
	}
}

/* Frees the compiled classifier when its context is reset or deleted. */
static void
uhc_classifier_free_callback(void *arg)
{
	uhc::ClassifierFree(static_cast<uhc::Classifier *>(arg));
}

}								/* extern "C" */

/* Registers the relcache callback, once per backend; called by _PG_init. */
void
uhc_classifier_init(void)
{
	CacheRegisterRelcacheCallback(uhc_classifier_relcache_callback, (Datum) 0);
}

namespace {

/* Calls the core compiler; every C++ object it creates dies before it returns. */
void
CompileRules(const uhc::RuleSpec *specs, int32 count, CompileOutcome *outcome) noexcept
{
	outcome->classifier = nullptr;
	outcome->message[0] = '\0';
	try
	{
		outcome->status = uhc::ClassifierBuild(specs, static_cast<std::size_t>(count),
											   &outcome->classifier,
											   outcome->message, sizeof(outcome->message));
	}
	catch (...)
	{
		outcome->status = uhc::ClassifierStatus::Internal;
		std::strncpy(outcome->message, "unexpected exception", sizeof(outcome->message) - 1);
		outcome->message[sizeof(outcome->message) - 1] = '\0';
	}
}

Oid
LookupRulesRelid(bool missing_ok)
{
	Oid			schema = get_namespace_oid(kSchemaName, missing_ok);

	if (!OidIsValid(schema))
		return InvalidOid;

	Oid			relid = get_relname_relid(kRulesTableName, schema);

	if (!OidIsValid(relid) && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.%s\" does not exist", kSchemaName, kRulesTableName),
				 errhint("Reinstall the extension with DROP EXTENSION and CREATE EXTENSION uhc_reporting.")));
	return relid;
}

Oid
LookupRelationOwner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);

	Oid			owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;

	ReleaseSysCache(tuple);
	return owner;
}

uhc::MatchKind
ParseMatchKind(const char *kind)
{
	if (strcmp(kind, "substring") == 0)
		return uhc::MatchKind::Substring;
	if (strcmp(kind, "word") == 0)
		return uhc::MatchKind::Word;
	if (strcmp(kind, "prefix") == 0)
		return uhc::MatchKind::Prefix;
	if (strcmp(kind, "code") == 0)
		return uhc::MatchKind::Code;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("unrecognized match kind \"%s\" in uhc_reporting.procedure_rules", kind)));
	return uhc::MatchKind::Substring;	/* not reached */
}

const char *
MatchKindName(uhc::MatchKind kind)
{
	switch (kind)
	{
		case uhc::MatchKind::Substring:
			return "substring";
		case uhc::MatchKind::Word:
			return "word";
		case uhc::MatchKind::Prefix:
			return "prefix";
		case uhc::MatchKind::Code:
			return "code";
	}
	return "substring";
}

/* Copies a column of the current SPI row into a text in the current memory context. */
text *
CopyTextColumn(HeapTuple tuple, TupleDesc desc, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(tuple, desc, column, &isnull);

	if (isnull)
		elog(ERROR, "unexpected NULL in column %d of the rules query", column);
	return DatumGetTextPCopy(value);
}

int32
GetInt32Column(HeapTuple tuple, TupleDesc desc, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(tuple, desc, column, &isnull);

	if (isnull)
		elog(ERROR, "unexpected NULL in column %d of the rules query", column);
	return DatumGetInt32(value);
}

/*
 * Reads the enabled rules in winner order and the default group, into memory allocated
 * in target. Runs the queries as the owner of the rules table, so that the result does
 * not depend on the calling role, and with fully qualified names and operators, because
 * the caller's search_path is still in effect.
 */
void
LoadRules(MemoryContext target, Oid rules_owner, LoadedRules *loaded)
{
	static const char *const rules_query =
		"SELECT r.rule_id, r.priority, r.match_kind, r.pattern, pg_catalog.lower(r.pattern), r.group_name"
		"  FROM uhc_reporting.procedure_rules r"
		" WHERE r.enabled"
		" ORDER BY r.priority, r.rule_id";
	/* The settings table rather than setting(), because the table owner need not have
	 * EXECUTE on that function. */
	static const char *const default_query =
		"SELECT s.value FROM uhc_reporting.settings s"
		" WHERE s.name OPERATOR(pg_catalog.=) 'default_group'";
	Oid			saved_user;
	int			saved_security;
	volatile bool pushed_snapshot = false;

	GetUserIdAndSecContext(&saved_user, &saved_security);
	SetUserIdAndSecContext(rules_owner, saved_security | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed_snapshot = true;
	}
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute(rules_query, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute failed for the rules query");

		uint64		count = SPI_processed;

		if (count > (uint64) (MaxAllocSize / sizeof(uhc::RuleSpec)))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many enabled procedure rules: %llu", (unsigned long long) count)));

		MemoryContext spi_context = MemoryContextSwitchTo(target);

		loaded->count = (int32) count;
		loaded->rules = (CachedRule *) palloc0(sizeof(CachedRule) * (count + 1));
		loaded->specs = (uhc::RuleSpec *) palloc0(sizeof(uhc::RuleSpec) * (count + 1));
		for (uint64 i = 0; i < count; i++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			CachedRule *rule = &loaded->rules[i];
			uhc::RuleSpec *spec = &loaded->specs[i];
			text	   *kind = CopyTextColumn(tuple, desc, 3);
			text	   *lowered = CopyTextColumn(tuple, desc, 5);

			rule->rule_id = GetInt32Column(tuple, desc, 1);
			rule->priority = GetInt32Column(tuple, desc, 2);
			rule->kind = ParseMatchKind(text_to_cstring(kind));
			rule->pattern = CopyTextColumn(tuple, desc, 4);
			rule->group_name = CopyTextColumn(tuple, desc, 6);
			spec->pattern = VARDATA_ANY(lowered);
			spec->pattern_len = VARSIZE_ANY_EXHDR(lowered);
			spec->kind = rule->kind;
			spec->rank = (int32) i;
		}
		MemoryContextSwitchTo(spi_context);

		if (SPI_execute(default_query, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute failed for the default group query");
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("uhc_reporting setting \"default_group\" does not exist"),
					 errhint("Insert the setting into uhc_reporting.settings.")));
		MemoryContextSwitchTo(target);
		loaded->default_group = CopyTextColumn(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		MemoryContextSwitchTo(spi_context);

		SPI_finish();
	}
	PG_FINALLY();
	{
		if (pushed_snapshot)
			PopActiveSnapshot();
		SetUserIdAndSecContext(saved_user, saved_security);
	}
	PG_END_TRY();
}

/*
 * Whether SQL lower() under the database default collation maps every ASCII byte exactly
 * as ASCII tolower does. Not the case under a Turkish locale, for example, where "I"
 * lowers to a dotless i. lower() maps ASCII text character by character in every
 * provider PostgreSQL 15 supports, so probing each byte once is enough.
 */
bool
AsciiFoldMatchesLower(void)
{
	char		probe[128];

	for (int b = 1; b < 128; b++)
		probe[b - 1] = (char) b;
	probe[127] = '\0';

	char	   *lowered = str_tolower(probe, 127, DEFAULT_COLLATION_OID);
	bool		same = strlen(lowered) == 127;

	for (int b = 1; same && b < 128; b++)
	{
		char		expected = (b >= 'A' && b <= 'Z') ? (char) (b - 'A' + 'a') : (char) b;

		same = lowered[b - 1] == expected;
	}
	pfree(lowered);
	return same;
}

/* Replaces the cached classifier with a new build from the current rules. */
void
RebuildCache(void)
{
	MemoryContext build_context;
	MemoryContext old_context = CurrentMemoryContext;
	LoadedRules loaded = {};
	CompileOutcome outcome;
	Oid			relid = LookupRulesRelid(false);
	Oid			owner = LookupRelationOwner(relid);

	build_context = AllocSetContextCreate(CacheMemoryContext, "uhc_reporting classifier",
										  ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		/* Allocated before compiling, so that nothing can fail between the compilation
		 * and the registration that makes the context own the classifier. */
		MemoryContextCallback *free_callback = (MemoryContextCallback *)
			MemoryContextAlloc(build_context, sizeof(MemoryContextCallback));

		LoadRules(build_context, owner, &loaded);
		CompileRules(loaded.specs, loaded.count, &outcome);
		if (outcome.status == uhc::ClassifierStatus::Ok)
		{
			free_callback->func = uhc_classifier_free_callback;
			free_callback->arg = outcome.classifier;
			MemoryContextRegisterResetCallback(build_context, free_callback);
		}
		else if (outcome.status == uhc::ClassifierStatus::OutOfMemory)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("Compiling %d procedure rules failed: %s.", loaded.count, outcome.message)));
		else if (outcome.status == uhc::ClassifierStatus::TooManyStates)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("procedure rules are too large to compile"),
					 errdetail("Compiling %d procedure rules failed: %s.", loaded.count, outcome.message),
					 errhint("Disable or shorten some rules in uhc_reporting.procedure_rules.")));
		else
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not compile procedure rules"),
					 errdetail("Compiling %d procedure rules failed: %s.", loaded.count, outcome.message)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old_context);
		MemoryContextDelete(build_context);
		PG_RE_THROW();
	}
	PG_END_TRY();

	bool		fold_ascii = AsciiFoldMatchesLower();

	if (cache.context != NULL)
		MemoryContextDelete(cache.context);
	cache.context = build_context;
	cache.classifier = outcome.classifier;
	cache.rules = loaded.rules;
	cache.rule_count = loaded.count;
	cache.default_group = loaded.default_group;
	cache.fold_ascii = fold_ascii;
	/* Looked up again now, because a message for the old table may have reset it. */
	cache.rules_relid = relid;
}

/*
 * Makes sure the cache is built and current for this top-level statement. Only the first
 * call of a statement does any work. Later calls in the same statement keep the rules
 * it found, even if an invalidation arrives meanwhile.
 */
void
EnsureCacheCurrent(void)
{
	LocalTransactionId lxid = MyProc->lxid;
	TimestampTz statement_start = GetCurrentStatementStartTimestamp();

	if (cache.classifier != nullptr && cache.statement_lxid == lxid &&
		cache.statement_start == statement_start)
		return;

	/* A statement may hold every lock it needs already, so no message may have been
	 * read since the last statement. */
	uint64		count_before_accept = cache.invalidation_count;

	AcceptInvalidationMessages();

	bool		recheck_due = cache.recheck &&
		(!cache.recheck_needs_new_transaction || cache.recheck_lxid != lxid);

	if (cache.classifier == nullptr || !cache.valid || recheck_due)
	{
		bool		invalidated = (cache.classifier != nullptr && !cache.valid) ||
			cache.invalidation_count != count_before_accept;
		uint64		count_before_build = cache.invalidation_count;

		cache.valid = true;
		PG_TRY();
		{
			RebuildCache();
		}
		PG_CATCH();
		{
			cache.valid = false;
			PG_RE_THROW();
		}
		PG_END_TRY();

		cache.recheck = invalidated || cache.invalidation_count != count_before_build;
		cache.recheck_needs_new_transaction = IsolationUsesXactSnapshot();
		cache.recheck_lxid = lxid;
	}
	cache.statement_lxid = lxid;
	cache.statement_start = statement_start;
}

/* Returns a palloc'd copy of a cached text, because the caller may free its result. */
Datum
CopyCachedText(const text *value)
{
	Size		size = VARSIZE(value);
	text	   *copy = (text *) palloc(size);

	memcpy(copy, value, size);
	return PointerGetDatum(copy);
}

/*
 * Runs the classifier, lowering the text with SQL lower() semantics when the core cannot
 * fold it by itself. Returns the winning rule index, or -1 when no rule matches.
 */
int32
MatchWinner(const char *data, int len, bool has_text, const char *code, int code_len,
			bool has_code)
{
	int32		winner = -1;
	uhc::MatchResult result = uhc::MatchResult::NeedsLowering;

	if (!has_text || cache.fold_ascii)
		result = uhc::ClassifierMatch(cache.classifier, data, (std::size_t) len, has_text,
									  code, (std::size_t) code_len, has_code,
									  has_text, &winner);
	if (result == uhc::MatchResult::NeedsLowering)
	{
		/* Lowering may change the byte length, so the lowered string is measured again. */
		char	   *lowered = str_tolower(data, (size_t) len, DEFAULT_COLLATION_OID);

		result = uhc::ClassifierMatch(cache.classifier, lowered, strlen(lowered), true,
									  code, (std::size_t) code_len, has_code, false, &winner);
		pfree(lowered);
	}
	return result == uhc::MatchResult::Matched ? winner : -1;
}

/* Appends one row to the explain_classification result. */
void
PutExplainRow(ReturnSetInfo *rsinfo, const CachedRule *rule, const text *group_name,
			  bool winner, const char *reason)
{
	Datum		values[7];
	bool		nulls[7] = {false};

	if (rule != nullptr)
	{
		values[0] = Int32GetDatum(rule->rule_id);
		values[1] = PointerGetDatum(rule->pattern);
		values[2] = CStringGetTextDatum(MatchKindName(rule->kind));
		values[3] = Int32GetDatum(rule->priority);
	}
	else
		nulls[0] = nulls[1] = nulls[2] = nulls[3] = true;
	if (group_name != nullptr)
		values[4] = PointerGetDatum(group_name);
	else
		nulls[4] = true;
	values[5] = BoolGetDatum(winner);
	values[6] = CStringGetTextDatum(reason);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* Explains why rule index loser (a matching rule) lost to winner. */
const char *
LoserReason(int32 loser, int32 winner)
{
	const CachedRule *l = &cache.rules[loser];
	const CachedRule *w = &cache.rules[winner];

	if (w->kind == uhc::MatchKind::Code)
		return psprintf("code rule %d matches the procedure code and takes precedence over text rules",
						w->rule_id);
	if (l->priority > w->priority)
		return psprintf("rule %d has a lower priority value (%d)", w->rule_id, w->priority);
	return psprintf("rule %d has the same priority and a lower rule_id", w->rule_id);
}

/* Explains why winner won among the matching rules flagged in matched. */
const char *
WinnerReason(int32 winner, const uint8 *matched)
{
	const CachedRule *w = &cache.rules[winner];
	bool		others = false;
	bool		tie = false;

	if (w->kind == uhc::MatchKind::Code)
		return "code rule: the procedure code matches, and code rules take precedence over text rules";
	for (int32 i = 0; i < cache.rule_count; i++)
	{
		if (i == winner || !matched[i])
			continue;
		others = true;
		tie = tie || cache.rules[i].priority == w->priority;
	}
	if (!others)
		return "the only matching rule";
	if (tie)
		return "lowest priority value among the matching rules, and the lowest rule_id among those with that priority";
	return "lowest priority value among the matching rules";
}

}								/* namespace */

extern "C" {

/*
 * SQL function: uhc_reporting.classify(description text) returns text
 * STRICT, so description is never NULL here.
 */
Datum
uhc_classify(PG_FUNCTION_ARGS)
{
	text	   *description = PG_GETARG_TEXT_PP(0);
	int32		winner;

	EnsureCacheCurrent();
	winner = MatchWinner(VARDATA_ANY(description), VARSIZE_ANY_EXHDR(description), true,
						 nullptr, 0, false);
	if (winner >= 0)
		return CopyCachedText(cache.rules[winner].group_name);
	return CopyCachedText(cache.default_group);
}

/*
 * SQL function: uhc_reporting.classify(description text, procedure_code text) returns text
 * A code rule matching procedure_code wins. Otherwise a NULL description gives NULL.
 */
Datum
uhc_classify_with_code(PG_FUNCTION_ARGS)
{
	bool		has_text = !PG_ARGISNULL(0);
	bool		has_code = !PG_ARGISNULL(1);
	text	   *description = has_text ? PG_GETARG_TEXT_PP(0) : nullptr;
	text	   *code = has_code ? PG_GETARG_TEXT_PP(1) : nullptr;
	int32		winner;

	if (!has_text && !has_code)
		PG_RETURN_NULL();
	EnsureCacheCurrent();
	winner = MatchWinner(has_text ? VARDATA_ANY(description) : nullptr,
						 has_text ? (int) VARSIZE_ANY_EXHDR(description) : 0, has_text,
						 has_code ? VARDATA_ANY(code) : nullptr,
						 has_code ? (int) VARSIZE_ANY_EXHDR(code) : 0, has_code);
	if (winner >= 0)
		return CopyCachedText(cache.rules[winner].group_name);
	if (!has_text)
		PG_RETURN_NULL();
	return CopyCachedText(cache.default_group);
}

/*
 * SQL function: uhc_reporting.explain_classification(description text, procedure_code text)
 * returns table(rule_id, pattern, match_kind, priority, group_name, winner, reason)
 * Lists every matching enabled rule. The winner comes from the same automaton as
 * classify(). The matching rules come from checking each rule on its own, and an
 * internal error is raised if the two disagree.
 */
Datum
uhc_explain_classification(PG_FUNCTION_ARGS)
{
	bool		has_text = !PG_ARGISNULL(0);
	bool		has_code = !PG_ARGISNULL(1);
	text	   *description = has_text ? PG_GETARG_TEXT_PP(0) : nullptr;
	text	   *code = has_code ? PG_GETARG_TEXT_PP(1) : nullptr;
	const char *code_data = has_code ? VARDATA_ANY(code) : nullptr;
	int			code_len = has_code ? (int) VARSIZE_ANY_EXHDR(code) : 0;
	char	   *lowered = nullptr;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		winner;
	uint8	   *matched;
	int32		matched_count = 0;

	InitMaterializedSRF(fcinfo, 0);
	EnsureCacheCurrent();

	if (has_text)
		lowered = str_tolower(VARDATA_ANY(description), VARSIZE_ANY_EXHDR(description),
							  DEFAULT_COLLATION_OID);
	winner = MatchWinner(has_text ? VARDATA_ANY(description) : nullptr,
						 has_text ? (int) VARSIZE_ANY_EXHDR(description) : 0, has_text,
						 code_data, code_len, has_code);
	matched = (uint8 *) palloc0(cache.rule_count + 1);
	(void) uhc::ClassifierMatchAll(cache.classifier, lowered,
								   lowered != nullptr ? strlen(lowered) : 0, has_text,
								   code_data, (std::size_t) code_len, has_code, false, matched);
	for (int32 i = 0; i < cache.rule_count; i++)
		matched_count += matched[i];

	/* Code rules win over text rules and are checked first, so the winner is the
	 * first match in rank order, code rules first. */
	int32		expected = -1;

	for (int pass = 0; pass < 2 && expected < 0; pass++)
		for (int32 i = 0; i < cache.rule_count && expected < 0; i++)
			if (matched[i] && (cache.rules[i].kind == uhc::MatchKind::Code) == (pass == 0))
				expected = i;
	if (expected != winner)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("procedure classifier and its explanation disagree"),
				 errdetail("The automaton chose rule index %d, a rule-by-rule check chose %d.",
						   winner, expected)));

	if (winner < 0)
	{
		if (has_text)
			PutExplainRow(rsinfo, nullptr, cache.default_group, true,
						  "no enabled rule matches, so the default group applies");
		else
			PutExplainRow(rsinfo, nullptr, nullptr, true,
						  "the description is NULL and no code rule matches, so the result is NULL");
		return (Datum) 0;
	}

	PutExplainRow(rsinfo, &cache.rules[winner], cache.rules[winner].group_name, true,
				  WinnerReason(winner, matched));
	for (int pass = 0; pass < 2; pass++)
		for (int32 i = 0; i < cache.rule_count; i++)
			if (i != winner && matched[i] &&
				(cache.rules[i].kind == uhc::MatchKind::Code) == (pass == 0))
				PutExplainRow(rsinfo, &cache.rules[i], cache.rules[i].group_name, false,
							  LoserReason(i, winner));
	return (Datum) 0;
}

/*
 * Trigger function: uhc_reporting.procedure_rules_changed()
 * Fired AFTER each statement that writes the rules, groups or settings tables. Queues a
 * relcache invalidation of the rules table: this backend processes it at the end of the
 * statement, other backends after the transaction commits.
 */
Datum
uhc_rules_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"procedure_rules_changed\" was not called by the trigger manager")));

	TriggerData *trigger_data = (TriggerData *) fcinfo->context;

	if (!TRIGGER_FIRED_FOR_STATEMENT(trigger_data->tg_event) ||
		!TRIGGER_FIRED_AFTER(trigger_data->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"procedure_rules_changed\" must be fired AFTER ... FOR EACH STATEMENT")));

	Oid			relid = LookupRulesRelid(true);

	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);
	return PointerGetDatum(NULL);
}

}								/* extern "C" */
