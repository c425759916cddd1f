// SPDX-License-Identifier: GPL-2.0
/*
 * rekey.h's interface as the control channel uses it: with a hook set,
 * rekey_start() commits the next epoch and calls next_epoch_ready() once,
 * and not one rekey reaches the sender until rekey_go(); then every
 * active member gets one body, which its member context accepts under
 * its K_wrap,m and the manager's key (and not another member's); a second
 * rekey_start() while one is under way is -EBUSY.  (Without a hook the
 * rekeys go at once: grpsecd.rekey.)  Then the retries: the members no
 * gateway heard under the new epoch (rekey_heard(), as HEARD brings it)
 * get their rekey again after RekeyRetry, each time with a new body that
 * applies, at most RekeyRetries times; those heard get none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "grpsec.h"

#include "../conf.h"
#include "../groups.h"
#include "../grpsecd.h"
#include "../log.h"
#include "../loop.h"
#include "../rekey.h"
#include "../store.h"
#include "check.h"

#define GROUP	7
#define N	5

#define MUST(x) do { if ((x) < 0) { printf("FAIL: %s\n", #x); exit(1); } } while (0)

static struct grpsecd d;
static unsigned int hooked, hook_epoch, sent;
static uint32_t sent_to[64];
static uint8_t bodies[64][GRPSEC_REKEY_BODY_MAX_LEN];
static size_t body_len[64];

static void on_ready(void *arg, uint32_t group, uint32_t epoch)
{
	(void)arg;
	CHECK(group == GROUP, "hook for group %u", group);
	hooked++;
	hook_epoch = epoch;
}

static int fake_send(void *arg, uint32_t gateway, uint32_t group, uint32_t member,
		     const uint8_t *body, size_t len)
{
	(void)arg;
	CHECK(gateway == 1 && group == GROUP, "sent to gateway %u group %u", gateway, group);
	if (sent < 64) {
		sent_to[sent] = member;
		memcpy(bodies[sent], body, len);
		body_len[sent] = len;
	}
	sent++;
	return 0;
}

static int wrap_key(void *arg, uint32_t member, uint8_t key[STORE_WRAP_KEY_LEN])
{
	(void)arg;
	return grpsec_kdf_wrap_key((const uint8_t *)"0123456789abcdef0123456789abcdef", member,
				   key);
}

static void stop(struct loop_timer *t, void *arg)
{
	(void)t;
	loop_stop(arg, 0);
}

static void spin(unsigned int ms)
{
	struct loop_timer *t = loop_timer_add(d.loop, ms, 0, stop, d.loop);

	loop_run(d.loop);
	loop_timer_del(t);
}

/* Member @m's context at epoch 1, from the store's secrets, and its rekey applied. */
static int apply(uint32_t m, const uint8_t *body, size_t len, struct grpsec_signer *signer)
{
	uint8_t km[16], kg[16], kw[32], pub[GRPSEC_SIGN_KEY_LEN], frame[GRPSEC_MFRAME_MAX_LEN];
	struct grpsec_member_config cfg = { .group = GROUP, .member = m, .epoch = 1,
					    .mode = GRPSEC_MODE_ANONYMOUS,
					    .suite = GRPSEC_SUITE_AES_128_GCM };
	struct grpsec_verifier *v = NULL;
	struct grpsec_member *mc = NULL;
	struct store_epoch e;
	uint32_t epoch = 0;
	size_t flen;
	int rc;

	MUST(store_epoch_get(d.store, GROUP, 1, &e));
	MUST(grpsec_kdf_member_key(cfg.suite, e.s_auth, GROUP, 1, m, km, 16));
	memcpy(kg, e.k_g, 16);
	OPENSSL_cleanse(&e, sizeof(e));
	cfg.member_key = km;
	cfg.inner_key = kg;
	MUST(wrap_key(NULL, m, kw));
	MUST(grpsec_signer_public(signer, pub));
	MUST(grpsec_verifier_new(pub, &v));
	MUST(grpsec_member_new(&cfg, &mc));
	MUST(grpsec_member_frame_build(GRPSEC_TYPE_REKEY, cfg.suite, 0, GROUP, m, 1, 1, km, body,
				       len, frame, sizeof(frame), &flen));
	rc = grpsec_member_apply_rekey(mc, v, kw, frame, flen, &epoch);
	grpsec_member_free(mc);
	grpsec_verifier_free(v);
	return rc == 0 ? (int)epoch : rc;
}

