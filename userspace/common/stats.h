/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The gateway's counters by the names Documentation/statistics.rst gives
 * them ("drop-bad-tag" for GRPSEC_A_STATS_DROP_BAD_TAG): one spelling for
 * the grpsec tool and the userspace reference gateway grpsec-gw, so that
 * their counters can be compared name by name.
 */
#ifndef GRPSEC_COMMON_STATS_H
#define GRPSEC_COMMON_STATS_H

#include <linux/grpsec.h>

/* The name of GRPSEC_A_STATS_* @attr, or NULL (padding, out of range). */
const char *stats_name(int attr);

#endif /* GRPSEC_COMMON_STATS_H */
