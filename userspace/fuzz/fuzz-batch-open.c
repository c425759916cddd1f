// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libFuzzer target: grpsec_backend_open_batch(), the whole backend path.
 * The first input byte picks how the rest is used:
 *   0  a raw batch datagram (the fuzzer must get past the tag by itself:
 *      only the parser and the early checks are reached);
 *   1  everything before the tag; the target appends the correct tag
 *      under K_up, so entries are opened and replay state is exercised;
 *   2  a script of up to 48 6-byte records that builds genuine entries from real
 *      members (both modes, all suites) and mutates them, over several
 *      batches: re-attribution, tampering, replays, leaked ids.
 * The groups and K_up are those of Documentation/vectors/v2.txt, so the
 * vector batches make good seeds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpsec.h"
#include "internal.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

#define GATEWAY		0x00c0ffeeU
#define EPOCH		0x00020001U
#define UP_SUITE	GRPSEC_SUITE_AES_128_GCM

static uint8_t k_up[16], s_e2e[32], k_g[32];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static uint32_t group_of(unsigned int suite, unsigned int mode)
{
	return 0x10000000U | suite << 8 | mode;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t up_secret[32];

	(void)argc;
	(void)argv;
	for (unsigned int i = 0; i < 32; i++) {
		s_e2e[i] = (uint8_t)(0x20 + i);
		k_g[i] = (uint8_t)(0x40 + i);
		up_secret[i] = (uint8_t)(0x60 + i);
	}
	if (grpsec_kdf_upstream_key(UP_SUITE, up_secret, GATEWAY, k_up, sizeof(k_up)))
		abort();
	return 0;
}

static struct grpsec_backend *backend(void)
{
	struct grpsec_backend_config cfg = {
		.gateway = GATEWAY, .suite = UP_SUITE, .upstream_key = k_up,
	};
	struct grpsec_backend *be;

	if (grpsec_backend_new(&cfg, &be))
		abort();
	for (unsigned int suite = 1; suite <= 3; suite++) {
		for (unsigned int mode = 0; mode <= 1; mode++) {
			struct grpsec_backend_group g = {
				.group = group_of(suite, mode), .epoch = EPOCH, .mode = mode,
				.suite = suite, .key = mode ? s_e2e : k_g, .nonce_cache_max = 64,
			};

			if (grpsec_backend_add_group(be, &g))
				abort();
		}
	}
	return be;
}

struct tally {
	unsigned int n;
};

static int entry_cb(void *arg, const struct grpsec_entry *e)
{
	struct tally *t = arg;

	CHECK(e->index == t->n);
	CHECK((unsigned int)e->status < __GRPSEC_ENTRY_MAX);
	if (e->status == GRPSEC_ENTRY_OK) {
		CHECK(e->payload && e->payload_len <= GRPSEC_MAX_PAYLOAD);
		CHECK(e->mode == GRPSEC_MODE_IDENTIFIED ? e->member && e->seq : !e->member);
		/* Touch every byte so ASan checks the plaintext buffer. */
		for (size_t i = 0; i < e->payload_len; i++)
			t->n += e->payload[i] & 0;
	} else {
		CHECK(!e->payload);
	}
	t->n++;
	return 0;
}

static int open_checked(struct grpsec_backend *be, const uint8_t *buf, size_t len)
{
	struct grpsec_backend_stats before, after;
	struct grpsec_batch_info info;
	struct tally t = { 0 };
	int err;

	grpsec_backend_get_stats(be, &before);
	err = grpsec_backend_open_batch(be, buf, len, &info, entry_cb, &t);
	grpsec_backend_get_stats(be, &after);
	CHECK(after.batches == before.batches + 1);
	CHECK(after.tag_checks <= before.tag_checks + 1);
	if (!err) {
		CHECK(t.n == info.count);
		CHECK(after.entries == before.entries + info.count);
		CHECK(grpsec_backend_last_seq(be) == info.seq);
	} else {
		CHECK(t.n == 0 && after.entries == before.entries);
	}
	return err;
}

/*
 * Append the K_up tag to @body (which has room for it).  A body whose
 * entries do not fill it has no batch tag and gets zeroes: the parser
 * refuses it before any tag matters.
 */
static size_t seal_body(uint8_t *body, size_t len)
{
	uint64_t seq = len >= 16 ? get_be64(body + 8) : 0;
	struct grpsec_aead a;
	int err;

	if (grpsec_aead_init(&a, UP_SUITE, k_up, true))
		abort();
	err = grpsec_batch_tag(&a, seq, body, len, body + len);
	grpsec_aead_uninit(&a);
	if (err == -EPROTO)
		memset(body + len, 0, GRPSEC_TAG_LEN);
	else if (err)
		abort();
	return len + GRPSEC_TAG_LEN;
}