int main(void)
{
	extern const struct grpsecd_part groups_part;
	struct rekey_hooks hooks = { .next_epoch_ready = on_ready };
	uint32_t groups[1] = { GROUP }, epochs[1], epoch = 0, ids[N];
	struct store_enroll_req req = { .kind = STORE_DEVICE_PSK, .groups = groups,
					.n_groups = 1, .wrap_key = wrap_key };
	struct store_enroll_res res = { .epochs = epochs };
	struct grpsec_signer *signer;
	char id[32], cwd[512];
	FILE *f;
	int i;

	log_init(false);
	f = fopen("m.conf", "w");
	if (!getcwd(cwd, sizeof(cwd)))
		return 1;
	fprintf(f, "[Manager]\nDatabase = sqlite:%s/m.db\nMasterKey = %s/master.key\n"
		"ControlSocket = %s/ctl.sock\nRekeyGrace = 60s\nRekeyRetry = 500ms\n"
		"RekeyRetries = 2\n\n[Group]\nId = 7\nMode = anonymous\n"
		"Gateway = 1\n\n[Gateway]\nId = 1\nIdentity = CN=gw-1\n"
		"Address = 127.0.0.1:4790\n", cwd, cwd, cwd);
	fclose(f);
	d.conf = conf_load("m.conf");
	d.conf_path = "m.conf";
	d.loop = loop_new();
	MUST(d.conf ? 0 : -1);
	MUST(groups_part.init(&d));
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "dev-%d", i);
		req.identity = id;
		MUST(store_enroll(d.store, &req, &res));
		ids[i] = res.member;
	}
	MUST(rekey_part.init(&d));
	MUST(groups_signer(d.store, &signer));
	rekey_set_sender(d.rekey, fake_send, NULL);

	/* With the hook: committed, the hook told, nothing sent before go. */
	rekey_set_hooks(d.rekey, &hooks);
	CHECK(rekey_start(d.rekey, GROUP, "ctl", &epoch) == 0 && epoch == 2, "epoch %u", epoch);
	CHECK(hooked == 1 && hook_epoch == 2, "hook called %u times, epoch %u", hooked, hook_epoch);
	{
		struct store_group g;

		CHECK(store_group_get(d.store, GROUP, &g) == 0 && g.epoch == 1 && g.next_epoch == 2,
		      "group before go: epoch %u next %u", g.epoch, g.next_epoch);
	}
	CHECK(rekey_start(d.rekey, GROUP, "ctl", &epoch) == -EBUSY && epoch == 2,
	      "a second rekey while one waits");
	spin(500);
	CHECK(sent == 0, "%u rekeys sent before rekey_go()", sent);
	rekey_go(d.rekey, GROUP, 3);	/* another epoch: not this one's go */
	spin(300);
	CHECK(sent == 0, "%u rekeys sent after a go for another epoch", sent);
	rekey_go(d.rekey, GROUP, 2);
	spin(1500);
	CHECK(sent == N, "%u rekeys after rekey_go(), want %d", sent, N);
	for (i = 0; i < N && i < (int)sent; i++) {
		CHECK(sent_to[i] == ids[i], "rekey %d for member %u", i, sent_to[i]);
		CHECK(apply(sent_to[i], bodies[i], body_len[i], signer) == 2,
		      "member %u did not apply its rekey", sent_to[i]);
	}
	/* A body for one member does not apply for another. */
	CHECK(sent >= 2 && apply(sent_to[1], bodies[0], body_len[0], signer) < 0,
	      "member %u applied member %u's rekey", sent_to[1], sent_to[0]);

	/* Members 0..2 heard under epoch 2 (and one under another epoch: ignored). */
	rekey_heard(d.rekey, GROUP, 3, &ids[3], 1);
	rekey_heard(d.rekey, GROUP, 2, ids, 3);
	rekey_heard(d.rekey, GROUP, 2, ids, 1);		/* again: counted once */
	{
		struct rekey_status st;

		CHECK(rekey_status(d.rekey, GROUP, &st) == 0 && st.heard == 3,
		      "heard %zu, want 3", st.heard);
	}
	/* Passes every 2 s: members 3 and 4 again, each body new and good. */
	spin(2600);
	CHECK(sent == N + 2, "%u rekeys after the first retry pass, want %d", sent, N + 2);
	for (i = N; i < N + 2 && i < (int)sent; i++) {
		CHECK(sent_to[i] == ids[3] || sent_to[i] == ids[4], "retried member %u", sent_to[i]);
		CHECK(apply(sent_to[i], bodies[i], body_len[i], signer) == 2,
		      "member %u did not apply its second rekey", sent_to[i]);
		CHECK(memcmp(bodies[i], bodies[sent_to[i] == ids[3] ? 3 : 4], 12),
		      "the retry to member %u repeats the first body's sequence", sent_to[i]);
	}
	rekey_heard(d.rekey, GROUP, 2, &ids[3], 1);
	spin(2100);
	CHECK(sent == N + 3 && sent_to[N + 2] == ids[4],
	      "%u rekeys after the second pass (the last to member %u), want %d to %u", sent,
	      sent_to[sent - 1], N + 3, ids[4]);
	/* Member 4 had 1 + RekeyRetries: no more. */
	spin(2100);
	CHECK(sent == N + 3, "%u rekeys after the third pass, want %d", sent, N + 3);
	{
		struct rekey_status st;

		CHECK(rekey_status(d.rekey, GROUP, &st) == 0 && st.heard == 4 && st.sent == N &&
		      st.retries == 3, "heard %zu sent %zu retries %zu, want 4, %d, 3", st.heard,
		      st.sent, st.retries, N);
	}
	grpsec_signer_free(signer);
	rekey_part.uninit(&d);
	groups_part.uninit(&d);
	conf_free(d.conf);
	loop_free(d.loop);
	return check_report();
}
