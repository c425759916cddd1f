// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec-replay-cross: the backend's replay window (libgrpsec) against the
 * kernel's (kernel/replay.c, built here with the fuzzers' shim).  Both
 * ends of a link must refuse exactly the same sequences, or a backend
 * drops what a gateway forwarded (frames.rst, "Replay windows").  Prints
 * "ok N - name" / "not ok N - name" and exits non-zero on any failure.
 */
#include <inttypes.h>
#include <stdio.h>

/* Both name their window GRPSEC_REPLAY_WINDOW: keep the kernel's aside. */
#include "replay.h"
static const uint64_t kernel_window = GRPSEC_REPLAY_WINDOW;
#undef GRPSEC_REPLAY_WINDOW

#include "internal.h"

static unsigned int n_pass, n_fail;

static void result(bool ok, const char *name)
{
	printf("%s %u - %s\n", ok ? "ok" : "not ok", n_pass + n_fail + 1, name);
	if (ok)
		n_pass++;
	else
		n_fail++;
}

struct pair {
	struct grpsec_replay k;		/* the kernel's */
	struct grpsec_window w;		/* libgrpsec's */
};

static void pair_init(struct pair *p)
{
	grpsec_replay_init(&p->k);
	memset(&p->w, 0, sizeof(p->w));
}

/* Offer @seq to both; false (and a diagnostic) if they decide differently. */
static bool offer(struct pair *p, uint64_t seq)
{
	bool k_seen = grpsec_replay_seen(&p->k, seq);
	bool w_new = grpsec_window_check(&p->w, seq);
	bool k_ok = grpsec_replay_accept(&p->k, seq);

	if (w_new)
		grpsec_window_update(&p->w, seq);
	if (k_ok == w_new && k_seen == !k_ok)
		return true;
	printf("#   seq %" PRIu64 " (top %" PRIu64 "): kernel %s, libgrpsec %s\n", seq,
	       p->k.top, k_ok ? "accepts" : "refuses", w_new ? "accepts" : "refuses");
	return false;
}

/* The edge itself: GRPSEC_REPLAY_WINDOW behind the newest is the oldest kept. */
static void test_edge(void)
{
	static const uint64_t tops[] = { 961, 1000, 1024, 4096, 1ULL << 40, UINT64_MAX };
	bool ok = kernel_window == GRPSEC_REPLAY_WINDOW;
	struct pair p;

	for (unsigned int i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
		uint64_t t = tops[i];

		pair_init(&p);
		ok = offer(&p, t) && ok;
		ok = offer(&p, t - GRPSEC_REPLAY_WINDOW) && ok;
		ok = offer(&p, t - GRPSEC_REPLAY_WINDOW - 1) && ok;
		ok = offer(&p, t - GRPSEC_REPLAY_WINDOW) && ok;
		ok = grpsec_window_check(&p.w, t - 1) && ok;
		ok = !grpsec_window_check(&p.w, t - GRPSEC_REPLAY_WINDOW - 1) && ok;
	}
	result(ok, "GRPSEC_REPLAY_WINDOW behind the newest accepted, one more refused, by both");
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * A gateway's view: mostly new sequences, some reordered within and
 * around the window's edge, replays, and jumps of every size.
 */
static uint64_t next_seq(const struct pair *p)
{
	uint64_t top = p->k.top, r = rnd() % 100, d;

	if (r < 40)
		return top + 1 + rnd() % 8;
	if (r < 50)
		return top + 1 + rnd() % 5000;
	if (r < 52)
		return top + (rnd() % 64) * 1024 + 1;
	if (r < 75) {
		/* Around the edge: 955..966 behind. */
		d = GRPSEC_REPLAY_WINDOW - 5 + rnd() % 12;
		return top > d ? top - d : 1 + rnd() % 4;
	}
	d = rnd() % 1100;
	return top > d ? top - d : 0;
}

static void test_random(void)
{
	unsigned int accepted = 0, steps = 0;
	struct pair p;
	bool ok = true;

	for (unsigned int run = 0; run < 20 && ok; run++) {
		pair_init(&p);
		for (unsigned int i = 0; i < 20000 && ok; i++, steps++) {
			uint64_t seq = next_seq(&p);

			ok = offer(&p, seq);
			accepted += p.k.top == seq;
		}
	}
	printf("# %u offers, %u raised the top\n", steps, accepted);
	result(ok, "the same decisions on 400000 mixed sequences");
}

int main(void)
{
	test_edge();
	test_random();
	printf("# %u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
