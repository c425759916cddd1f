// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop: timers in deadline order, periodic and one-shot,
 * re-armed and deleted from their own callback; descriptors; an event
 * for a descriptor removed earlier in the same round is not delivered;
 * signals through the signalfd.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../loop.h"

static int failed;

#define CHECK(cond, ...) do {					\
	if (!(cond)) {						\
		printf("FAIL: " __VA_ARGS__);			\
		printf("\n");					\
		failed++;					\
	}							\
} while (0)

struct state {
	struct loop *l;
	char order[32];
	int nfired, periodic, pipe_a[2], pipe_b[2], a_seen, b_seen, signals;
	struct loop_timer *periodic_t;
};

static void mark(struct loop_timer *t, void *arg);

struct mark_arg {
	struct state *s;
	char c;
} marks[5];

static void mark(struct loop_timer *t, void *arg)
{
	struct mark_arg *m = arg;

	m->s->order[m->s->nfired++] = m->c;
	loop_timer_del(t);		/* a one-shot timer deleting itself */
}

static void tick(struct loop_timer *t, void *arg)
{
	struct state *s = arg;

	if (++s->periodic == 3)
		loop_timer_stop(t);
}

/* Both pipes are readable in the same round: whichever runs first
 * removes the other, whose pending event must not be delivered. */
static void on_pipe(int fd, uint32_t events, void *arg)
{
	struct state *s = arg;
	char c;

	(void)events;
	if (read(fd, &c, 1) != 1)
		return;
	if (fd == s->pipe_a[0]) {
		s->a_seen++;
		loop_fd_del(s->l, s->pipe_b[0]);
	} else {
		s->b_seen++;
		loop_fd_del(s->l, s->pipe_a[0]);
	}
}

static void on_signal(int signo, void *arg)
{
	struct state *s = arg;

	if (signo == SIGUSR1)
		s->signals++;
}

static void stop(struct loop_timer *t, void *arg)
{
	loop_timer_del(t);
	loop_stop(arg, 7);
}

int main(void)
{
	static const uint64_t delay[] = { 40, 10, 30, 0, 20 };
	struct state s = { 0 };
	uint64_t t0;
	int rc;

	s.l = loop_new();
	for (int i = 0; i < 5; i++) {
		marks[i] = (struct mark_arg){ &s, "EBDAC"[i] };
		CHECK(loop_timer_add(s.l, delay[i], 0, mark, &marks[i]),
		      "timer %d", i);
	}
	s.periodic_t = loop_timer_add(s.l, 5, 5, tick, &s);
	CHECK(!pipe(s.pipe_a) && !pipe(s.pipe_b), "pipes");
	CHECK(!loop_fd_add(s.l, s.pipe_a[0], EPOLLIN, on_pipe, &s), "fd a");
	CHECK(!loop_fd_add(s.l, s.pipe_b[0], EPOLLIN, on_pipe, &s), "fd b");
	CHECK(loop_fd_add(s.l, s.pipe_b[0], EPOLLIN, on_pipe, &s) < 0,
	      "a descriptor added twice");
	CHECK(write(s.pipe_a[1], "x", 1) == 1 && write(s.pipe_b[1], "x", 1) == 1,
	      "write");
	CHECK(!loop_signal_add(s.l, SIGUSR1, on_signal, &s), "signal");
	raise(SIGUSR1);
	loop_timer_add(s.l, 100, 0, stop, s.l);

	t0 = loop_now_ms();
	rc = loop_run(s.l);
	CHECK(rc == 7, "loop_run returned %d", rc);
	CHECK(loop_now_ms() - t0 >= 100, "stopped after %llu ms",
	      (unsigned long long)(loop_now_ms() - t0));
	CHECK(!strcmp(s.order, "ABCDE"), "timers fired as %s", s.order);
	CHECK(s.periodic == 3, "periodic timer fired %d times", s.periodic);
	CHECK(s.a_seen + s.b_seen == 1, "pipe events: a %d, b %d", s.a_seen,
	      s.b_seen);
	CHECK(s.signals == 1, "signals %d", s.signals);

	/* A stopped timer re-armed fires again. */
	loop_timer_set(s.periodic_t, 1, 0);
	loop_timer_add(s.l, 20, 0, stop, s.l);
	loop_run(s.l);
	CHECK(s.periodic == 4, "re-armed timer: %d", s.periodic);
	loop_timer_del(s.periodic_t);
	loop_free(s.l);
	printf("%d failed\n", failed);
	return failed ? 1 : 0;
}
