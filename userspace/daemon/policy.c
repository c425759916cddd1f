// SPDX-License-Identifier: GPL-2.0
/*
 * The admission policy (policy.h): an identity joins a group when one
 * [Allow] section lists the group and one of its patterns of the
 * identity's kind matches.  Anything not allowed is refused.
 */
#include <fnmatch.h>
#include <stdbool.h>

#include "conf.h"
#include "policy.h"

static bool any_match(const struct conf_strs *patterns, const char *s)
{
	for (size_t i = 0; i < patterns->n; i++)
		if (!fnmatch(patterns->v[i], s, 0))
			return true;
	return false;
}

static bool allow_lists(const struct conf_allow *a, uint32_t group)
{
	for (size_t i = 0; i < a->groups.n; i++)
		if (a->groups.v[i] == group)
			return true;
	return false;
}

static bool allow_admits(const struct conf_allow *a, const struct identity *id)
{
	if (id->kind == IDENTITY_PSK)
		return any_match(&a->psk_ids, id->subject);
	if (id->subject && any_match(&a->subjects, id->subject))
		return true;
	for (size_t i = 0; i < id->nsans; i++)
		if (any_match(&a->sans, id->sans[i]))
			return true;
	return false;
}

enum policy_result policy_check(const struct grpsecd_conf *conf,
				const struct identity *id, uint32_t group,
				const char **reason)
{
	const char *why = NULL;
	enum policy_result r = POLICY_DENY;

	if (!conf_group_find(conf, group)) {
		r = POLICY_NO_GROUP;
		why = "the manager has no such group";
	} else {
		for (size_t i = 0; i < conf->nallows; i++) {
			if (allow_lists(&conf->allows[i], group) &&
			    allow_admits(&conf->allows[i], id))
				return POLICY_ALLOW;
		}
		why = "no [Allow] rule admits this identity to the group";
	}
	if (reason)
		*reason = why;
	return r;
}

const char *policy_result_name(enum policy_result r)
{
	switch (r) {
	case POLICY_ALLOW:
		return "allow";
	case POLICY_NO_GROUP:
		return "no_group";
	default:
		return "deny";
	}
}
