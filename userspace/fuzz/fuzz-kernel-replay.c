// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: kernel/replay.c (built in userspace through kshim.h)
 * against a reference model that remembers every sequence it accepted:
 * a sequence is accepted exactly when it is not 0, not more than
 * GRPSEC_REPLAY_WINDOW behind the highest accepted one (or the floor),
 * and not accepted before; grpsec_replay_seen() predicts accept() without
 * changing anything.
 *
 * Input: byte 0 bit 0: start from a floor (bytes 1..8, be64); then
 * records of 3 bytes: op (bit 0: check seen() first; bit 1: a far jump),
 * be16 v.  The sequence is top - 1100 + v % 2400 (near the window's
 * edges), or top + v * 2^(op >> 2) for a far jump.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define MAX_OPS 4096

struct model {
	u64 top;		/* highest accepted, or the floor */
	u64 floor;		/* everything up to it counts as seen */
	u64 seen[MAX_OPS];
	size_t n;
};

static bool model_seen(const struct model *m, u64 seq)
{
	if (!seq || seq <= m->floor)
		return true;
	if (m->top > GRPSEC_REPLAY_WINDOW && seq < m->top - GRPSEC_REPLAY_WINDOW)
		return true;
	for (size_t i = 0; i < m->n; i++)
		if (m->seen[i] == seq)
			return true;
	return false;
}

static bool model_accept(struct model *m, u64 seq)
{
	if (model_seen(m, seq))
		return false;
	m->seen[m->n++] = seq;
	if (seq > m->top)
		m->top = seq;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct grpsec_replay r;
	size_t off = 1;

	if (size < 1)
		return 0;
	memset(&m, 0, sizeof(m));
	if ((data[0] & 1) && size >= 9) {
		m.floor = get_unaligned_be64(data + 1);
		/* The kernel never sets a floor the sequence space cannot pass. */
		if (m.floor > U64_MAX - GRPSEC_REPLAY_BITS)
			m.floor = U64_MAX - GRPSEC_REPLAY_BITS;
		m.top = m.floor;
		grpsec_replay_init_floor(&r, m.floor);
		off = 9;
	} else {
		grpsec_replay_init(&r);
	}
	for (; off + 3 <= size && m.n < MAX_OPS; off += 3) {
		u8 op = data[off];
		u64 v = get_unaligned_be16(data + off + 1), seq;
		bool want;

		if (op & 2)
			seq = m.top + (v << (op >> 2));
		else
			seq = m.top + v % 2400 - 1100;
		if (seq > U64_MAX - GRPSEC_REPLAY_BITS)
			continue;	/* wrap-around: the counters never get there */
		want = !model_seen(&m, seq);
		if (op & 1)
			CHECK(grpsec_replay_seen(&r, seq) == !want);
		CHECK(grpsec_replay_accept(&r, seq) == want);
		CHECK(model_accept(&m, seq) == want);
		CHECK(r.top == m.top);
	}
	return 0;
}
