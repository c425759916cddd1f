// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop (loop.h).  Descriptors are indexed by number: the epoll
 * data carries the number and a generation, so an event for a slot that
 * was removed or reused since the epoll_wait is recognised and dropped.
 * Timers are a binary min-heap on their deadline.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

struct loop_slot {
	loop_fd_fn fn;
	void *arg;
	uint32_t gen;
	bool used;
};

struct loop_timer {
	struct loop *loop;
	uint64_t deadline, period;
	loop_timer_fn fn;
	void *arg;
	size_t pos;		/* index in the heap, or NOT_ARMED */
};

#define NOT_ARMED	SIZE_MAX
#define LOOP_EVENTS	64

struct loop {
	int epfd;
	struct loop_slot *slots;
	size_t nslots;
	struct loop_timer **heap;
	size_t nheap, heapcap;
	size_t ntimers;		/* allocated; the heap has room for all */
	int sigfd;
	sigset_t sigmask;
	struct {
		loop_signal_fn fn;
		void *arg;
	} sig[_NSIG];
	bool stop;
	int rc;
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->sigfd = -1;
	sigemptyset(&l->sigmask);
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->sigfd >= 0)
		close(l->sigfd);
	close(l->epfd);
	for (size_t i = 0; i < l->nheap; i++)
		l->heap[i]->pos = NOT_ARMED;
	free(l->heap);
	free(l->slots);
	free(l);
}

static int slot_grow(struct loop *l, int fd)
{
	size_t n = l->nslots ? l->nslots : 64;
	struct loop_slot *s;

	while (n <= (size_t)fd)
		n *= 2;
	s = realloc(l->slots, n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + l->nslots, 0, (n - l->nslots) * sizeof(*s));
	l->slots = s;
	l->nslots = n;
	return 0;
}

static uint64_t slot_data(struct loop *l, int fd)
{
	return (uint64_t)l->slots[fd].gen << 32 | (uint32_t)fd;
}

int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
		void *arg)
{
	struct epoll_event ev = { .events = events };
	struct loop_slot *s;

	if (fd < 0)
		return -EBADF;
	if ((size_t)fd >= l->nslots && slot_grow(l, fd))
		return -ENOMEM;
	s = &l->slots[fd];
	if (s->used)
		return -EEXIST;
	s->gen++;
	ev.data.u64 = slot_data(l, fd);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	s->fn = fn;
	s->arg = arg;
	s->used = true;
	return 0;
}

int loop_fd_mod(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	if (fd < 0 || (size_t)fd >= l->nslots || !l->slots[fd].used)
		return -ENOENT;
	ev.data.u64 = slot_data(l, fd);
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

int loop_fd_del(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nslots || !l->slots[fd].used)
		return -ENOENT;
	l->slots[fd].used = false;
	l->slots[fd].gen++;
	return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) ? -errno : 0;
}

/* The heap: heap[0] has the earliest deadline. */
static void heap_place(struct loop *l, struct loop_timer *t, size_t i)
{
	l->heap[i] = t;
	t->pos = i;
}

static void heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i) {
		size_t parent = (i - 1) / 2;

		if (l->heap[parent]->deadline <= t->deadline)
			break;
		heap_place(l, l->heap[parent], i);
		i = parent;
	}
	heap_place(l, t, i);
}

static void heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap &&
		    l->heap[c + 1]->deadline < l->heap[c]->deadline)
			c++;
		if (t->deadline <= l->heap[c]->deadline)
			break;
		heap_place(l, l->heap[c], i);
		i = c;
	}
	heap_place(l, t, i);
}

static void heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->pos;
	struct loop_timer *last;

	t->pos = NOT_ARMED;
	last = l->heap[--l->nheap];
	if (last == t)
		return;
	heap_place(l, last, i);
	heap_up(l, i);
	heap_down(l, last->pos);
}

