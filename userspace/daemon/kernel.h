/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gateway role's part "kernel" (kernel.c): grpsec.ko through its
 * generic netlink family.  It makes the module hold what a struct
 * gwstate says (a full dump compared with it, only the differences
 * sent), listens to the module's events (hints, never the truth), and
 * keeps the module's nonce counters from ever going back across
 * restarts with ranges reserved ahead in a state file, which also keeps
 * the members' replay floors for after a reload of the module
 * (grpsecd.rst, "Kernel events are hints" and "Nonce counters across
 * restarts").
 */
#ifndef GRPSECD_KERNEL_H
#define GRPSECD_KERNEL_H

#include <stdint.h>

#include "grpsecd.h"

#define KERNEL_STATE_PATH	"/var/lib/grpsecd/gateway.state"
/* Values reserved ahead of a nonce counter in the state file. */
#define KERNEL_SEQ_RESERVE	(1ULL << 32)
#define KERNEL_RECONCILE_MS	60000

struct gwstate;
struct loop;
struct kernel;

/* Write requests one reconciliation sent, by kind (members: requests). */
struct kernel_diff {
	unsigned int set_listen;
	unsigned int set_upstream, del_upstream;
	unsigned int new_group, set_group, del_group;
	unsigned int new_member, set_member, del_member;	/* requests */
	unsigned int members_new, members_set, members_del;	/* members */
	unsigned int failed;		/* requests or members refused */
	unsigned int dumps;		/* dumps read (a redone one counts) */
};

/* What the module's events asked for; set with kernel_set_hooks(). */
struct kernel_hooks {
	/* A frame named a member its group does not have (unauthenticated). */
	void (*unknown_member)(void *arg, uint32_t group, uint32_t member);
	/* An epoch of the group has carried 90% of its message limit. */
	void (*epoch_limit)(void *arg, uint32_t group, uint32_t epoch);
	/*
	 * A reconciliation of the loop's (armed) state ended: @err 0 when the
	 * module now holds all of it, else -errno (the next one tries again).
	 */
	void (*reconciled)(void *arg, int err);
	void *arg;
};

/* Events counted since the start (bursts are only logged and counted). */
struct kernel_counters {
	uint64_t unknown_member, bad_tag_burst, replay_burst, epoch_limit;
	uint64_t upstream_down, overruns, reconciles, reconcile_errors;
	uint64_t state_commits;
};

/*
 * kernel_open() - connect to the module (two sockets: requests, events),
 * read @state_path (NULL: KERNEL_STATE_PATH; a missing file: nothing
 * reserved yet), commit the next ranges to it, and only then raise the
 * gateway sequence to its floor.  With @loop, the event socket is watched and a
 * reconciliation of kernel_set_want()'s state runs every
 * KERNEL_RECONCILE_MS, after an event overrun and after kernel_changed(),
 * but only once kernel_changed() or kernel_reconcile() was called: an
 * empty state from a control channel that has not spoken yet must not
 * empty the module.  Logs why and returns NULL on failure.
 */
struct kernel *kernel_open(struct loop *loop, const char *state_path);
/* kernel_close() - the members' floors read once more and saved, then closed. */
void kernel_close(struct kernel *k);

void kernel_set_hooks(struct kernel *k, const struct kernel_hooks *hooks);
/* The state the loop's reconciliations apply (not copied, not freed). */
void kernel_set_want(struct kernel *k, const struct gwstate *want);
/*
 * kernel_changed() - reconcile on the next loop turn, once however often
 * called; NULL is a no-op.  Call it once the state is complete (all the
 * manager sent): whatever the state lacks is deleted from the module.
 */
void kernel_changed(struct kernel *k);
/*
 * kernel_upstream_now() - install @want's upstream at once, nothing else:
 * a new control connection's K_up goes in before the push that follows it
 * is complete, so that the manager stops opening batches under the old
 * key soon.  The batch sequence continues as a reconciliation would
 * continue it (reserved first).  0, or -errno (the next reconciliation
 * tries again).
 */
int kernel_upstream_now(struct kernel *k, const struct gwstate *want);

/*
 * kernel_heard() - a member dump of each group in which @want gives a
 * member a next key (a rekey under way): @fn(@arg, group, E, member) for
 * every member to which @want gives a next key of epoch E
 * and whose newest frame the module verified under E
 * (GRPSEC_A_MEMBER_LAST_EPOCH): it has its rekey.  In (group, member)
 * order.  0 or -errno.
 */
typedef void (*kernel_heard_fn)(void *arg, uint32_t group, uint32_t epoch, uint32_t member);
int kernel_heard(struct kernel *k, const struct gwstate *want, kernel_heard_fn fn, void *arg);

/*
 * kernel_reconcile() - dump the module, compare with @want, send what
 * differs; @out (may be NULL) counts what was sent.  Returns 0, or
 * -errno when the module could not be read, the state file not written
 * or a request was refused (the rest is still tried; the next
 * reconciliation tries again).
 */
int kernel_reconcile(struct kernel *k, const struct gwstate *want,
		     struct kernel_diff *out);

const struct kernel_counters *kernel_counters(const struct kernel *k);
/* The periodic reconciliation's interval (default KERNEL_RECONCILE_MS). */
void kernel_set_interval(struct kernel *k, uint64_t ms);
/* The event socket, -1 without a loop (tests shrink its buffer). */
int kernel_event_fd(const struct kernel *k);

/* The gateway role's part: d->kernel, reconciling d->want. */
extern const struct grpsecd_part kernel_part;

#endif
