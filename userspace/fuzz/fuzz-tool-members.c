// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the grpsec tool's member file parser, line by line
 * as "member import" reads it (split_line(), member_line_parse(), and
 * the key literals through member_resolve_keys()), up to the first kernel
 * call.  The first byte picks the group's suite.  Besides memory safety:
 * no message the parser prints holds anything that looks like a key.
 */
#include "fuzz-tool.h"

struct options opt;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Key files are not read: only literal keys (and no absolute path). */
static bool literal_only(const struct key_ref *k)
{
	return !k->token || (k->token[0] != '/' && strcmp(k->token, "-"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t suite = size ? data[0] % 4 : 1;
	struct secret_file sf;
	unsigned int lineno = 0;

	fuzz_tool_begin(size ? data + 1 : data, size ? size - 1 : 0);
	if (secret_open(&sf, fuzz_tool_path()))
		abort();
	while (secret_getline(&sf)) {
		struct member_spec spec = { .group = 1 };
		char *tok[16], where[32];
		int ntok;

		snprintf(where, sizeof(where), "members:%u", ++lineno);
		ntok = split_line(sf.line, tok, 16);
		if (ntok <= 0)
			continue;
		if (!member_line_parse(tok, ntok, &spec, FUZZ_TOOL_NODIR, where)) {
			FUZZ_CHECK(spec.id && spec.has_key && spec.key.token);
			FUZZ_CHECK(spec.has_next == !!spec.next_key.token);
			if (literal_only(&spec.key) && literal_only(&spec.next_key) &&
			    !member_resolve_keys(&spec, suite))
				FUZZ_CHECK(spec.key.len == suite_key_len(suite));
		}
		member_spec_free(&spec);
	}
	secret_close(&sf);
	fuzz_tool_end();
	return 0;
}