static int heap_reserve(struct loop *l, size_t n)
{
	size_t cap = l->heapcap ? l->heapcap : 64;
	struct loop_timer **h;

	while (cap < n)
		cap *= 2;
	if (cap == l->heapcap)
		return 0;
	h = realloc(l->heap, cap * sizeof(*h));
	if (!h)
		return -ENOMEM;
	l->heap = h;
	l->heapcap = cap;
	return 0;
}

/* Cannot fail: loop_timer_add() made room for every timer. */
static void heap_insert(struct loop *l, struct loop_timer *t)
{
	heap_place(l, t, l->nheap++);
	heap_up(l, t->pos);
}

void loop_timer_stop(struct loop_timer *t)
{
	if (t && t->pos != NOT_ARMED)
		heap_remove(t->loop, t);
}

void loop_timer_set(struct loop_timer *t, uint64_t first_ms,
		    uint64_t period_ms)
{
	loop_timer_stop(t);
	t->deadline = loop_now_ms() + first_ms;
	t->period = period_ms;
	heap_insert(t->loop, t);
}

struct loop_timer *loop_timer_add(struct loop *l, uint64_t first_ms,
				  uint64_t period_ms, loop_timer_fn fn,
				  void *arg)
{
	struct loop_timer *t;

	if (heap_reserve(l, l->ntimers + 1))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	l->ntimers++;
	t->loop = l;
	t->fn = fn;
	t->arg = arg;
	t->pos = NOT_ARMED;
	loop_timer_set(t, first_ms, period_ms);
	return t;
}

void loop_timer_del(struct loop_timer *t)
{
	if (!t)
		return;
	loop_timer_stop(t);
	t->loop->ntimers--;
	free(t);
}

static void signal_read(int fd, uint32_t events, void *arg)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo < _NSIG && l->sig[si.ssi_signo].fn)
			l->sig[si.ssi_signo].fn(si.ssi_signo,
						l->sig[si.ssi_signo].arg);
	}
}

int loop_signal_add(struct loop *l, int signo, loop_signal_fn fn, void *arg)
{
	int fd;

	if (signo <= 0 || signo >= _NSIG)
		return -EINVAL;
	sigaddset(&l->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL))
		return -errno;
	fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sigfd < 0) {
		int err = loop_fd_add(l, fd, EPOLLIN, signal_read, l);

		if (err) {
			close(fd);
			return err;
		}
		l->sigfd = fd;
	}
	l->sig[signo].fn = fn;
	l->sig[signo].arg = arg;
	return 0;
}

void loop_stop(struct loop *l, int rc)
{
	l->stop = true;
	l->rc = rc;
}

/* Fire the timers that are due; the epoll timeout until the next one. */
static int timers_run(struct loop *l)
{
	uint64_t now = loop_now_ms();

	while (l->nheap && l->heap[0]->deadline <= now && !l->stop) {
		struct loop_timer *t = l->heap[0];

		heap_remove(l, t);
		if (t->period) {
			t->deadline = now + t->period;
			heap_insert(l, t);
		}
		t->fn(t, t->arg);
		now = loop_now_ms();
	}
	if (!l->nheap)
		return -1;
	return l->heap[0]->deadline - now > 60000 ? 60000 :
	       (int)(l->heap[0]->deadline - now);
}

static void dispatch(struct loop *l, const struct epoll_event *ev)
{
	int fd = (int)(uint32_t)ev->data.u64;
	uint32_t gen = ev->data.u64 >> 32;
	struct loop_slot *s;

	if ((size_t)fd >= l->nslots)
		return;
	s = &l->slots[fd];
	if (s->used && s->gen == gen)
		s->fn(fd, ev->events, s->arg);
}

int loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_EVENTS];

	l->stop = false;
	while (!l->stop) {
		int timeout = timers_run(l), n;

		if (l->stop)
			break;
		n = epoll_wait(l->epfd, ev, LOOP_EVENTS, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n && !l->stop; i++)
			dispatch(l, &ev[i]);
	}
	return l->rc;
}
