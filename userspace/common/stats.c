// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Counter names, as Documentation/statistics.rst lists them.  Shared by
 * the grpsec tool and grpsec-gw.
 */
#include <stddef.h>

#include "stats.h"

static const char *const stats_names[] = {
	[GRPSEC_A_STATS_RX_FRAMES] = "rx-frames",
	[GRPSEC_A_STATS_RX_BYTES] = "rx-bytes",
	[GRPSEC_A_STATS_VERIFIED] = "verified",
	[GRPSEC_A_STATS_FORWARDED] = "forwarded",
	[GRPSEC_A_STATS_BATCHES] = "batches",
	[GRPSEC_A_STATS_BATCH_BYTES] = "batch-bytes",
	[GRPSEC_A_STATS_DROP_TRUNCATED] = "drop-truncated",
	[GRPSEC_A_STATS_DROP_BAD_VERSION] = "drop-bad-version",
	[GRPSEC_A_STATS_DROP_BAD_HEADER] = "drop-bad-header",
	[GRPSEC_A_STATS_DROP_OVERSIZE] = "drop-oversize",
	[GRPSEC_A_STATS_DROP_UNKNOWN_GROUP] = "drop-unknown-group",
	[GRPSEC_A_STATS_DROP_UNKNOWN_MEMBER] = "drop-unknown-member",
	[GRPSEC_A_STATS_DROP_STALE_EPOCH] = "drop-stale-epoch",
	[GRPSEC_A_STATS_DROP_BAD_TAG] = "drop-bad-tag",
	[GRPSEC_A_STATS_DROP_REPLAY] = "drop-replay",
	[GRPSEC_A_STATS_DROP_EPOCH_LIMIT] = "drop-epoch-limit",
	[GRPSEC_A_STATS_DROP_NO_UPSTREAM] = "drop-no-upstream",
	[GRPSEC_A_STATS_DROP_QUEUE_FULL] = "drop-queue-full",
	[GRPSEC_A_STATS_DROP_NOMEM] = "drop-nomem",
	[GRPSEC_A_STATS_TX_ERRORS] = "tx-errors",
	[GRPSEC_A_STATS_DROP_RATE_LIMIT] = "drop-rate-limit",
	[GRPSEC_A_STATS_DOWNLINKS] = "downlinks",
	[GRPSEC_A_STATS_DL_DROP_MALFORMED] = "dl-drop-malformed",
	[GRPSEC_A_STATS_DL_DROP_BAD_TAG] = "dl-drop-bad-tag",
	[GRPSEC_A_STATS_DL_DROP_REPLAY] = "dl-drop-replay",
	[GRPSEC_A_STATS_DL_DROP_UNKNOWN] = "dl-drop-unknown",
	[GRPSEC_A_STATS_TX_FRAMES] = "tx-frames",
	[GRPSEC_A_STATS_TX_NO_ENDPOINT] = "tx-no-endpoint",
	[GRPSEC_A_STATS_DELIVERED] = "delivered",
	[GRPSEC_A_STATS_DROP_INNER_TAG] = "drop-inner-tag",
	[GRPSEC_A_STATS_DROP_UNAUTH_LIMIT] = "drop-unauth-limit",
};

const char *stats_name(int attr)
{
	if (attr > 0 && attr < (int)(sizeof(stats_names) / sizeof(stats_names[0])))
		return stats_names[attr];
	return NULL;
}
