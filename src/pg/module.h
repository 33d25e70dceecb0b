/*
 * module.h
 *     Declarations shared by the PostgreSQL glue files of uhc_reporting.
 *
 * Every glue file includes this header, never postgres.h directly, so that PostgreSQL's
 * C headers are always wrapped in extern "C" and included in the same order.
 */
#ifndef UHC_REPORTING_PG_MODULE_H
#define UHC_REPORTING_PG_MODULE_H

/*
 * The library is built with -fvisibility=hidden so that only PostgreSQL's entry points
 * are exported. PostgreSQL 15 defines PGDLLEXPORT as empty outside Windows, which would
 * hide the magic block, _PG_init and every PG_FUNCTION_INFO_V1 symbol too, so it is
 * defined here first (c.h keeps an existing definition).
 */
#ifndef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#endif

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

/* Each glue file defines its settings and callbacks in one of these, called by _PG_init. */
void uhc_keyring_init(void);
void uhc_classifier_init(void);

#endif /* UHC_REPORTING_PG_MODULE_H */
