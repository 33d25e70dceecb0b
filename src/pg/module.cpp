/*
 * module.cpp
 *     Module magic block and _PG_init of the uhc_reporting library.
 */
#include "pg/module.h"

extern "C" {
#include "utils/guc.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

/*
 * _PG_init runs once in every backend that loads the library. Settings are defined here,
 * before any SQL function runs, so that a value set in postgresql.conf is applied.
 */
void
_PG_init(void)
{
	uhc_keyring_init();
	uhc_classifier_init();
	MarkGUCPrefixReserved("uhc_reporting");
}
}
