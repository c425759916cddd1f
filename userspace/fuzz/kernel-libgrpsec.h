/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the fuzz targets that link the kernel's pure-logic files (renamed
 * with -D) beside libgrpsec: include this after the kernel headers.  The
 * kernel's wire.h and libgrpsec name a few constants and the renamed
 * symbols alike; this undoes the kernel's names, then brings in
 * libgrpsec's.
 */
#undef GRPSEC_UPLINK_OVERHEAD
#undef GRPSEC_UPLINK_HEAD_LEN
#undef GRPSEC_INNER_OVERHEAD
#undef GRPSEC_NONCE_LEN
#undef GRPSEC_TAG_LEN
#undef GRPSEC_MAX_PAYLOAD
#undef grpsec_uplink
#undef grpsec_uplink_parse
#undef grpsec_seq_nonce
#undef grpsec_batch
#undef grpsec_batch_init
#undef grpsec_batch_add
#undef grpsec_batch_entry
#undef grpsec_downlink_parse
#undef grpsec_downlink_frame
#undef grpsec_mframe
#undef grpsec_mframe_build
#undef grpsec_command_layout
#include "grpsec.h"
