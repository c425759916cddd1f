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

#endif
