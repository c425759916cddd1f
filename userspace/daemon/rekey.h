/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The manager's rekeys (rekey.c; grpsecd.rst, "Rekey").  A rekey of a
 * group, asked for by grpsecctl rekey, by the epoch lifetime (with
 * jitter) or by a revocation in an anonymous group, goes:
 *
 *  1. the next epoch e+1 is drawn (fresh S_auth, S_e2e, K_G) and committed
 *     in the store as the group's next epoch, then registered with the
 *     backend (backend_sync_groups()): uplinks under e and e+1 both open;
 *  2. rekey_hooks.next_epoch_ready(group, e+1) is called, if set: the
 *     rekeys wait until its owner calls rekey_go() (the gateway has K_m[e+1]
 *     in its next slot); without a hook they go at once;
 *  3. for every member still active, a rekey body (type 5, frames.rst)
 *     wrapped under its K_wrap,m and signed, with the group's next rekey
 *     sequence (counter "rekey/GROUP", reserved ahead), handed to the
 *     sender once per gateway of the group, paced at RekeyRate per cent of
 *     the group per second; a member none of whose gateways took it is
 *     tried again after the others, until the switch, and so is one that
 *     no gateway heard under e+1 (rekey_heard(), from the gateways'
 *     HEARD) RekeyRetry after its rekey went, up to RekeyRetries times;
 *  4. RekeyGrace after the last member was sent its rekey, e+1 becomes the
 *     current epoch and e retires (the backend forgets it);
 *     rekey_hooks.epoch_retired(group, e+1) is called, if set.
 *
 * After a restart a group whose next epoch is set (a rekey cut short) is
 * taken up again at step 2 with every active member: a member that had
 * applied e+1 drops the repeat (its epoch is not below e+1), and every
 * body carries a fresh rekey sequence, never one used before.
 */
#ifndef GRPSECD_REKEY_H
#define GRPSECD_REKEY_H

#include <stddef.h>
#include <stdint.h>

#include "grpsecd.h"

struct rekey;

/* After backend_part: its default sender is backend_downlink(). */
extern const struct grpsecd_part rekey_part;

/*
 * rekey_send_fn - hand one rekey body for @member of @group to @gateway
 * (a downlink of kind rekey).  Return 0 when it went, -EAGAIN to be called
 * again for this member later (a full socket buffer), another -errno when
 * this gateway cannot take it now.
 */
typedef int (*rekey_send_fn)(void *arg, uint32_t gateway, uint32_t group, uint32_t member,
			     const uint8_t *body, size_t len);

/* Who hears of a new epoch before its rekeys go out (the control channel). */
struct rekey_hooks {
	/*
	 * next_epoch_ready() - @epoch of @group is committed and registered
	 * with the backend; no rekey of it has been sent.  The rekeys are
	 * held until the owner calls rekey_go(@group, @epoch).
	 */
	void (*next_epoch_ready)(void *arg, uint32_t group, uint32_t epoch);
	/*
	 * epoch_retired() - @epoch of @group is current and the one before it
	 * retired (the backend forgot it): the gateways may drop its slots.
	 */
	void (*epoch_retired)(void *arg, uint32_t group, uint32_t epoch);
	void *arg;
};

/* rekey_set_hooks() - set (or, with NULL, clear) the hooks. */
void rekey_set_hooks(struct rekey *rk, const struct rekey_hooks *hooks);

/* rekey_set_sender() - replace the sender (default: backend_downlink()). */
void rekey_set_sender(struct rekey *rk, rekey_send_fn fn, void *arg);

/*
 * rekey_start() - start a rekey of @group (why: "ctl", "lifetime",
 * "revocation"; for the log and /metrics).  *@epoch: the new epoch.
 * Returns 0, -ENOENT (not a configured group), -EBUSY (a rekey of it is
 * under way: a revocation is then taken up by another rekey once it ends),
 * -ENOTCONN (no sender), -EDESTADDRREQ (the group has no Gateway), or the
 * store's error (nothing changed then).
 */
int rekey_start(struct rekey *rk, uint32_t group, const char *why, uint32_t *epoch);

/* rekey_go() - the hook's owner is ready: send the rekeys of @epoch of @group. */
void rekey_go(struct rekey *rk, uint32_t group, uint32_t epoch);

/*
 * rekey_revoked() - @device was just revoked: every anonymous group it was
 * an active member of moves to a new epoch without it.  @groups: those
 * groups (from rekey_device_groups() before the revocation).
 */
void rekey_revoked(struct rekey *rk, const uint32_t *groups, size_t n);

/*
 * rekey_device_groups() - the anonymous groups in which @device has an
 * active member row: at most @max of them in @groups.  Returns how many,
 * or the store's error.
 */
int rekey_device_groups(struct rekey *rk, uint64_t device, uint32_t *groups, size_t max);

/* What a rekey of a group is doing (grpsecctl rekey, show). */
struct rekey_status {
	uint32_t group, epoch;		/* the new epoch */
	const char *state;		/* "waiting" (for rekey_go()), "sending", "grace" */
	size_t members;			/* members it rekeys */
	size_t sent;			/* members sent their rekey */
	size_t retries;			/* sends after the first pass */
	size_t heard;			/* members a gateway heard under the new epoch */
};

/* rekey_status() - 0 and @out filled while a rekey of @group is under way, else -ENOENT. */
int rekey_status(const struct rekey *rk, uint32_t group, struct rekey_status *out);

/*
 * rekey_heard() - a gateway heard @members (@n ids) of @group under
 * @epoch: their rekey to it arrived, none goes to them again.  Ignored
 * unless a rekey of @group to @epoch is under way.
 */
void rekey_heard(struct rekey *rk, uint32_t group, uint32_t epoch, const uint32_t *members,
		 size_t n);

#endif
