// SPDX-License-Identifier: GPL-2.0
/*
 * The manager's database part (groups.h): opens the database under the
 * master key, and gives every [Group] of the configuration that the
 * database does not know yet its first epoch, with fresh secrets
 * (keys.rst: S_auth, S_e2e, 32 random bytes each, K_G the suite's key
 * length).  A group the database has keeps its keys: a restart or a
 * reload never changes a secret.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>

#include "grpsec.h"
#include "conf.h"
#include "groups.h"
#include "keystore.h"
#include "log.h"
#include "store.h"

#define FIRST_EPOCH	1

static int group_first_epoch(struct store *st, const struct conf_group *cg)
{
	struct store_group g = {
		.id = cg->id, .suite = cg->suite, .mode = cg->mode, .epoch = FIRST_EPOCH,
	};
	struct store_epoch e = {
		.group = cg->id, .epoch = FIRST_EPOCH, .msg_limit = cg->message_limit,
		.k_g_len = (uint8_t)grpsec_suite_key_len(cg->suite),
	};
	int err = grpsec_random(e.s_auth, sizeof(e.s_auth));

	if (!err)
		err = grpsec_random(e.s_e2e, sizeof(e.s_e2e));
	if (!err)
		err = grpsec_random(e.k_g, e.k_g_len);
	if (!err)
		err = store_group_create(st, &g, &e);
	OPENSSL_cleanse(&e, sizeof(e));
	return err;
}

/*
 * Every configured group in the database (@create false: only check that
 * those it has keep their suite and mode); those it has are left as they
 * are.
 */
static int groups_sync(struct store *st, const struct grpsecd_conf *conf, bool create)
{
	for (size_t i = 0; i < conf->ngroups; i++) {
		const struct conf_group *cg = &conf->groups[i];
		struct store_group g;
		int err = store_group_get(st, cg->id, &g);

		if (err == -ENOENT && !create) {
			err = 0;
		} else if (err == -ENOENT) {
			err = group_first_epoch(st, cg);
			if (!err)
				log_info("group %u: created, epoch %u", cg->id, FIRST_EPOCH);
		} else if (!err && (g.suite != cg->suite || g.mode != cg->mode)) {
			log_err("%s:%u: group %u has suite %s and mode %s in the database: a group's suite and mode never change (use a new group id)",
				conf->file, cg->line, cg->id, grpsec_suite_name(g.suite),
				grpsec_mode_name(g.mode));
			return -1;
		}
		if (err) {
			log_err("group %u: %s", cg->id, store_error(st));
			return -1;
		}
	}
	return 0;
}

int groups_signer(struct store *st, struct grpsec_signer **out)
{
	uint8_t seed[STORE_NAMED_SECRET_MAX];
	size_t len = sizeof(seed);
	int err = store_secret_get(st, GROUPS_SIGNING_SECRET, seed, &len);

	if (err == -ENOENT) {
		/* First start: the signing key is drawn once and kept, wrapped, for good. */
		len = GRPSEC_SIGN_KEY_LEN;
		err = grpsec_random(seed, len);
		if (!err)
			err = store_secret_put(st, GROUPS_SIGNING_SECRET, seed, len);
		if (err == -EEXIST) {	/* another process drew it first: take that one */
			len = sizeof(seed);
			err = store_secret_get(st, GROUPS_SIGNING_SECRET, seed, &len);
		}
	}
	if (!err && len != GRPSEC_SIGN_KEY_LEN)
		err = -EINVAL;
	if (!err)
		err = grpsec_signer_new(seed, out);
	OPENSSL_cleanse(seed, sizeof(seed));
	return err;
}

static int groups_init(struct grpsecd *d)
{
	const struct conf_manager *m = &d->conf->manager;
	uint8_t master[STORE_MASTER_KEY_LEN];
	char err[STORE_ERR_LEN];
	int r;

	r = keystore_load(m->master_key, master, err);
	if (r) {
		log_err("%s", err);
		return -1;
	}
	r = store_open(m->database, master, &d->store, err);
	OPENSSL_cleanse(master, sizeof(master));
	if (r) {
		log_err("%s", err);
		return -1;
	}
	if (groups_sync(d->store, d->conf, true)) {
		store_close(d->store);
		d->store = NULL;
		return -1;
	}
	return 0;
}

static void groups_uninit(struct grpsecd *d)
{
	store_close(d->store);
	d->store = NULL;
}

/*
 * A reload may add groups; those the database has must keep suite and
 * mode.  The database and its master key name the state itself: a change
 * needs a restart.
 */
static int groups_reload_check(struct grpsecd *d, const struct grpsecd_conf *next)
{
	const struct conf_manager *a = &d->conf->manager, *b = &next->manager;

	if (strcmp(a->database, b->database) || strcmp(a->master_key, b->master_key)) {
		log_err("Database and MasterKey cannot change on reload: restart grpsecd");
		return -1;
	}
	return groups_sync(d->store, next, false);
}

static void groups_reload_apply(struct grpsecd *d, const struct grpsecd_conf *prev)
{
	(void)prev;
	if (groups_sync(d->store, d->conf, true))
		log_err("groups: the new groups could not all be created; enrollments in them are refused");
}

const struct grpsecd_part groups_part = {
	.name = "groups",
	.init = groups_init,
	.uninit = groups_uninit,
	.reload_check = groups_reload_check,
	.reload_apply = groups_reload_apply,
};
