// SPDX-License-Identifier: GPL-2.0
/*
 * The manager's rekeys: the next epoch committed, the hook, the paced
 * rekey bodies, the switch (rekey.h; grpsecd.rst, "Rekey").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "grpsec.h"

#include "backend.h"
#include "conf.h"
#include "counter.h"
#include "groups.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "rekey.h"
#include "store.h"

#define TICK_MS		100		/* pacing: a share of the rate every tick */
#define SCHED_MS	1000		/* epoch lifetimes looked at every second */
#define SCHED_RETRY_S	60		/* a scheduled rekey that could not start */
#define RETRY_PASS_MS	2000		/* between passes over the members not reached */

enum job_state { JOB_WAITING, JOB_SENDING, JOB_GRACE };

static const char *const state_names[] = {
	[JOB_WAITING] = "waiting", [JOB_SENDING] = "sending", [JOB_GRACE] = "grace",
};

struct ids {
	uint32_t *v;
	size_t n, cap;
};

/* One member of a rekey: how often its body went, when last, whether it was heard. */
struct mstate {
	uint32_t id;
	uint8_t sends;
	bool heard;			/* a gateway saw a frame of it under the new epoch */
	uint64_t sent_ms;
};

struct job {
	struct store_epoch ep;		/* the new epoch, its secrets (wiped at the end) */
	struct store_group g;
	enum job_state state;
	struct ids todo;		/* this pass */
	size_t next;			/* next index in todo */
	struct ids retry;		/* members no gateway took, or unheard: the next pass */
	struct mstate *ms;		/* every member of the rekey, by id */
	size_t members, sent, skipped, retries, heard;
	uint64_t started_ms, grace_end_ms, next_pass_ms;
	bool again;			/* a revocation came meanwhile: rekey again after */
	struct counter seq;
};

/* When a group's epoch lifetime is up (jitter included). */
struct due {
	uint32_t group;
	time_t at;			/* 0: no lifetime */
};

struct rekey {
	struct grpsecd *d;
	struct grpsec_signer *signer;
	struct job **jobs;
	size_t njobs;
	struct due *dues;
	size_t ndues;
	struct loop_timer *tick, *sched;
	struct rekey_hooks hooks;
	rekey_send_fn send;
	void *send_arg;
	bool resume_pending;		/* the first tick of sched takes up cut rekeys */
};