/* Mode 2: records of 6 bytes. */
static void run_script(struct grpsec_backend *be, const uint8_t *p, size_t n)
{
	static uint8_t batch[GRPSEC_BATCH_MAX_LEN];
	struct grpsec_batch_builder b;
	uint64_t bseq = 1;
	size_t len;

	/* Each record seals a frame: keep inputs fast by bounding them. */
	if (n > 48 * 6)
		n = 48 * 6;
	grpsec_batch_init(&b, batch, 8192, GATEWAY, UP_SUITE);
	for (; n >= 6; p += 6, n -= 6) {
		unsigned int suite = 1 + p[0] % 3, mode = (p[0] >> 2) & 1;
		uint32_t member = 1 + p[1] % 8;
		uint64_t seq = 1 + (p[2] | (uint64_t)(p[3] & 7) << 8);
		unsigned int mutation = p[4] % 10;
		size_t plen = p[5] % 48;
		uint8_t k_m[32] = { 0 }, k_in[32], frame[GRPSEC_UPLINK_MAX_LEN], payload[48] = { 0 };
		struct grpsec_member_config mc = {
			.group = group_of(suite, mode), .member = member, .epoch = EPOCH,
			.mode = mode, .suite = suite, .member_key = k_m, .inner_key = k_in,
			.seq_reserved = seq - 1,
		};
		struct grpsec_member *m;
		struct grpsec_uplink u;
		uint8_t inner[GRPSEC_INNER_MAX_LEN];
		uint32_t e_member, e_epoch = EPOCH;
		unsigned int e_mode = mode, e_suite = suite;
		size_t flen;

		if (p[0] & 0x80) {	/* flush: seal and open the batch so far */
			if (b.count) {
				if (grpsec_batch_seal(&b, (p[0] & 0x40) ? bseq : ++bseq, k_up, &len))
					abort();
				open_checked(be, batch, len);
				grpsec_batch_init(&b, batch, 8192, GATEWAY, UP_SUITE);
			}
			continue;
		}
		if (mode)
			grpsec_kdf_e2e_key(suite, s_e2e, mc.group, EPOCH, member, k_in,
					   grpsec_suite_key_len(suite));
		else
			memcpy(k_in, k_g, sizeof(k_in));
		if (grpsec_member_new(&mc, &m))
			abort();
		payload[0] = p[5];
		if (mode)
			CHECK(!grpsec_member_seal_uplink(m, payload, plen, frame, sizeof(frame), &flen));
		else
			/* Anonymous nonces from the script, so replays can happen. */
			CHECK(!grpsec_member_seal_uplink_nonce(m, (uint8_t[12]){ p[1], p[2], p[3] },
							       payload, plen, frame, sizeof(frame),
							       &flen));
		grpsec_member_free(m);
		CHECK(!grpsec_uplink_parse(frame, flen, &u));
		memcpy(inner, u.inner, u.inner_len);
		e_member = mode ? member : 0;
		switch (mutation) {
		case 1: inner[p[5] % u.inner_len] ^= 1 << (p[3] % 8); break;
		case 2: e_member = 1 + (member % 8); break;	/* re-attribution */
		case 3: e_epoch++; break;
		case 4: e_member = member; break;		/* leaked id */
		case 5: e_mode ^= 1; break;
		case 6: e_suite = 1 + suite % 3; break;
		case 7: e_mode = 2 + p[5]; break;
		default: break;
		}
		if (grpsec_batch_add(&b, e_mode, e_suite, mc.group, e_epoch, e_member, inner,
				     u.inner_len))
			break;
	}
	if (b.count && !grpsec_batch_seal(&b, ++bseq, k_up, &len))
		open_checked(be, batch, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grpsec_backend *be;
	uint8_t *buf;

	if (!size || size > GRPSEC_BATCH_MAX_LEN)
		return 0;
	be = backend();
	buf = malloc(size + GRPSEC_TAG_LEN);
	if (!buf)
		abort();
	memcpy(buf, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		/* The same datagram must never be accepted twice. */
		if (!open_checked(be, buf, size - 1))
			CHECK(open_checked(be, buf, size - 1) == -ESTALE);
		break;
	case 1: {
		size_t len = seal_body(buf, size - 1);

		open_checked(be, buf, len);
		break;
	}
	default:
		run_script(be, data + 1, size - 1);
		break;
	}
	free(buf);
	grpsec_backend_free(be);
	return 0;
}
