/*
 * module.h
 *     Declarations shared by the PostgreSQL glue files of uhc_reporting.
 *
 * Every glue file includes this header, never postgres.h directly, so that PostgreSQL's
 * C headers are always wrapped in extern "C" and included in the same order.
 */
#ifndef UHC_REPORTING_PG_MODULE_H
#define UHC_REPORTING_PG_MODULE_H

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

/* Each glue file defines its settings and callbacks in one of these, called by _PG_init. */
void uhc_keyring_init(void);
void uhc_classifier_init(void);

#endif /* UHC_REPORTING_PG_MODULE_H */