static int ids_add(struct ids *s, uint32_t id)
{
	uint32_t *v;

	if (s->n == s->cap) {
		v = realloc(s->v, (s->cap * 2 + 64) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = s->cap * 2 + 64;
	}
	s->v[s->n++] = id;
	return 0;
}

static struct job *job_find(const struct rekey *rk, uint32_t group)
{
	for (size_t i = 0; i < rk->njobs; i++)
		if (rk->jobs[i]->g.id == group)
			return rk->jobs[i];
	return NULL;
}

static void job_free(struct rekey *rk, struct job *j)
{
	for (size_t i = 0; i < rk->njobs; i++) {
		if (rk->jobs[i] == j) {
			rk->jobs[i] = rk->jobs[--rk->njobs];
			break;
		}
	}
	OPENSSL_cleanse(&j->ep, sizeof(j->ep));
	free(j->todo.v);
	free(j->retry.v);
	free(j->ms);
	free(j);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_mstate(const void *a, const void *b)
{
	return cmp_u32(&((const struct mstate *)a)->id, &((const struct mstate *)b)->id);
}

static struct mstate *mstate_find(const struct job *j, uint32_t member)
{
	struct mstate key = { .id = member };

	return bsearch(&key, j->ms, j->members, sizeof(*j->ms), cmp_mstate);
}

/* Epoch lifetimes */

/* The next rekey of @cg by its lifetime: created + lifetime - up to a tenth of it. */
static time_t due_at(struct rekey *rk, const struct conf_group *cg)
{
	struct store_group g;
	struct store_epoch e;
	uint64_t jitter = 0, span = cg->epoch_lifetime / 10;

	if (!cg->epoch_lifetime || store_group_get(rk->d->store, cg->id, &g) < 0 ||
	    store_epoch_get(rk->d->store, cg->id, g.epoch, &e) < 0)
		return 0;
	OPENSSL_cleanse(e.s_auth, sizeof(e.s_auth));
	OPENSSL_cleanse(e.s_e2e, sizeof(e.s_e2e));
	OPENSSL_cleanse(e.k_g, sizeof(e.k_g));
	/* Jitter, so that groups (and gateways) created together do not rekey together. */
	if (span && grpsec_random((uint8_t *)&jitter, sizeof(jitter)) == 0)
		jitter %= span + 1;
	return (time_t)(e.created + (int64_t)cg->epoch_lifetime - (int64_t)jitter);
}

static void dues_compute(struct rekey *rk)
{
	const struct grpsecd_conf *c = rk->d->conf;
	struct due *v = calloc(c->ngroups ? c->ngroups : 1, sizeof(*v));

	if (!v) {
		log_err("rekey: out of memory: epoch lifetimes not scheduled");
		return;
	}
	for (size_t i = 0; i < c->ngroups; i++)
		v[i] = (struct due){ c->groups[i].id, due_at(rk, &c->groups[i]) };
	free(rk->dues);
	rk->dues = v;
	rk->ndues = c->ngroups;
}

static void due_refresh(struct rekey *rk, uint32_t group)
{
	const struct conf_group *cg = conf_group_find(rk->d->conf, group);

	for (size_t i = 0; i < rk->ndues; i++)
		if (rk->dues[i].group == group)
			rk->dues[i].at = cg ? due_at(rk, cg) : 0;
}

static void resume(struct rekey *rk);

static void on_sched(struct loop_timer *t, void *arg)
{
	struct rekey *rk = arg;
	time_t now = time(NULL);
	uint32_t epoch;
	int rc;

	(void)t;
	if (rk->resume_pending) {
		rk->resume_pending = false;
		resume(rk);
	}
	for (size_t i = 0; i < rk->ndues; i++) {
		struct due *u = &rk->dues[i];

		if (!u->at || now < u->at || job_find(rk, u->group))
			continue;
		rc = rekey_start(rk, u->group, "lifetime", &epoch);
		if (rc < 0) {
			log_err("rekey: group %" PRIu32 ": its epoch lifetime is up but no rekey"
				" started (%s); trying again in %d s", u->group, strerror(-rc),
				SCHED_RETRY_S);
			u->at = now + SCHED_RETRY_S;
		}
	}
}

/* Sending */

/* One member's rekey body, sealed under its K_wrap,m and signed. */
static int seal_for(struct rekey *rk, struct job *j, const struct conf_group *cg,
		    uint32_t member, uint8_t *body, size_t *len)
{
	struct store *st = rk->d->store;
	unsigned int suite = j->g.suite;
	size_t kl = grpsec_suite_key_len(suite);
	uint8_t wrap[STORE_WRAP_KEY_LEN], km[GRPSEC_KEY_MAX_LEN], ke[GRPSEC_KEY_MAX_LEN];
	bool identified = j->g.mode == GRPSEC_MODE_IDENTIFIED;
	struct grpsec_rekey_keys k = {
		.epoch = j->ep.epoch, .suite = suite, .mode = j->g.mode,
		.group_flags = cg->commands ? GRPSEC_GROUP_COMMANDS : 0,
		.msg_limit = j->ep.msg_limit, .member_key = km,
		.group_key = !identified || cg->commands ? j->ep.k_g : NULL,
		.e2e_key = identified ? ke : NULL,
	};
	struct store_member m;
	uint64_t seq;
	int rc;

	rc = store_member_get(st, member, j->g.id, &m, wrap);
	if (rc == 0 && m.state != STORE_MEMBER_ACTIVE)
		rc = -ESRCH;		/* revoked or left since the rekey began: none for it */
	if (rc == 0)
		rc = grpsec_kdf_member_key(suite, j->ep.s_auth, j->g.id, j->ep.epoch, member, km,
					   kl);
	if (rc == 0 && identified)
		rc = grpsec_kdf_e2e_key(suite, j->ep.s_e2e, j->g.id, j->ep.epoch, member, ke, kl);
	/* The sequence is committed in the store before a body carries it. */
	if (rc == 0)
		rc = counter_take(st, &j->seq, &seq);
	if (rc == 0)
		rc = grpsec_rekey_seal(rk->signer, wrap, j->g.id, member, seq, &k, NULL, body,
				       GRPSEC_REKEY_BODY_MAX_LEN, len);
	OPENSSL_cleanse(wrap, sizeof(wrap));
	OPENSSL_cleanse(km, sizeof(km));
	OPENSSL_cleanse(ke, sizeof(ke));
	return rc;
}

/* 1: sent, 2: not a member any more, 0: no gateway took it, -EAGAIN: again later. */
static int send_member(struct rekey *rk, struct job *j, const struct conf_group *cg,
		       uint32_t member, bool resend)
{
	uint8_t body[GRPSEC_REKEY_BODY_MAX_LEN];
	unsigned int ok = 0, again = 0;
	size_t len;
	int rc = seal_for(rk, j, cg, member, body, &len);

	if (rc == -ESRCH)
		return 2;
	if (rc < 0) {
		log_err("rekey: group %" PRIu32 " member %" PRIu32 ": %s", j->g.id, member,
			rc == -ENOENT || rc == -EIO ? store_error(rk->d->store) : strerror(-rc));
		return 0;
	}
	for (size_t i = 0; i < cg->gateways.n; i++) {
		rc = rk->send(rk->send_arg, cg->gateways.v[i], j->g.id, member, body, len);
		ok += rc == 0;
		again += rc == -EAGAIN;
	}
	OPENSSL_cleanse(body, sizeof(body));
	if (!ok && again)
		return -EAGAIN;
	metrics_count(rk->d->metrics, "grpsecd_rekeys_total",
		      !ok ? "failed" : resend ? "resent" : "sent", 1);
	return ok ? 1 : 0;
}

static void job_switch(struct rekey *rk, struct job *j);

static uint64_t grace_ms(const struct rekey *rk)
{
	uint32_t ms = rk->d->conf->manager.rekey_grace_ms;

	return ms ? ms : CONF_DEFAULT_REKEY_GRACE_MS;
}

/*
 * The members sent their rekey RekeyRetry ago or more, unheard under the
 * new epoch since and sent it fewer than 1 + RekeyRetries times: the
 * next pass sends them theirs again.
 */
static void collect_unheard(struct rekey *rk, struct job *j, uint64_t now)
{
	const struct conf_manager *c = &rk->d->conf->manager;
	uint64_t after = c->rekey_retry_ms ? c->rekey_retry_ms : CONF_DEFAULT_REKEY_RETRY_MS;
	unsigned int most = 1 + (c->rekey_retries ? c->rekey_retries : CONF_DEFAULT_REKEY_RETRIES);

	for (size_t i = 0; i < j->members; i++) {
		struct mstate *m = &j->ms[i];

		if (m->heard || !m->sends || m->sends >= most || now - m->sent_ms < after)
			continue;
		if (ids_add(&j->retry, m->id) < 0) {
			log_err("rekey: out of memory: member %" PRIu32 " is not retried", m->id);
			return;
		}
		m->sent_ms = now;	/* not collected again before it went */
	}
}

/* The end of a pass: the members no gateway took go again, until the switch. */
static void pass_end(struct rekey *rk, struct job *j)
{
	struct ids t = j->todo;

	if (j->state == JOB_SENDING) {
		j->state = JOB_GRACE;
		j->grace_end_ms = loop_now_ms() + grace_ms(rk);
		log_info("rekey: group %" PRIu32 " epoch %" PRIu32 ": %zu of %zu members sent"
			 " their rekey in %" PRIu64 " ms; epoch %" PRIu32 " retires in %" PRIu64
			 " ms", j->g.id, j->ep.epoch, j->sent, j->members,
			 loop_now_ms() - j->started_ms, j->g.epoch, grace_ms(rk));
	}
	j->next_pass_ms = loop_now_ms() + RETRY_PASS_MS;
	j->todo = j->retry;
	j->retry = (struct ids){ t.v, 0, t.cap };
	j->next = 0;
}

static void job_tick(struct rekey *rk, struct job *j)
{
	const struct conf_group *cg = conf_group_find(rk->d->conf, j->g.id);
	uint32_t rate = rk->d->conf->manager.rekey_rate;
	uint64_t quota = (uint64_t)j->members * (rate ? rate : CONF_DEFAULT_REKEY_RATE) *
			 TICK_MS / 100000;
	int rc;

	if (j->state == JOB_WAITING)
		return;
	if (j->state == JOB_GRACE && loop_now_ms() >= j->grace_end_ms) {
		job_switch(rk, j);
		return;
	}
	if (!cg) {
		/* Removed from the configuration: nowhere to send; it switches after the grace. */
		if (j->state == JOB_SENDING)
			pass_end(rk, j);
		return;
	}
	for (quota = quota ? quota : 1; quota > 0; quota--) {
		uint32_t member;
		struct mstate *m;

		if (j->next == j->todo.n) {
			if (j->state == JOB_GRACE) {
				if (loop_now_ms() < j->next_pass_ms)
					return;
				collect_unheard(rk, j, loop_now_ms());
				if (!j->retry.n) {
					j->next_pass_ms = loop_now_ms() + RETRY_PASS_MS;
					return;
				}
			}
			pass_end(rk, j);
			if (!j->todo.n)
				return;
		}
		member = j->todo.v[j->next];
		m = mstate_find(j, member);
		rc = send_member(rk, j, cg, member, m && m->sends);
		if (rc == -EAGAIN)
			return;		/* the same member at the next tick */
		if (j->state == JOB_GRACE)
			j->retries++;
		if (rc == 1 && m) {
			j->sent += !m->sends;
			if (m->sends < UINT8_MAX)
				m->sends++;
			m->sent_ms = loop_now_ms();
		}
		j->skipped += rc == 2;
		if (rc == 0 && ids_add(&j->retry, j->todo.v[j->next]) < 0)
			log_err("rekey: out of memory: member %" PRIu32 " is not retried",
				j->todo.v[j->next]);
		j->next++;
	}
}

static void on_tick(struct loop_timer *t, void *arg)
{
	struct rekey *rk = arg;

	(void)t;
	for (size_t i = rk->njobs; i-- > 0;)
		job_tick(rk, rk->jobs[i]);
	if (!rk->njobs)
		loop_timer_stop(rk->tick);
}

/* The new epoch becomes the current one; the old one retires. */
static void job_switch(struct rekey *rk, struct job *j)
{
	uint32_t group = j->g.id, epoch;
	bool again = j->again;
	int rc = store_group_set_epochs(rk->d->store, group, j->ep.epoch, 0);

	if (rc < 0) {
		log_err("rekey: group %" PRIu32 ": epoch %" PRIu32 " not made current: %s;"
			" trying again", group, j->ep.epoch, store_error(rk->d->store));
		return;
	}
	if (rk->d->backend)
		backend_sync_groups(rk->d->backend);
	if (rk->hooks.epoch_retired)
		rk->hooks.epoch_retired(rk->hooks.arg, group, j->ep.epoch);
	log_info("rekey: group %" PRIu32 ": epoch %" PRIu32 " is current, %" PRIu32
		 " retired; %zu members sent their rekey, %zu left the group meanwhile, %zu"
		 " not reached (they must enroll again); %zu heard under it, %zu sends again",
		 group, j->ep.epoch, j->g.epoch, j->sent, j->skipped,
		 j->retry.n + (j->todo.n - j->next), j->heard, j->retries);
	job_free(rk, j);
	due_refresh(rk, group);
	if (again && rekey_start(rk, group, "revocation", &epoch) < 0)
		log_err("rekey: group %" PRIu32 ": the rekey after a revocation did not start",
			group);
}

static void job_go(struct rekey *rk, struct job *j)
{
	j->state = JOB_SENDING;
	j->started_ms = loop_now_ms();
	loop_timer_set(rk->tick, TICK_MS, TICK_MS);
}

void rekey_go(struct rekey *rk, uint32_t group, uint32_t epoch)
{
	struct job *j = job_find(rk, group);

	if (j && j->state == JOB_WAITING && j->ep.epoch == epoch)
		job_go(rk, j);
}

/* Starting */

static int collect_active(void *arg, const struct store_member *m)
{
	return m->state == STORE_MEMBER_ACTIVE ? ids_add(arg, m->id) : 0;
}

/* The next epoch of @cg, drawn and committed (or the one a cut rekey left). */
static int next_epoch(struct rekey *rk, const struct conf_group *cg, struct job *j)
{
	struct store *st = rk->d->store;
	struct store_epoch e = {
		.group = cg->id, .msg_limit = cg->message_limit,
		.k_g_len = (uint8_t)grpsec_suite_key_len(cg->suite),
	};
	int rc = store_group_get(st, cg->id, &j->g);

	if (rc == 0 && !j->g.next_epoch) {
		e.epoch = j->g.epoch + 1;
		rc = grpsec_random(e.s_auth, sizeof(e.s_auth));
		if (rc == 0)
			rc = grpsec_random(e.s_e2e, sizeof(e.s_e2e));
		if (rc == 0)
			rc = grpsec_random(e.k_g, e.k_g_len);
		if (rc == 0)
			rc = store_epoch_create(st, &e);
		OPENSSL_cleanse(&e, sizeof(e));
		if (rc == 0)
			j->g.next_epoch = j->g.epoch + 1;
	}
	if (rc == 0)
		rc = store_epoch_get(st, cg->id, j->g.next_epoch, &j->ep);
	if (rc < 0)
		log_err("rekey: group %" PRIu32 ": %s", cg->id, store_error(st));
	return rc;
}

int rekey_start(struct rekey *rk, uint32_t group, const char *why, uint32_t *epoch)
{
	const struct conf_group *cg = conf_group_find(rk->d->conf, group);
	struct job *j, **js;
	int rc;

	if (!cg)
		return -ENOENT;
	j = job_find(rk, group);
	if (j) {
		if (!strcmp(why, "revocation"))
			j->again = true;
		*epoch = j->ep.epoch;
		return -EBUSY;
	}
	if (!rk->send)
		return -ENOTCONN;
	if (!cg->gateways.n)
		return -EDESTADDRREQ;
	j = calloc(1, sizeof(*j));
	js = realloc(rk->jobs, (rk->njobs + 1) * sizeof(*js));
	if (js)
		rk->jobs = js;
	if (!j || !js) {
		free(j);
		return -ENOMEM;
	}
	/* Committed before anything is sent; registered so that uplinks under it open. */
	rc = next_epoch(rk, cg, j);
	if (rc == 0 && rk->d->backend)
		rc = backend_sync_groups(rk->d->backend);
	if (rc == 0)
		rc = store_members_each(rk->d->store, group, collect_active, &j->todo);
	if (rc == 0 && j->todo.n) {
		j->ms = calloc(j->todo.n, sizeof(*j->ms));
		rc = j->ms ? 0 : -ENOMEM;
	}
	if (rc < 0) {
		OPENSSL_cleanse(&j->ep, sizeof(j->ep));
		free(j->todo.v);
		free(j);
		return rc;
	}
	/* In id order, for mstate_find() and for the order they are sent in. */
	qsort(j->todo.v, j->todo.n, sizeof(*j->todo.v), cmp_u32);
	for (size_t i = 0; i < j->todo.n; i++)
		j->ms[i].id = j->todo.v[i];
	j->members = j->todo.n;
	counter_init(&j->seq, "rekey", group);
	rk->jobs[rk->njobs++] = j;
	*epoch = j->ep.epoch;
	metrics_count(rk->d->metrics, "grpsecd_epochs_total", why, 1);
	log_info("rekey: group %" PRIu32 ": epoch %" PRIu32 " committed (%s), %zu members to"
		 " rekey", group, j->ep.epoch, why, j->members);
	if (rk->hooks.next_epoch_ready) {
		j->state = JOB_WAITING;
		rk->hooks.next_epoch_ready(rk->hooks.arg, group, j->ep.epoch);
	} else {
		job_go(rk, j);
	}
	return 0;
}

void rekey_set_hooks(struct rekey *rk, const struct rekey_hooks *hooks)
{
	rk->hooks = hooks ? *hooks : (struct rekey_hooks){ 0 };
}

void rekey_set_sender(struct rekey *rk, rekey_send_fn fn, void *arg)
{
	rk->send = fn;
	rk->send_arg = arg;
}

int rekey_status(const struct rekey *rk, uint32_t group, struct rekey_status *out)
{
	const struct job *j = job_find(rk, group);

	if (!j)
		return -ENOENT;
	*out = (struct rekey_status){
		.group = group, .epoch = j->ep.epoch, .state = state_names[j->state],
		.members = j->members, .sent = j->sent, .retries = j->retries,
		.heard = j->heard,
	};
	return 0;
}

void rekey_heard(struct rekey *rk, uint32_t group, uint32_t epoch, const uint32_t *members,
		 size_t n)
{
	struct job *j = job_find(rk, group);
	size_t heard = 0;
	struct mstate *m;

	if (!j || j->ep.epoch != epoch)
		return;		/* no rekey to it under way: nothing to learn */
	for (size_t i = 0; i < n; i++) {
		m = mstate_find(j, members[i]);
		if (m && !m->heard) {
			m->heard = true;
			heard++;
		}
	}
	j->heard += heard;
	if (heard)
		metrics_count(rk->d->metrics, "grpsecd_rekeys_total", "heard", heard);
}

/* Revocations */

struct find_dev {
	uint64_t device;
	bool found;
};

static int find_device(void *arg, const struct store_member *m)
{
	struct find_dev *f = arg;

	if (m->device == f->device && m->state == STORE_MEMBER_ACTIVE) {
		f->found = true;
		return 1;		/* stop the walk */
	}
	return 0;
}

int rekey_device_groups(struct rekey *rk, uint64_t device, uint32_t *groups, size_t max)
{
	const struct grpsecd_conf *c = rk->d->conf;
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < c->ngroups && n < max; i++) {
		struct find_dev f = { device, false };

		if (c->groups[i].mode != GRPSEC_MODE_ANONYMOUS)
			continue;
		rc = store_members_each(rk->d->store, c->groups[i].id, find_device, &f);
		if (rc < 0)
			return rc;
		if (f.found)
			groups[n++] = c->groups[i].id;
	}
	return (int)n;
}

void rekey_revoked(struct rekey *rk, const uint32_t *groups, size_t n)
{
	uint32_t epoch;
	int rc;

	for (size_t i = 0; i < n; i++) {
		rc = rekey_start(rk, groups[i], "revocation", &epoch);
		if (rc == -EBUSY)
			log_info("rekey: group %" PRIu32 ": a revocation during the rekey to"
				 " epoch %" PRIu32 ": another rekey follows it", groups[i], epoch);
		else if (rc < 0)
			log_err("rekey: group %" PRIu32 ": no rekey after the revocation: %s",
				groups[i], strerror(-rc));
	}
}

/* The part */

static int backend_send(void *arg, uint32_t gateway, uint32_t group, uint32_t member,
			const uint8_t *body, size_t len)
{
	return backend_downlink(arg, gateway, group, member, GRPSEC_DOWNLINK_KIND_REKEY, body,
				len, NULL);
}

/* A rekey that a crash or a stop cut short is taken up again. */
static void resume(struct rekey *rk)
{
	const struct grpsecd_conf *c = rk->d->conf;
	struct store_group g;
	uint32_t epoch;
	int rc;

	for (size_t i = 0; i < c->ngroups; i++) {
		if (store_group_get(rk->d->store, c->groups[i].id, &g) < 0 || !g.next_epoch ||
		    job_find(rk, g.id))
			continue;	/* no rekey cut short, or one under way already */
		rc = rekey_start(rk, g.id, "resumed", &epoch);
		if (rc < 0)
			log_err("rekey: group %" PRIu32 ": the rekey to epoch %" PRIu32
				" is not taken up again: %s", g.id, g.next_epoch, strerror(-rc));
	}
}

static void rekey_free(struct rekey *rk)
{
	while (rk->njobs)
		job_free(rk, rk->jobs[0]);
	if (rk->tick)
		loop_timer_del(rk->tick);
	if (rk->sched)
		loop_timer_del(rk->sched);
	grpsec_signer_free(rk->signer);
	free(rk->jobs);
	free(rk->dues);
	free(rk);
}

static int rekey_init(struct grpsecd *d)
{
	struct rekey *rk;
	int rc;

	if (!d->store)
		return 0;
	rk = calloc(1, sizeof(*rk));
	if (!rk)
		return -1;
	rk->d = d;
	rc = groups_signer(d->store, &rk->signer);
	if (rc < 0) {
		log_err("rekey: the signing key: %s", rc == -EINVAL ?
			"stored with a wrong length" : store_error(d->store));
		free(rk);
		return -1;
	}
	rk->tick = loop_timer_add(d->loop, TICK_MS, TICK_MS, on_tick, rk);
	rk->sched = loop_timer_add(d->loop, SCHED_MS, SCHED_MS, on_sched, rk);
	if (!rk->tick || !rk->sched) {
		rekey_free(rk);
		return -1;
	}
	loop_timer_stop(rk->tick);
	if (d->backend)
		rekey_set_sender(rk, backend_send, d->backend);
	d->rekey = rk;
	dues_compute(rk);
	/* A second from now, once the parts after this one (the hooks) are up. */
	rk->resume_pending = true;
	return 0;
}

static void rekey_uninit(struct grpsecd *d)
{
	if (!d->rekey)
		return;
	rekey_free(d->rekey);
	d->rekey = NULL;
}

static void rekey_reload_apply(struct grpsecd *d, const struct grpsecd_conf *prev)
{
	(void)prev;
	if (d->rekey)
		dues_compute(d->rekey);
}

const struct grpsecd_part rekey_part = {
	.name = "rekey",
	.init = rekey_init,
	.uninit = rekey_uninit,
	.reload_apply = rekey_reload_apply,
};
