/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event loop: one epoll set, timers on a heap (their deadline is the
 * epoll_wait timeout, so they cost no descriptor), signals through one
 * signalfd.  Everything runs in the loop's thread; a callback may add or
 * remove any descriptor or timer, including its own.
 *
 * A descriptor removed while events for it are pending gets no callback
 * for them; one added under the same number in the same round may see a
 * readiness that is not its own, so handlers treat EAGAIN as normal.
 */
#ifndef GRPSECD_LOOP_H
#define GRPSECD_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_timer;

/* events: the EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP bits that fired. */
typedef void (*loop_fd_fn)(int fd, uint32_t events, void *arg);
typedef void (*loop_timer_fn)(struct loop_timer *t, void *arg);
typedef void (*loop_signal_fn)(int signo, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watch fd for events (EPOLLIN, EPOLLOUT, ...); 0 or -errno. */
int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
		void *arg);
int loop_fd_mod(struct loop *l, int fd, uint32_t events);
/* Stop watching fd (the caller closes it); 0 or -errno. */
int loop_fd_del(struct loop *l, int fd);

/*
 * A timer that fires after first_ms, then every period_ms (0: once).  A
 * one-shot timer stays allocated after it fires, disarmed, until
 * loop_timer_del(); loop_timer_set() re-arms either kind.
 */
struct loop_timer *loop_timer_add(struct loop *l, uint64_t first_ms,
				  uint64_t period_ms, loop_timer_fn fn,
				  void *arg);
void loop_timer_set(struct loop_timer *t, uint64_t first_ms,
		    uint64_t period_ms);
void loop_timer_stop(struct loop_timer *t);
void loop_timer_del(struct loop_timer *t);

/* Deliver signo to fn from the loop (it is blocked for the process). */
int loop_signal_add(struct loop *l, int signo, loop_signal_fn fn, void *arg);

/* Run until loop_stop(); returns its rc, or -errno if epoll fails. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l, int rc);

/* CLOCK_MONOTONIC in milliseconds: what the timers count in. */
uint64_t loop_now_ms(void);

#endif
