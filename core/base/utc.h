/* Times as people and JSON read them. */
#ifndef DA_BASE_UTC_H
#define DA_BASE_UTC_H

#include <time.h>

#define DA_UTC_LEN 21 /* "2026-12-03T16:55:33Z" and its NUL */

/* t as RFC 3339 UTC, "YYYY-MM-DDTHH:MM:SSZ", in out. */
void da_utc_format(time_t t, char out[DA_UTC_LEN]);

#endif
