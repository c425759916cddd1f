/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The manager's database (groups.c): opened at start under the master
 * key (d->store), every configured group given its first epoch if the
 * database has none.
 */
#ifndef GRPSECD_GROUPS_H
#define GRPSECD_GROUPS_H

#include "grpsecd.h"

extern const struct grpsecd_part groups_part;

struct grpsec_signer;
struct store;

/* The store's named secret that holds the manager's Ed25519 seed. */
#define GROUPS_SIGNING_SECRET	"signing-seed"

/*
 * groups_signer() - the manager's signing key from the store, drawn and
 * committed at the first call on a new database.  Returns 0, -EINVAL (a
 * stored seed of the wrong length), or the store's or libgrpsec's error.
 */
int groups_signer(struct store *st, struct grpsec_signer **out);

#endif
