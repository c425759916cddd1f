// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the grpsec tool's configuration file parser
 * (conf_parse() in tool/conf.c, included here for its static functions),
 * the way setconf and syncconf read a file, up to the first kernel call.
 * Besides memory safety: a file the parser accepts is consistent (each
 * member belongs to a group of the file, an [Upstream] is complete), and
 * no message the parser prints holds anything that looks like a key.
 */
#include "fuzz-tool.h"
#include "../tool/conf.c"

struct options opt;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;

	fuzz_tool_begin(data, size);
	if (!conf_parse(&c, fuzz_tool_path())) {
		for (size_t i = 0; i < c.nmembers; i++)
			FUZZ_CHECK(conf_group_find(&c, c.members[i].group));
		FUZZ_CHECK(!c.has_upstream ||
			   (HAVE(&c.up.rec, GRPSEC_A_UPSTREAM_ENDPOINT) &&
			    HAVE(&c.up.rec, GRPSEC_A_UPSTREAM_GATEWAY_ID) &&
			    c.up.has_key));
	}
	conf_free(&c);
	fuzz_tool_end();
	return 0;
}
