/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Metrics: a registry of counters and gauges, served in the Prometheus
 * text format (version 0.0.4) at GET /metrics on MetricsListen, a
 * loopback address (metrics.c).
 *
 * The families are declared in one table in metrics.c (name, type, help,
 * at most one label); a part counts with metrics_count() under the
 * family's name and the label's value.  A series appears at its first
 * count.  m may be NULL (no MetricsListen, or a tool): nothing happens.
 */
#ifndef GRPSECD_METRICS_H
#define GRPSECD_METRICS_H

#include <stdint.h>

#include "grpsecd.h"

extern const struct grpsecd_part metrics_part;

/* Add n to family{label="value"} (value NULL: a family without label). */
void metrics_count(struct metrics *m, const char *family, const char *value,
		   uint64_t n);
/* Set a gauge family{label="value"} to v. */
void metrics_set(struct metrics *m, const char *family, const char *value,
		 double v);

#endif
