// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway's kernel side: grpsec.ko made to hold a struct gwstate.
 *
 * Kernel events are hints; a dump is the truth.  A reconciliation reads
 * the module whole (GET_INFO, GET_UPSTREAM, the group and member dumps,
 * read again when one comes back with NLM_F_DUMP_INTR), compares it with
 * the wanted state and sends only what differs, members
 * GRPSEC_MEMBERS_PER_MSG to a request.  A reconciliation that finds
 * nothing different sends nothing, and a key slot that already holds
 * the wanted epoch and key is never set again, so its replay window
 * stays and a reconciliation under traffic drops no frame.
 *
 * The member dump has no key bytes, so this file keeps its own record
 * of what it installed (@installed: a gwstate holding copies of the keys
 * it sent, wiped when dropped): a slot whose epoch is the wanted one but
 * whose recorded key differs is set again.  After a restart the record
 * is empty and a slot is set only when its epoch differs; a key changed
 * under the same epoch is still caught, because the manager never
 * changes a key without changing its epoch (grpsecd.rst).
 *
 * Nonce counters (the gateway sequence, the batch sequence, each
 * terminate mode group's SEND sequence) are kept from going back across
 * restarts with ranges reserved ahead in a state file: "reserved up to
 * R" is committed (written, synced, renamed) before the module may use a
 * value up to R, and when a counter has lost its history (the module was
 * reloaded, the clock set back) the module is given R as its floor.
 * The same file keeps each member's replay floor, the highest sequence
 * the module had verified when last read, given back to a member the
 * module lost (a reload), so that frames it took before stay refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <openssl/crypto.h>

#include <linux/grpsec.h>

#include "../common/nl.h"
#include "../common/value.h"
#include "conf.h"
#include "gwstate.h"
#include "kernel.h"
#include "log.h"
#include "loop.h"

/* ---- the state file: ranges reserved ahead ---- */

struct reserve {
	bool have;
	uint64_t upto;		/* values below it may have been used */
};

struct cmd_reserve {
	uint32_t group;
	struct reserve r;
};

/*
 * A member's replay floor: the highest sequence the module had verified
 * when last read ("last-seq.G.M").  Not a reservation: it only keeps a
 * reloaded module from taking frames recorded before, up to that read.
 */
struct seq_floor {
	uint32_t group, id;
	uint64_t seq;
	unsigned int line;	/* in the file, for "given twice"; 0: new */
	bool gone;		/* the member was deleted: not written */
};

struct seqfile {
	char *path;
	struct reserve gateway, batch;
	struct cmd_reserve *cmd;
	size_t ncmd;
	bool dirty;		/* a reservation moved: commit before use */
	struct seq_floor *floors;	/* sorted up to nsorted, then new ones */
	size_t nfloors, nsorted, fcap;
	bool floors_dirty;	/* a floor rose or went: commit */
};

struct kernel {
	struct grpsec_nl req;		/* requests and dumps */
	struct grpsec_nl ev;		/* the events group */
	bool ev_open;
	struct loop *loop;
	struct loop_timer *soon, *periodic;
	bool pending;			/* soon is armed */
	bool armed;			/* a caller has given a state */
	const struct gwstate *want;
	struct kernel_hooks hooks;
	struct kernel_counters cnt;
	struct gwstate *installed;	/* what this process installed */
	struct seqfile sf;
	uint64_t interval_ms;		/* of the periodic reconciliation */
	uint64_t floors_ms;		/* the floors' last commit, loop_now_ms() */
};

static struct reserve *cmd_reserve(struct seqfile *sf, uint32_t group,
				   bool create)
{
	struct cmd_reserve *n;

	for (size_t i = 0; i < sf->ncmd; i++)
		if (sf->cmd[i].group == group)
			return &sf->cmd[i].r;
	if (!create)
		return NULL;
	n = realloc(sf->cmd, (sf->ncmd + 1) * sizeof(*n));
	if (!n)
		return NULL;
	sf->cmd = n;
	sf->cmd[sf->ncmd] = (struct cmd_reserve){ .group = group };
	return &sf->cmd[sf->ncmd++].r;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static int cmp_floor(const void *a, const void *b)
{
	const struct seq_floor *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The floor of member @group/@id, from the sorted part; NULL if none. */
static struct seq_floor *floor_find(const struct seqfile *sf, uint32_t group,
				    uint32_t id)
{
	size_t lo = 0, hi = sf->nsorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct seq_floor *f = &sf->floors[mid];

		if (f->group == group && f->id == id)
			return &sf->floors[mid];
		if (f->group < group || (f->group == group && f->id < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct seq_floor *floor_append(struct seqfile *sf, uint32_t group,
				      uint32_t id, uint64_t seq,
				      unsigned int line)
{
	if (sf->nfloors == sf->fcap) {
		size_t cap = sf->fcap ? 2 * sf->fcap : 256;
		struct seq_floor *n = realloc(sf->floors, cap * sizeof(*n));

		if (!n)
			return NULL;
		sf->floors = n;
		sf->fcap = cap;
	}
	sf->floors[sf->nfloors] = (struct seq_floor){ .group = group, .id = id,
						      .seq = seq, .line = line };
	return &sf->floors[sf->nfloors++];
}

/*
 * The module verified up to @seq from member @group/@id: a floor that
 * rises is committed with the next reconciliation.  A member met for
 * the first time goes after the sorted part (each is met once a read;
 * floors_sort() when the read is done).
 */
static int floor_note(struct seqfile *sf, uint32_t group, uint32_t id,
		      uint64_t seq)
{
	struct seq_floor *f = floor_find(sf, group, id);

	if (f) {
		if (seq > f->seq || (f->gone && seq)) {
			f->seq = f->gone ? seq : max64(f->seq, seq);
			f->gone = false;
			sf->floors_dirty = true;
		}
		return 0;
	}
	if (!seq)
		return 0;
	if (!floor_append(sf, group, id, seq, 0))
		return -ENOMEM;
	sf->floors_dirty = true;
	return 0;
}

/* Member @group/@id was deleted: forgotten (from the sorted part). */
static void floor_forget(struct seqfile *sf, uint32_t group, uint32_t id)
{
	struct seq_floor *f = floor_find(sf, group, id);

	if (f && !f->gone) {
		f->gone = true;
		sf->floors_dirty = true;
	}
}

/* Group @group was deleted: its members' floors forgotten. */
static void floor_forget_group(struct seqfile *sf, uint32_t group)
{
	for (size_t i = 0; i < sf->nfloors; i++) {
		struct seq_floor *f = &sf->floors[i];

		if (f->group == group && !f->gone) {
			f->gone = true;
			sf->floors_dirty = true;
		}
	}
}

/* The new floors into the sorted part, the forgotten ones out. */
static void floors_sort(struct seqfile *sf)
{
	size_t n = 0;

	for (size_t i = 0; i < sf->nfloors; i++)
		if (!sf->floors[i].gone)
			sf->floors[n++] = sf->floors[i];
	sf->nfloors = n;
	qsort(sf->floors, sf->nfloors, sizeof(*sf->floors), cmp_floor);
	sf->nsorted = sf->nfloors;
}

/* "last-seq.G.M": G and M from 1 up. */
static bool parse_floor_name(const char *name, uint32_t *group, uint32_t *id)
{
	char g[11];
	const char *dot;

	if (strncmp(name, "last-seq.", 9))
		return false;
	name += 9;
	dot = strchr(name, '.');
	if (!dot || dot == name || (size_t)(dot - name) >= sizeof(g))
		return false;
	memcpy(g, name, dot - name);
	g[dot - name] = '\0';
	return parse_u32(g, group, 1, UINT32_MAX) &&
	       parse_u32(dot + 1, id, 1, UINT32_MAX);
}

/* One "name value" line; 0, or -1 with the reason logged as FILE:LINE. */
static int seqfile_line(struct seqfile *sf, char *line, unsigned int lineno)
{
	char name[64], value[32], extra[2];
	struct reserve *r = NULL;
	uint32_t group, id;
	uint64_t v;
	int n;

	n = sscanf(line, " %63s %31s %1s", name, value, extra);
	if (n <= 0 || name[0] == '#')
		return 0;
	if (n != 2 || !parse_u64(value, &v, 0, UINT64_MAX)) {
		log_err("%s:%u: expected \"NAME VALUE\"", sf->path, lineno);
		return -1;
	}
	if (!strcmp(name, "gateway-seq"))
		r = &sf->gateway;
	else if (!strcmp(name, "batch-seq"))
		r = &sf->batch;
	else if (!strncmp(name, "cmd-seq.", 8) &&
		 parse_u32(name + 8, &group, 1, UINT32_MAX))
		r = cmd_reserve(sf, group, true);
	else if (parse_floor_name(name, &group, &id)) {
		if (floor_append(sf, group, id, v, lineno))
			return 0;
		log_err("%s:%u: out of memory", sf->path, lineno);
		return -1;
	} else {
		log_err("%s:%u: unknown name \"%s\"", sf->path, lineno, name);
		return -1;
	}
	if (!r) {
		log_err("%s:%u: out of memory", sf->path, lineno);
		return -1;
	}
	if (r->have) {
		log_err("%s:%u: \"%s\" given twice", sf->path, lineno, name);
		return -1;
	}
	r->have = true;
	r->upto = v;
	return 0;
}

/* A missing file is an empty one: nothing was reserved yet. */
static int seqfile_load(struct seqfile *sf)
{
	unsigned int lineno = 0;
	char line[256];
	FILE *f;
	int ret = 0;

	f = fopen(sf->path, "r");
	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		log_err("%s: %s", sf->path, strerror(errno));
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			log_err("%s:%u: line too long", sf->path, lineno);
			ret = -1;
			break;
		}
		ret = seqfile_line(sf, line, lineno);
	}
	if (!ret && ferror(f)) {
		log_err("%s: %s", sf->path, strerror(errno));
		ret = -1;
	}
	fclose(f);
	if (ret)
		return ret;
	floors_sort(sf);
	for (size_t i = 1; i < sf->nfloors; i++) {
		const struct seq_floor *a = &sf->floors[i - 1], *b = &sf->floors[i];

		if (a->group == b->group && a->id == b->id) {
			log_err("%s:%u: \"last-seq.%u.%u\" given twice", sf->path,
				b->line, b->group, b->id);
			return -1;
		}
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd, ret;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -errno;
	ret = fsync(fd) ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * Write the reservations to PATH.tmp (0600), sync it, rename it over
 * PATH and sync the directory: after a crash the file holds either the
 * old reservations or the new ones, and the new ones only once every
 * byte of them is on disk.
 */
static int seqfile_commit(struct kernel *k)
{
	struct seqfile *sf = &k->sf;
	char tmp[PATH_MAX];
	FILE *f;
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", sf->path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		log_err("%s: %s", tmp, strerror(-ret));
		return ret;
	}
	fprintf(f, "# grpsecd gateway: nonce counter values reserved ahead;\n"
		   "# the module never goes below them (grpsecd.rst)\n");
	if (sf->gateway.have)
		fprintf(f, "gateway-seq %llu\n",
			(unsigned long long)sf->gateway.upto);
	if (sf->batch.have)
		fprintf(f, "batch-seq %llu\n", (unsigned long long)sf->batch.upto);
	for (size_t i = 0; i < sf->ncmd; i++)
		if (sf->cmd[i].r.have)
			fprintf(f, "cmd-seq.%u %llu\n", sf->cmd[i].group,
				(unsigned long long)sf->cmd[i].r.upto);
	if (sf->nfloors)
		fprintf(f, "# members' replay floors, as last read from the module\n");
	for (size_t i = 0; i < sf->nfloors; i++)
		if (!sf->floors[i].gone)
			fprintf(f, "last-seq.%u.%u %llu\n", sf->floors[i].group,
				sf->floors[i].id,
				(unsigned long long)sf->floors[i].seq);
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, sf->path))
		ret = -errno;
	if (!ret)
		ret = fsync_dir_of(sf->path);
	if (ret) {
		log_err("%s: cannot commit the reserved sequences: %s",
			sf->path, strerror(-ret));
		unlink(tmp);
		return ret;
	}
	sf->dirty = false;
	sf->floors_dirty = false;
	k->floors_ms = loop_now_ms();
	k->cnt.state_commits++;
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Reserve at least up to @next + KERNEL_SEQ_RESERVE / 2. */
static void reserve_ahead(struct seqfile *sf, struct reserve *r, uint64_t next)
{
	if (r->have && next + KERNEL_SEQ_RESERVE / 2 <= r->upto)
		return;
	r->upto = max64(r->upto, next + KERNEL_SEQ_RESERVE);
	r->have = true;
	sf->dirty = true;
}

/*
 * A counter the module has, at @next: the floor to give it (0: none) so
 * that it is at or above @want_floor and above everything reserved
 * before the current range.  A counter below R - K has lost its history
 * (the module reloaded with the clock set back): it continues from R.
 * @strict (at start) gives R to any counter below it, as the previous
 * daemon may have handed out values up to R.
 */
static uint64_t counter_floor(struct seqfile *sf, struct reserve *r,
			      uint64_t next, uint64_t want_floor, bool strict)
{
	uint64_t floor = want_floor > next ? want_floor : 0;
	uint64_t low = !r->have ? 0 : strict ? r->upto :
		       r->upto > KERNEL_SEQ_RESERVE ? r->upto - KERNEL_SEQ_RESERVE : 0;

	if (r->have && next < low)
		floor = max64(floor, r->upto);
	reserve_ahead(sf, r, max64(next, floor));
	return floor;
}

/*
 * A counter the module is about to make (a new group, a new K_up): it
 * starts at R, or where the module would start it (the clock) when
 * nothing was ever reserved, and not below @want_floor.
 */
static uint64_t counter_new(struct seqfile *sf, struct reserve *r,
			    uint64_t want_floor)
{
	uint64_t floor = max64(r->have ? r->upto : realtime_ns(), want_floor);

	reserve_ahead(sf, r, floor);
	return floor;
}

/* ---- the module's state, as dumped ---- */

struct kgroup {
	uint32_t id, flags, rate_limit, epoch, next_epoch;
	uint8_t suite, mode;
	bool has_epoch, has_next, has_cmd_seq;
	uint64_t msg_limit, cmd_seq;
};

struct kmember {
	uint32_t group, id, epoch, next_epoch;
	uint32_t last_epoch;		/* of its newest verified frame; 0: none */
	bool has_epoch, has_next;
	uint64_t last_seq;
};

struct kview {
	uint16_t port;
	uint64_t gateway_seq;
	bool up;
	uint32_t up_gateway;
	uint8_t up_suite;
	struct sockaddr_storage up_endpoint;
	socklen_t up_endpoint_len;
	uint64_t up_seq;
	struct kgroup *groups;
	size_t ngroups, gcap;
	struct kmember *members;
	size_t nmembers, mcap;
	bool nomem;
};

static void kview_free(struct kview *v)
{
	free(v->groups);
	free(v->members);
	memset(v, 0, sizeof(*v));
}

static bool get_u8(struct nlattr *a, uint8_t *v)
{
	if (!a || nla_len(a) != 1)
		return false;
	*v = nla_get_u8(a);
	return true;
}

static bool get_u16(struct nlattr *a, uint16_t *v)
{
	if (!a || nla_len(a) != 2)
		return false;
	*v = nla_get_u16(a);
	return true;
}

static bool get_u32(struct nlattr *a, uint32_t *v)
{
	if (!a || nla_len(a) != 4)
		return false;
	*v = nla_get_u32(a);
	return true;
}

static bool get_u64(struct nlattr *a, uint64_t *v)
{
	if (!a || nla_len(a) != 8)
		return false;
	*v = nla_get_u64(a);
	return true;
}

static struct nlattr *msg_attr(struct nl_msg *msg, int type)
{
	return nlmsg_find_attr(nlmsg_hdr(msg), GENL_HDRLEN, type);
}

static int info_cb(struct nl_msg *msg, void *arg)
{
	struct kview *v = arg;

	get_u16(msg_attr(msg, GRPSEC_A_LISTEN_PORT), &v->port);
	get_u64(msg_attr(msg, GRPSEC_A_GATEWAY_SEQ), &v->gateway_seq);
	return NL_OK;
}

static int upstream_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[GRPSEC_A_UPSTREAM_MAX + 1], *ep;
	struct nlattr *nest = msg_attr(msg, GRPSEC_A_UPSTREAM);
	struct kview *v = arg;

	if (!nest || nla_parse_nested(tb, GRPSEC_A_UPSTREAM_MAX, nest, NULL))
		return NL_SKIP;
	ep = tb[GRPSEC_A_UPSTREAM_ENDPOINT];
	if (!ep || (size_t)nla_len(ep) > sizeof(v->up_endpoint))
		return NL_SKIP;
	memcpy(&v->up_endpoint, nla_data(ep), nla_len(ep));
	v->up_endpoint_len = nla_len(ep);
	get_u32(tb[GRPSEC_A_UPSTREAM_GATEWAY_ID], &v->up_gateway);
	get_u8(tb[GRPSEC_A_UPSTREAM_SUITE], &v->up_suite);
	get_u64(tb[GRPSEC_A_UPSTREAM_SEQ], &v->up_seq);
	v->up = true;
	return NL_OK;
}

static int group_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[GRPSEC_A_GROUP_MAX + 1];
	struct nlattr *nest = msg_attr(msg, GRPSEC_A_GROUP);
	struct kview *v = arg;
	struct kgroup *g;

	if (!nest || nla_parse_nested(tb, GRPSEC_A_GROUP_MAX, nest, NULL))
		return NL_SKIP;
	if (v->ngroups == v->gcap) {
		size_t cap = v->gcap ? 2 * v->gcap : 16;
		struct kgroup *n = realloc(v->groups, cap * sizeof(*n));

		if (!n) {
			v->nomem = true;
			return NL_SKIP;
		}
		v->groups = n;
		v->gcap = cap;
	}
	g = &v->groups[v->ngroups];
	memset(g, 0, sizeof(*g));
	if (!get_u32(tb[GRPSEC_A_GROUP_ID], &g->id))
		return NL_SKIP;
	get_u8(tb[GRPSEC_A_GROUP_SUITE], &g->suite);
	get_u8(tb[GRPSEC_A_GROUP_MODE], &g->mode);
	get_u32(tb[GRPSEC_A_GROUP_FLAGS], &g->flags);
	get_u64(tb[GRPSEC_A_GROUP_MSG_LIMIT], &g->msg_limit);
	get_u32(tb[GRPSEC_A_GROUP_RATE_LIMIT], &g->rate_limit);
	g->has_epoch = get_u32(tb[GRPSEC_A_GROUP_EPOCH], &g->epoch);
	g->has_next = get_u32(tb[GRPSEC_A_GROUP_NEXT_EPOCH], &g->next_epoch);
	g->has_cmd_seq = get_u64(tb[GRPSEC_A_GROUP_CMD_SEQ], &g->cmd_seq);
	v->ngroups++;
	return NL_OK;
}

static int member_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[GRPSEC_A_MEMBER_MAX + 1];
	struct kview *v = arg;
	struct nlattr *a;
	int rem;

	nlmsg_for_each_attr(a, nlmsg_hdr(msg), GENL_HDRLEN, rem) {
		struct kmember *m;

		if (nla_type(a) != GRPSEC_A_MEMBER ||
		    nla_parse_nested(tb, GRPSEC_A_MEMBER_MAX, a, NULL))
			continue;
		if (v->nmembers == v->mcap) {
			size_t cap = v->mcap ? 2 * v->mcap : 1024;
			struct kmember *n = realloc(v->members, cap * sizeof(*n));

			if (!n) {
				v->nomem = true;
				return NL_SKIP;
			}
			v->members = n;
			v->mcap = cap;
		}
		m = &v->members[v->nmembers];
		memset(m, 0, sizeof(*m));
		if (!get_u32(tb[GRPSEC_A_MEMBER_GROUP], &m->group) ||
		    !get_u32(tb[GRPSEC_A_MEMBER_ID], &m->id))
			continue;
		m->has_epoch = get_u32(tb[GRPSEC_A_MEMBER_EPOCH], &m->epoch);
		m->has_next = get_u32(tb[GRPSEC_A_MEMBER_NEXT_EPOCH],
				      &m->next_epoch);
		get_u64(tb[GRPSEC_A_MEMBER_LAST_SEQ], &m->last_seq);
		get_u32(tb[GRPSEC_A_MEMBER_LAST_EPOCH], &m->last_epoch);
		v->nmembers++;
	}
	return NL_OK;
}

static void log_refusal(struct kernel *k, const char *what, int err)
{
	if (k->req.has_ext_msg)
		log_err("kernel: %s: kernel reports: %s", what, k->req.ext_msg);
	else
		log_err("kernel: %s: %s", what, strerror(-err));
}

/* Send @msg, free it (wiped); 0 or -errno, the refusal logged. */
static int talk(struct kernel *k, struct nl_msg *msg, grpsec_nl_parse_t parse,
		void *arg, const char *what)
{
	int ret = grpsec_nl_talk(&k->req, msg, parse, arg);

	if (ret && what)
		log_refusal(k, what, ret);
	grpsec_nl_msg_free(msg);
	return ret;
}

static int request(struct kernel *k, uint8_t cmd, int flags, grpsec_nl_parse_t parse,
		   void *arg, const char *what)
{
	struct nl_msg *msg = grpsec_nl_msg(&k->req, cmd, flags);

	if (!msg)
		return -ENOMEM;
	return talk(k, msg, parse, arg, what);
}

static int cmp_kmember(const void *a, const void *b)
{
	const struct kmember *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Read the module whole, again while a dump reports it changed meanwhile. */
static int kview_read(struct kernel *k, struct kview *v, struct kernel_diff *d)
{
	int ret;

	for (int tries = 0; tries < 5; tries++) {
		kview_free(v);
		ret = request(k, GRPSEC_CMD_GET_INFO, 0, info_cb, v,
			      "reading the gateway");
		if (ret)
			return ret;
		ret = request(k, GRPSEC_CMD_GET_UPSTREAM, 0, upstream_cb, v, NULL);
		if (ret && ret != -ENOENT && ret != -ENOTCONN) {
			log_refusal(k, "reading the upstream", ret);
			return ret;
		}
		ret = request(k, GRPSEC_CMD_GET_GROUP, NLM_F_DUMP, group_cb, v,
			      "listing groups");
		d->dumps++;
		if (!ret && !k->req.dump_interrupted) {
			ret = request(k, GRPSEC_CMD_GET_MEMBER, NLM_F_DUMP,
				      member_cb, v, "listing members");
			d->dumps++;
		}
		if (ret)
			return ret;
		if (v->nomem)
			return -ENOMEM;
		if (!k->req.dump_interrupted) {
			qsort(v->members, v->nmembers, sizeof(*v->members),
			      cmp_kmember);
			return 0;
		}
		log_debug("kernel: the configuration changed during a dump, reading it again");
	}
	log_err("kernel: the module's configuration kept changing while it was read");
	return -EAGAIN;
}

static const struct kgroup *kgroup_find(const struct kview *v, uint32_t id)
{
	for (size_t i = 0; i < v->ngroups; i++)
		if (v->groups[i].id == id)
			return &v->groups[i];
	return NULL;
}

static const struct kmember *kmember_find(const struct kview *v,
					  uint32_t group, uint32_t id)
{
	struct kmember key = { .group = group, .id = id };

	return bsearch(&key, v->members, v->nmembers, sizeof(*v->members),
		       cmp_kmember);
}

/* ---- comparing ---- */

/* The recorded key of @epoch, in either slot (the module may promote). */
static const struct gw_key *rec_key(const struct gw_key *cur,
				    const struct gw_key *next, uint32_t epoch)
{
	if (cur && cur->set && cur->epoch == epoch)
		return cur;
	if (next && next->set && next->epoch == epoch)
		return next;
	return NULL;
}

/*
 * Does the module's slot (@has, @epoch) hold the wanted key @w?  Only
 * the epoch is known from the dump; the key is compared with what this
 * process installed, when it did (see the top of the file).
 */
static bool slot_same(const struct gw_key *w, bool has, uint32_t epoch,
		      const struct gw_key *rec, size_t key_len)
{
	if (!w->set)
		return !has;
	if (!has || epoch != w->epoch)
		return false;
	return !rec || !CRYPTO_memcmp(rec->key, w->key, key_len);
}

static bool endpoint_same(const struct sockaddr_storage *a, socklen_t alen,
			  const struct sockaddr_storage *b, socklen_t blen)
{
	if (alen != blen || a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

/* What a group or member request carries. */
enum {
	P_CUR = 1 << 0,		/* the current slot's key */
	P_NEXT = 1 << 1,
	P_CLEAR_CUR = 1 << 2,	/* the slot named without data: emptied */
	P_CLEAR_NEXT = 1 << 3,
	P_LAST_SEQ = 1 << 4,	/* members */
	P_FLAGS = 1 << 5,	/* groups */
	P_LIMIT = 1 << 6,
	P_RATE = 1 << 7,
	P_CMD_SEQ = 1 << 8,
};

struct gop {
	const struct gw_group *w;
	bool new;
	unsigned int what;
	uint64_t cmd_seq;
};

struct mop {
	uint32_t group, id;
	const struct gw_member *w;	/* NULL for a delete */
	unsigned int what;
	uint64_t last_seq;		/* with P_LAST_SEQ */
};

struct mops {
	struct mop *v;
	size_t n, cap;
};

struct plan {
	bool set_listen;
	uint16_t port;
	bool set_port;
	uint64_t gateway_floor;
	bool set_upstream, del_upstream;
	uint64_t upstream_seq;
	uint32_t *del_groups;
	size_t ndel_groups;
	struct gop *gops;
	size_t ngops;
	struct mops del, set, add;
};

static void plan_free(struct plan *p)
{
	free(p->del_groups);
	free(p->gops);
	free(p->del.v);
	free(p->set.v);
	free(p->add.v);
}

static int mops_add(struct mops *m, uint32_t group, uint32_t id,
		    const struct gw_member *w, unsigned int what, uint64_t last_seq)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 256;
		struct mop *n = realloc(m->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->v = n;
		m->cap = cap;
	}
	m->v[m->n++] = (struct mop){ .group = group, .id = id, .w = w,
				     .what = what, .last_seq = last_seq };
	return 0;
}

static size_t group_key_len(const struct gwstate *want, uint32_t group)
{
	const struct gw_group *g = gwstate_group_find(want, group);

	return suite_key_len(g ? g->suite : GRPSEC_SUITE_AES128_GCM);
}

/* A group that keeps its id but not its suite or mode is made again. */
static bool group_replaced(const struct gwstate *want, const struct kview *v,
			   uint32_t id)
{
	const struct gw_group *w = gwstate_group_find(want, id);
	const struct kgroup *g = kgroup_find(v, id);

	return w && g && (w->suite != g->suite || w->mode != g->mode);
}

static unsigned int slot_diff(const struct gw_key *wcur, const struct gw_key *wnext,
			      bool has_cur, uint32_t cur, bool has_next,
			      uint32_t next, const struct gw_key *rcur,
			      const struct gw_key *rnext, size_t len)
{
	unsigned int what = 0;

	if (!slot_same(wcur, has_cur, cur, rec_key(rcur, rnext, cur), len))
		what |= wcur->set ? P_CUR : P_CLEAR_CUR;
	if (!slot_same(wnext, has_next, next, rec_key(rcur, rnext, next), len))
		what |= wnext->set ? P_NEXT : P_CLEAR_NEXT;
	return what;
}

static int plan_groups(struct kernel *k, const struct gwstate *want,
		       const struct kview *v, struct plan *p)
{
	p->del_groups = calloc(v->ngroups + 1, sizeof(*p->del_groups));
	p->gops = calloc(want->ngroups + 1, sizeof(*p->gops));
	if (!p->del_groups || !p->gops)
		return -ENOMEM;
	for (size_t i = 0; i < v->ngroups; i++) {
		uint32_t id = v->groups[i].id;

		if (!gwstate_group_find(want, id))
			floor_forget_group(&k->sf, id);
		if (!gwstate_group_find(want, id) || group_replaced(want, v, id))
			p->del_groups[p->ndel_groups++] = id;
	}
	for (size_t i = 0; i < want->ngroups; i++) {
		const struct gw_group *w = &want->groups[i];
		const struct kgroup *g = kgroup_find(v, w->id);
		bool terminate = w->flags & GRPSEC_GROUP_F_TERMINATE;
		struct reserve *r = NULL;
		struct gop op = { .w = w };

		if (terminate) {
			r = cmd_reserve(&k->sf, w->id, true);
			if (!r)
				return -ENOMEM;
		}
		if (!g || group_replaced(want, v, w->id)) {
			op.new = true;
			op.what = (w->flags ? P_FLAGS : 0) |
				  (w->msg_limit ? P_LIMIT : 0) |
				  (w->rate_limit ? P_RATE : 0) |
				  (terminate && w->cur.set ? P_CUR : 0) |
				  (terminate && w->next.set ? P_NEXT : 0);
			if (terminate) {
				op.cmd_seq = counter_new(&k->sf, r, w->cmd_seq_floor);
				op.what |= P_CMD_SEQ;
			}
			p->gops[p->ngops++] = op;
			continue;
		}
		if (g->flags != w->flags)
			op.what |= P_FLAGS;
		if (w->msg_limit && g->msg_limit != w->msg_limit)
			op.what |= P_LIMIT;
		if (g->rate_limit != w->rate_limit)
			op.what |= P_RATE;
		if (terminate) {
			const struct gw_group *rec = gwstate_group_find(k->installed, w->id);

			op.what |= slot_diff(&w->cur, &w->next, g->has_epoch,
					     g->epoch, g->has_next, g->next_epoch,
					     rec ? &rec->cur : NULL,
					     rec ? &rec->next : NULL,
					     suite_key_len(w->suite));
			/* Turning terminate mode on makes a new counter. */
			if (!g->has_cmd_seq || !(g->flags & GRPSEC_GROUP_F_TERMINATE))
				op.cmd_seq = counter_new(&k->sf, r, w->cmd_seq_floor);
			else
				op.cmd_seq = counter_floor(&k->sf, r, g->cmd_seq,
							   w->cmd_seq_floor, false);
			if (op.cmd_seq)
				op.what |= P_CMD_SEQ;
		}
		if (op.what)
			p->gops[p->ngops++] = op;
	}
	return 0;
}

struct member_walk {
	struct kernel *k;
	const struct gwstate *want;
	const struct kview *v;
	struct plan *p;
};

/*
 * A member's replay floor: the wanted one, or the one saved from the
 * module if higher (after a reload of the module, the frames it had
 * verified stay refused).
 */
static uint64_t member_floor(const struct kernel *k, const struct gw_member *w)
{
	const struct seq_floor *f = floor_find(&k->sf, w->group, w->id);

	return max64(w->last_seq, f && !f->gone ? f->seq : 0);
}

/* Members the module lacks (or whose group is made again): added. */
static int plan_new_member(const struct gw_member *w, void *arg)
{
	struct member_walk *mw = arg;
	const struct kmember *km = kmember_find(mw->v, w->group, w->id);
	uint64_t floor = member_floor(mw->k, w);
	unsigned int what;

	if (km && kgroup_find(mw->v, w->group) &&
	    !group_replaced(mw->want, mw->v, w->group))
		return 0;
	what = (w->cur.set ? P_CUR : 0) | (w->next.set ? P_NEXT : 0) |
	       (floor ? P_LAST_SEQ : 0);
	if (!(what & (P_CUR | P_NEXT))) {
		log_debug("kernel: member %u/%u has no key yet, not added",
			  w->group, w->id);
		return 0;
	}
	return mops_add(&mw->p->add, w->group, w->id, w, what, floor);
}

static int plan_members(struct kernel *k, const struct gwstate *want,
			const struct kview *v, struct plan *p)
{
	struct member_walk mw = { .k = k, .want = want, .v = v, .p = p };

	for (size_t i = 0; i < v->nmembers; i++) {
		const struct kmember *km = &v->members[i];
		const struct gw_member *w, *rec;
		unsigned int what;
		uint64_t floor;

		/* A group that goes takes its members with it. */
		if (!gwstate_group_find(want, km->group) ||
		    group_replaced(want, v, km->group))
			continue;
		w = gwstate_member_find(want, km->group, km->id);
		if (!w) {
			if (mops_add(&p->del, km->group, km->id, NULL, 0, 0))
				return -ENOMEM;
			floor_forget(&k->sf, km->group, km->id);
			continue;
		}
		rec = gwstate_member_find(k->installed, km->group, km->id);
		what = slot_diff(&w->cur, &w->next, km->has_epoch, km->epoch,
				 km->has_next, km->next_epoch,
				 rec ? &rec->cur : NULL, rec ? &rec->next : NULL,
				 group_key_len(want, km->group));
		/* A "last" moves on by itself: only a higher one is news. */
		floor = member_floor(k, w);
		if (floor > km->last_seq)
			what |= P_LAST_SEQ;
		/* A current key is replaced, never taken away (as syncconf). */
		what &= ~P_CLEAR_CUR;
		if (what && mops_add(&p->set, km->group, km->id, w, what, floor))
			return -ENOMEM;
	}
	return gwstate_member_each(want, 0, plan_new_member, &mw);
}

static size_t upstream_key_len(const struct gw_upstream *u)
{
	return suite_key_len(u->suite);
}

static void plan_upstream(struct kernel *k, const struct gwstate *want,
			  const struct kview *v, struct plan *p)
{
	const struct gw_upstream *w = &want->upstream, *rec = &k->installed->upstream;
	uint64_t floor = 0;

	if (!w->set) {
		p->del_upstream = v->up;
		return;
	}
	if (v->up)
		floor = counter_floor(&k->sf, &k->sf.batch, v->up_seq,
				      w->seq_floor, false);
	p->set_upstream = !v->up || v->up_gateway != w->gateway ||
		v->up_suite != w->suite ||
		!endpoint_same(&v->up_endpoint, v->up_endpoint_len, &w->endpoint,
			       w->endpoint_len) ||
		/* After a restart nothing is recorded: K_up is per connection. */
		!rec->set || rec->suite != w->suite ||
		CRYPTO_memcmp(rec->key, w->key, upstream_key_len(w)) || floor;
	if (!p->set_upstream)
		return;
	/*
	 * The batch sequence never goes back, whatever the key: the
	 * manager's replay window spans associations.  The module's
	 * counter continues (the same module), else the reservation does.
	 */
	if (v->up)
		p->upstream_seq = max64(max64(v->up_seq, w->seq_floor), floor);
	else
		p->upstream_seq = counter_new(&k->sf, &k->sf.batch, w->seq_floor);
}

static int plan_make(struct kernel *k, const struct gwstate *want,
		     const struct kview *v, struct plan *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->gateway_floor = counter_floor(&k->sf, &k->sf.gateway, v->gateway_seq,
					 want ? want->gateway_seq_floor : 0, false);
	/*
	 * Every counter the module has is reserved ahead, wanted or not: a
	 * group deleted now and made again later continues above it.
	 */
	for (size_t i = 0; i < v->ngroups; i++) {
		const struct kgroup *g = &v->groups[i];
		struct reserve *r;

		if (!g->has_cmd_seq)
			continue;
		r = cmd_reserve(&k->sf, g->id, true);
		if (!r)
			return -ENOMEM;
		reserve_ahead(&k->sf, r, g->cmd_seq);
	}
	if (v->up)
		reserve_ahead(&k->sf, &k->sf.batch, v->up_seq);
	/* What the module verified, kept as floors for after a reload. */
	for (size_t i = 0; i < v->nmembers; i++)
		if (floor_note(&k->sf, v->members[i].group, v->members[i].id,
			       v->members[i].last_seq))
			return -ENOMEM;
	floors_sort(&k->sf);
	if (!want) {
		/* Nothing wanted yet: only the counters are looked after. */
		p->set_listen = p->gateway_floor;
		return 0;
	}
	p->set_port = v->port != want->listen_port;
	p->port = want->listen_port;
	p->set_listen = p->set_port || p->gateway_floor;
	plan_upstream(k, want, v, p);
	ret = plan_groups(k, want, v, p);
	if (!ret)
		ret = plan_members(k, want, v, p);
	floors_sort(&k->sf);
	return ret;
}

/* ---- applying ---- */

static int put_slot(struct nl_msg *msg, int type, uint8_t slot,
		    const struct gw_key *key, size_t len)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest || nla_put_u8(msg, GRPSEC_A_KEY_SLOT, slot))
		return -EMSGSIZE;
	if (key && (nla_put_u32(msg, GRPSEC_A_KEY_EPOCH, key->epoch) ||
		    nla_put(msg, GRPSEC_A_KEY_DATA, len, key->key)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int put_slots(struct nl_msg *msg, int type, unsigned int what,
		     const struct gw_key *cur, const struct gw_key *next,
		     size_t len)
{
	if ((what & P_CUR) && put_slot(msg, type, GRPSEC_KEY_SLOT_CURRENT, cur, len))
		return -EMSGSIZE;
	if ((what & P_NEXT) && put_slot(msg, type, GRPSEC_KEY_SLOT_NEXT, next, len))
		return -EMSGSIZE;
	if ((what & P_CLEAR_CUR) &&
	    put_slot(msg, type, GRPSEC_KEY_SLOT_CURRENT, NULL, 0))
		return -EMSGSIZE;
	if ((what & P_CLEAR_NEXT) &&
	    put_slot(msg, type, GRPSEC_KEY_SLOT_NEXT, NULL, 0))
		return -EMSGSIZE;
	return 0;
}

/* The record's slot after a request that carried @what for it. */
static void rec_slot(struct gw_key *rec, const struct gw_key *w, bool set,
		     bool clear)
{
	if (set)
		*rec = *w;
	else if (clear)
		OPENSSL_cleanse(rec, sizeof(*rec));
}

static int send_listen(struct kernel *k, const struct plan *p,
		       struct kernel_diff *d)
{
	struct nl_msg *msg = grpsec_nl_msg(&k->req, GRPSEC_CMD_SET_LISTEN, 0);

	if (!msg)
		return -ENOMEM;
	if ((p->set_port && nla_put_u16(msg, GRPSEC_A_LISTEN_PORT, p->port)) ||
	    (p->gateway_floor &&
	     nla_put_u64(msg, GRPSEC_A_GATEWAY_SEQ, p->gateway_floor))) {
		grpsec_nl_msg_free(msg);
		return -EMSGSIZE;
	}
	d->set_listen++;
	return talk(k, msg, NULL, NULL, "setting the listen port and gateway sequence");
}

static int send_upstream(struct kernel *k, const struct gw_upstream *w,
			 uint64_t seq, struct kernel_diff *d)
{
	struct nl_msg *msg = grpsec_nl_msg(&k->req, GRPSEC_CMD_SET_UPSTREAM, 0);
	struct nlattr *nest;
	int ret;

	if (!msg)
		return -ENOMEM;
	nest = nla_nest_start(msg, GRPSEC_A_UPSTREAM);
	if (!nest ||
	    nla_put(msg, GRPSEC_A_UPSTREAM_ENDPOINT, w->endpoint_len, &w->endpoint) ||
	    nla_put_u32(msg, GRPSEC_A_UPSTREAM_GATEWAY_ID, w->gateway) ||
	    nla_put_u8(msg, GRPSEC_A_UPSTREAM_SUITE, w->suite) ||
	    nla_put(msg, GRPSEC_A_UPSTREAM_KEY, upstream_key_len(w), w->key) ||
	    nla_put_u64(msg, GRPSEC_A_UPSTREAM_SEQ, seq)) {
		grpsec_nl_msg_free(msg);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	d->set_upstream++;
	ret = talk(k, msg, NULL, NULL, "setting the upstream");
	if (!ret)
		gwstate_set_upstream(k->installed, w);
	return ret;
}

static int send_group(struct kernel *k, const struct gop *op,
		      struct kernel_diff *d)
{
	const struct gw_group *w = op->w;
	struct nl_msg *msg;
	struct nlattr *nest;
	struct gw_group *rec;
	char what[64];
	int ret;

	msg = grpsec_nl_msg(&k->req, op->new ? GRPSEC_CMD_NEW_GROUP :
			    GRPSEC_CMD_SET_GROUP, 0);
	if (!msg)
		return -ENOMEM;
	nest = nla_nest_start(msg, GRPSEC_A_GROUP);
	if (!nest || nla_put_u32(msg, GRPSEC_A_GROUP_ID, w->id) ||
	    (op->new && (nla_put_u8(msg, GRPSEC_A_GROUP_SUITE, w->suite) ||
			 nla_put_u8(msg, GRPSEC_A_GROUP_MODE, w->mode))) ||
	    ((op->what & P_FLAGS) && nla_put_u32(msg, GRPSEC_A_GROUP_FLAGS, w->flags)) ||
	    ((op->what & P_LIMIT) &&
	     nla_put_u64(msg, GRPSEC_A_GROUP_MSG_LIMIT, w->msg_limit)) ||
	    ((op->what & P_RATE) &&
	     nla_put_u32(msg, GRPSEC_A_GROUP_RATE_LIMIT, w->rate_limit)) ||
	    ((op->what & P_CMD_SEQ) &&
	     nla_put_u64(msg, GRPSEC_A_GROUP_CMD_SEQ, op->cmd_seq)) ||
	    put_slots(msg, GRPSEC_A_GROUP_KEY, op->what, &w->cur, &w->next,
		      suite_key_len(w->suite))) {
		grpsec_nl_msg_free(msg);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	if (op->new)
		d->new_group++;
	else
		d->set_group++;
	snprintf(what, sizeof(what), "%s group %u", op->new ? "adding" : "changing",
		 w->id);
	ret = talk(k, msg, NULL, NULL, what);
	if (ret)
		return ret;
	rec = gwstate_group_find(k->installed, w->id);
	if (!rec || op->new) {
		struct gw_group bare = { .id = w->id, .suite = w->suite,
					 .mode = w->mode };

		if (gwstate_group_put(k->installed, &bare))
			return 0;	/* only the record is lost: keys compared by epoch */
		rec = gwstate_group_find(k->installed, w->id);
	}
	rec_slot(&rec->cur, &w->cur, op->what & P_CUR, op->what & P_CLEAR_CUR);
	rec_slot(&rec->next, &w->next, op->what & P_NEXT, op->what & P_CLEAR_NEXT);
	/* Terminate mode off: the module dropped the group keys. */
	if (!(w->flags & GRPSEC_GROUP_F_TERMINATE)) {
		OPENSSL_cleanse(&rec->cur, sizeof(rec->cur));
		OPENSSL_cleanse(&rec->next, sizeof(rec->next));
	}
	return 0;
}

static int send_group_del(struct kernel *k, uint32_t id, struct kernel_diff *d)
{
	struct nl_msg *msg = grpsec_nl_msg(&k->req, GRPSEC_CMD_DEL_GROUP, 0);
	struct nlattr *nest;
	char what[64];
	int ret;

	if (!msg)
		return -ENOMEM;
	nest = nla_nest_start(msg, GRPSEC_A_GROUP);
	if (!nest || nla_put_u32(msg, GRPSEC_A_GROUP_ID, id)) {
		grpsec_nl_msg_free(msg);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	d->del_group++;
	snprintf(what, sizeof(what), "deleting group %u", id);
	ret = talk(k, msg, NULL, NULL, what);
	if (!ret || ret == -ENOENT)
		gwstate_group_del(k->installed, id);
	return ret == -ENOENT ? 0 : ret;
}

static int put_member(struct nl_msg *msg, const struct mop *op, size_t len)
{
	struct nlattr *nest = nla_nest_start(msg, GRPSEC_A_MEMBER);

	if (!nest || nla_put_u32(msg, GRPSEC_A_MEMBER_GROUP, op->group) ||
	    nla_put_u32(msg, GRPSEC_A_MEMBER_ID, op->id))
		return -EMSGSIZE;
	if (op->w && (put_slots(msg, GRPSEC_A_MEMBER_KEY, op->what, &op->w->cur,
				&op->w->next, len) ||
		      ((op->what & P_LAST_SEQ) &&
		       nla_put_u64(msg, GRPSEC_A_MEMBER_LAST_SEQ, op->last_seq))))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* The record after the module took @op. */
static void rec_member(struct kernel *k, const struct mop *op)
{
	struct gw_member *rec, fresh = { .group = op->group, .id = op->id };

	if (!op->w) {
		gwstate_member_del(k->installed, op->group, op->id);
		return;
	}
	if (!gwstate_group_find(k->installed, op->group)) {
		struct gw_group bare = { .id = op->group };

		if (gwstate_group_put(k->installed, &bare))
			return;
	}
	rec = gwstate_member_find(k->installed, op->group, op->id);
	if (!rec) {
		if (gwstate_member_put(k->installed, &fresh))
			return;
		rec = gwstate_member_find(k->installed, op->group, op->id);
	}
	rec_slot(&rec->cur, &op->w->cur, op->what & P_CUR, op->what & P_CLEAR_CUR);
	rec_slot(&rec->next, &op->w->next, op->what & P_NEXT,
		 op->what & P_CLEAR_NEXT);
}

/* Which GRPSEC_A_MEMBER of @msg holds @offset; -1 if none. */
static int member_index(struct nl_msg *msg, int64_t offset)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *a;
	int rem, index = 0;

	if (offset < 0)
		return -1;
	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		int64_t start = (char *)a - (char *)nlh;

		if (nla_type(a) != GRPSEC_A_MEMBER)
			continue;
		if (offset >= start && offset < start + NLA_HDRLEN + nla_len(a))
			return index;
		index++;
	}
	return -1;
}

static const char *const member_verbs[] = {
	[GRPSEC_CMD_NEW_MEMBER] = "adding",
	[GRPSEC_CMD_SET_MEMBER] = "changing",
	[GRPSEC_CMD_DEL_MEMBER] = "deleting",
};

/*
 * Send @ops, GRPSEC_MEMBERS_PER_MSG to a request.  The module applies a
 * request's members in order and stops at the first it refuses, pointing
 * at it: the ones before it are recorded, it is logged and counted, and
 * the rest go again.  Returns 0 or the last refusal.
 */
static int send_members(struct kernel *k, const struct gwstate *want,
			uint8_t cmd, const struct mops *ops, unsigned int *nreq,
			unsigned int *nmembers, struct kernel_diff *d)
{
	size_t i = 0;
	int last = 0;

	while (i < ops->n) {
		struct nl_msg *msg = grpsec_nl_msg(&k->req, cmd, 0);
		size_t start = i, count = 0;
		char what[96];
		int ret, idx;

		if (!msg)
			return -ENOMEM;
		for (; i < ops->n && count < GRPSEC_MEMBERS_PER_MSG; i++, count++) {
			if (put_member(msg, &ops->v[i],
				       group_key_len(want, ops->v[i].group))) {
				grpsec_nl_msg_free(msg);
				return -EMSGSIZE;
			}
		}
		(*nreq)++;
		ret = grpsec_nl_talk(&k->req, msg, NULL, NULL);
		idx = ret ? member_index(msg, k->req.ext_offset) : (int)count;
		if (ret && idx < 0)
			idx = member_index(msg, k->req.ext_miss_nest);
		grpsec_nl_msg_free(msg);
		if (!ret) {
			for (size_t j = start; j < i; j++)
				rec_member(k, &ops->v[j]);
			*nmembers += count;
			continue;
		}
		last = ret;
		if (idx < 0 || (size_t)idx >= count) {
			snprintf(what, sizeof(what), "%s %zu members",
				 member_verbs[cmd], count);
			log_refusal(k, what, ret);
			d->failed += count;
			continue;
		}
		for (size_t j = start; j < start + idx; j++)
			rec_member(k, &ops->v[j]);
		*nmembers += idx;
		snprintf(what, sizeof(what), "%s member %u/%u", member_verbs[cmd],
			 ops->v[start + idx].group, ops->v[start + idx].id);
		/* A member already gone is what a delete wanted. */
		if (cmd == GRPSEC_CMD_DEL_MEMBER && ret == -ENOENT) {
			rec_member(k, &ops->v[start + idx]);
			last = 0;
		} else {
			log_refusal(k, what, ret);
			d->failed++;
		}
		i = start + idx + 1;
	}
	return last;
}

static int plan_apply(struct kernel *k, const struct gwstate *want,
		      const struct plan *p, struct kernel_diff *d)
{
	int ret = 0, r;

#define KEEP(x) do { r = (x); if (r) { ret = r; d->failed++; } } while (0)
	if (p->set_listen)
		KEEP(send_listen(k, p, d));
	if (!want)
		return ret;
	if (p->set_upstream)
		KEEP(send_upstream(k, &want->upstream, p->upstream_seq, d));
	if (p->del_upstream) {
		d->del_upstream++;
		KEEP(request(k, GRPSEC_CMD_DEL_UPSTREAM, 0, NULL, NULL,
			     "deleting the upstream"));
		if (!r)
			gwstate_set_upstream(k->installed, NULL);
	}
#undef KEEP
	r = send_members(k, want, GRPSEC_CMD_DEL_MEMBER, &p->del, &d->del_member,
			 &d->members_del, d);
	ret = r ? r : ret;
	for (size_t i = 0; i < p->ndel_groups; i++) {
		r = send_group_del(k, p->del_groups[i], d);
		if (r) {
			ret = r;
			d->failed++;
		}
	}
	for (size_t i = 0; i < p->ngops; i++) {
		r = send_group(k, &p->gops[i], d);
		if (r) {
			ret = r;
			d->failed++;
		}
	}
	r = send_members(k, want, GRPSEC_CMD_SET_MEMBER, &p->set, &d->set_member,
			 &d->members_set, d);
	ret = r ? r : ret;
	r = send_members(k, want, GRPSEC_CMD_NEW_MEMBER, &p->add, &d->new_member,
			 &d->members_new, d);
	return r ? r : ret;
}

struct prune {
	const struct kview *v;
	struct mops gone;
};

static int prune_member(const struct gw_member *m, void *arg)
{
	struct prune *pr = arg;

	if (kmember_find(pr->v, m->group, m->id))
		return 0;
	return mops_add(&pr->gone, m->group, m->id, NULL, 0, 0);
}

/*
 * Forget what the module no longer holds (someone deleted it, the module
 * was reloaded): such a member or group is new again to the comparison.
 */
static void record_prune(struct kernel *k, const struct kview *v)
{
	struct prune pr = { .v = v };
	struct gwstate *rec = k->installed;

	for (size_t i = rec->ngroups; i-- > 0;)
		if (!kgroup_find(v, rec->groups[i].id))
			gwstate_group_del(rec, rec->groups[i].id);
	if (gwstate_member_each(rec, 0, prune_member, &pr)) {
		/* Out of memory: forget everything, compare by epoch. */
		gwstate_clear(rec);
	}
	for (size_t i = 0; i < pr.gone.n; i++)
		gwstate_member_del(rec, pr.gone.v[i].group, pr.gone.v[i].id);
	free(pr.gone.v);
	if (!v->up)
		gwstate_set_upstream(rec, NULL);
}

/* With @want NULL: only the counters are read and reserved ahead. */
static int reconcile(struct kernel *k, const struct gwstate *want,
		     struct kernel_diff *out)
{
	struct kernel_diff d = { 0 };
	struct kview v = { 0 };
	struct plan p;
	int ret;

	ret = kview_read(k, &v, &d);
	if (ret)
		goto out;
	record_prune(k, &v);
	ret = plan_make(k, want, &v, &p);
	/*
	 * Everything reserved is on disk before the module may use it.
	 * Risen floors go with it, or once a reconciliation interval has
	 * passed since they last did (a frame verified after that is
	 * taken again once by a reloaded module), and at the end.
	 */
	if (!ret && (k->sf.dirty ||
		     (k->sf.floors_dirty && (!k->floors_ms ||
					     loop_now_ms() - k->floors_ms >= k->interval_ms))))
		ret = seqfile_commit(k);
	if (!ret)
		ret = plan_apply(k, want, &p, &d);
	plan_free(&p);
out:
	kview_free(&v);
	k->cnt.reconciles++;
	if (ret)
		k->cnt.reconcile_errors++;
	if (out)
		*out = d;
	return ret;
}

/*
 * One group's members, from a dump filtered on it: a rekey under way in
 * one group does not make every scan list the whole gateway.
 */
static int heard_group(struct kernel *k, const struct gwstate *want, uint32_t group,
		       kernel_heard_fn fn, void *arg)
{
	struct nl_msg *msg = grpsec_nl_msg(&k->req, GRPSEC_CMD_GET_MEMBER, NLM_F_DUMP);
	struct kview v = { 0 };
	int ret;

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, GRPSEC_A_MEMBER_GROUP_FILTER, group)) {
		grpsec_nl_msg_free(msg);
		return -ENOMEM;
	}
	ret = talk(k, msg, member_cb, &v, "listing members");
	if (!ret && v.nomem)
		ret = -ENOMEM;
	if (!ret) {
		qsort(v.members, v.nmembers, sizeof(*v.members), cmp_kmember);
		for (size_t i = 0; i < v.nmembers; i++) {
			const struct kmember *km = &v.members[i];
			const struct gw_member *w;

			if (!km->last_epoch || km->group != group)
				continue;
			w = gwstate_member_find(want, km->group, km->id);
			if (w && w->next.set && w->next.epoch == km->last_epoch)
				fn(arg, km->group, km->last_epoch, km->id);
		}
	}
	kview_free(&v);
	return ret;
}

int kernel_heard(struct kernel *k, const struct gwstate *want, kernel_heard_fn fn, void *arg)
{
	int ret = 0;

	for (size_t i = 0; i < want->ngroups && !ret; i++) {
		uint32_t id = want->groups[i].id;

		if (gwstate_rekeying(want, id))
			ret = heard_group(k, want, id, fn, arg);
	}
	return ret;
}

int kernel_upstream_now(struct kernel *k, const struct gwstate *want)
{
	struct kernel_diff d = { 0 };
	struct kview v = { 0 };
	struct plan p = { 0 };
	int ret;

	if (!k || !want->upstream.set)
		return 0;
	ret = request(k, GRPSEC_CMD_GET_UPSTREAM, 0, upstream_cb, &v, NULL);
	if (ret && ret != -ENOENT && ret != -ENOTCONN) {
		log_refusal(k, "reading the upstream", ret);
		return ret;
	}
	if (v.up)
		reserve_ahead(&k->sf, &k->sf.batch, v.up_seq);
	plan_upstream(k, want, &v, &p);
	ret = k->sf.dirty ? seqfile_commit(k) : 0;
	if (!ret && p.set_upstream)
		ret = send_upstream(k, &want->upstream, p.upstream_seq, &d);
	if (ret)
		log_warn("kernel: the new upstream is not installed yet: %s", strerror(-ret));
	return ret;
}

int kernel_reconcile(struct kernel *k, const struct gwstate *want,
		     struct kernel_diff *out)
{
	k->armed = true;
	return reconcile(k, want, out);
}

static void reconcile_now(struct kernel *k, const char *why)
{
	struct kernel_diff d;
	int ret;

	ret = reconcile(k, k->armed ? k->want : NULL, &d);
	if (ret)
		log_warn("kernel: reconciliation (%s) incomplete: %s", why,
			 strerror(-ret));
	if (d.set_listen + d.set_upstream + d.del_upstream + d.new_group +
	    d.set_group + d.del_group + d.new_member + d.set_member + d.del_member)
		log_info("kernel: reconciled (%s): %u groups added, %u changed, %u deleted; %u members added, %u changed, %u deleted",
			 why, d.new_group, d.set_group, d.del_group,
			 d.members_new, d.members_set, d.members_del);
	if (k->armed && k->hooks.reconciled)
		k->hooks.reconciled(k->hooks.arg, ret);
}

/* ---- events ---- */

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[GRPSEC_A_EVENT_MAX + 1];
	struct nlattr *nest = msg_attr(msg, GRPSEC_A_EVENT);
	struct kernel *k = arg;
	uint32_t group = 0, member = 0, epoch = 0, suppressed = 0;
	uint64_t count = 0;
	uint8_t type;

	if (genlmsg_hdr(nlmsg_hdr(msg))->cmd != GRPSEC_CMD_EVENT || !nest ||
	    nla_parse_nested(tb, GRPSEC_A_EVENT_MAX, nest, NULL) ||
	    !get_u8(tb[GRPSEC_A_EVENT_TYPE], &type))
		return NL_SKIP;
	get_u32(tb[GRPSEC_A_EVENT_GROUP], &group);
	get_u32(tb[GRPSEC_A_EVENT_MEMBER], &member);
	get_u32(tb[GRPSEC_A_EVENT_EPOCH], &epoch);
	get_u64(tb[GRPSEC_A_EVENT_COUNT], &count);
	get_u32(tb[GRPSEC_A_EVENT_SUPPRESSED], &suppressed);
	/*
	 * Unknown members and bursts come from frames that did not
	 * authenticate: hints to look closer, never grounds for acting
	 * against the member they name (netlink.rst, "Unauthenticated").
	 */
	switch (type) {
	case GRPSEC_EVENT_UNKNOWN_MEMBER:
		k->cnt.unknown_member += 1 + suppressed;
		if (k->hooks.unknown_member)
			k->hooks.unknown_member(k->hooks.arg, group, member);
		break;
	case GRPSEC_EVENT_BAD_TAG_BURST:
		k->cnt.bad_tag_burst += 1 + suppressed;
		log_info("kernel: bad tags for member %u/%u (%llu in a second, %u more bursts not reported)",
			 group, member, (unsigned long long)count, suppressed);
		break;
	case GRPSEC_EVENT_REPLAY_BURST:
		k->cnt.replay_burst += 1 + suppressed;
		log_info("kernel: replays for member %u/%u (%llu in a second, %u more bursts not reported)",
			 group, member, (unsigned long long)count, suppressed);
		break;
	case GRPSEC_EVENT_EPOCH_LIMIT_NEAR:
		k->cnt.epoch_limit++;
		log_info("kernel: group %u epoch %u is near its message limit",
			 group, epoch);
		if (k->hooks.epoch_limit)
			k->hooks.epoch_limit(k->hooks.arg, group, epoch);
		break;
	case GRPSEC_EVENT_UPSTREAM_DOWN:
		k->cnt.upstream_down += 1 + suppressed;
		log_warn("kernel: batches cannot reach the backend");
		break;
	default:
		break;		/* a newer module's event */
	}
	return NL_OK;
}

static void on_event_fd(int fd, uint32_t events, void *arg)
{
	struct kernel *k = arg;

	(void)fd;
	(void)events;
	/* A bounded number per turn, so a flood cannot hold the loop. */
	for (int n = 0; n < 256; n++) {
		int ret = grpsec_nl_read_event(&k->ev, event_cb, k);

		if (ret == 0)
			return;
		if (ret == -ENOBUFS) {
			/* Events were lost: the dump tells what they said. */
			k->cnt.overruns++;
			log_warn("kernel: events lost (receive buffer overrun), reconciling");
			kernel_changed(k);
			continue;
		}
		if (ret < 0) {
			log_warn("kernel: reading events: %s", strerror(-ret));
			return;
		}
	}
}

/* Requests are answered synchronously; anything else there is stale. */
static void on_request_fd(int fd, uint32_t events, void *arg)
{
	char buf[4096];

	(void)events;
	(void)arg;
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static void on_soon(struct loop_timer *t, void *arg)
{
	struct kernel *k = arg;

	(void)t;
	k->pending = false;
	reconcile_now(k, "changed");
}

static void on_periodic(struct loop_timer *t, void *arg)
{
	(void)t;
	reconcile_now(arg, "periodic");
}

void kernel_changed(struct kernel *k)
{
	if (!k)
		return;
	k->armed = true;
	if (k->soon && !k->pending) {
		k->pending = true;
		loop_timer_set(k->soon, 0, 0);
	}
}

void kernel_set_hooks(struct kernel *k, const struct kernel_hooks *hooks)
{
	k->hooks = hooks ? *hooks : (struct kernel_hooks){ 0 };
}

void kernel_set_want(struct kernel *k, const struct gwstate *want)
{
	k->want = want;
}

const struct kernel_counters *kernel_counters(const struct kernel *k)
{
	return &k->cnt;
}

void kernel_set_interval(struct kernel *k, uint64_t ms)
{
	k->interval_ms = ms;
	if (k->periodic)
		loop_timer_set(k->periodic, ms, ms);
}

int kernel_event_fd(const struct kernel *k)
{
	return k->ev_open ? nl_socket_get_fd(k->ev.sock) : -1;
}

/* ---- start and stop ---- */

static int nl_open_logged(struct grpsec_nl *nl)
{
	int ret = grpsec_nl_open(nl);

	switch (ret) {
	case 0:
		return 0;
	case GRPSEC_NL_E_NOFAMILY:
		log_err("kernel: the grpsec module is not loaded (modprobe grpsec)");
		break;
	case GRPSEC_NL_E_VERSION:
		log_err("kernel: the grpsec module speaks netlink version %u, grpsecd version %u",
			nl->version, GRPSEC_GENL_VERSION);
		grpsec_nl_close(nl);
		break;
	default:
		log_err("kernel: cannot reach the grpsec family: %s",
			strerror(-ret));
		break;
	}
	return -1;
}

/*
 * The gateway sequence, before anything else: R from the file, R + K
 * committed, then R given to the module as its floor (a floor only
 * raises a counter, so with the module still loaded nothing goes back).
 * The batch and command sequences get theirs when their counter is made
 * (SET_UPSTREAM, NEW_GROUP), the reconciliation's business.
 */
static int counters_start(struct kernel *k)
{
	struct kview v = { 0 };
	struct plan p = { 0 };
	struct kernel_diff d = { 0 };
	int ret;

	ret = request(k, GRPSEC_CMD_GET_INFO, 0, info_cb, &v, "reading the gateway");
	if (ret)
		return ret;
	p.gateway_floor = counter_floor(&k->sf, &k->sf.gateway, v.gateway_seq, 0,
					true);
	if (k->sf.dirty)
		ret = seqfile_commit(k);
	if (!ret && p.gateway_floor) {
		ret = send_listen(k, &p, &d);
		if (!ret)
			log_info("kernel: gateway sequence continues from %llu",
				 (unsigned long long)p.gateway_floor);
	}
	return ret;
}

struct kernel *kernel_open(struct loop *loop, const char *state_path)
{
	struct kernel *k = calloc(1, sizeof(*k));

	if (!k) {
		log_err("kernel: out of memory");
		return NULL;
	}
	k->loop = loop;
	k->interval_ms = KERNEL_RECONCILE_MS;
	k->sf.path = strdup(state_path ? state_path : KERNEL_STATE_PATH);
	k->installed = gwstate_new();
	if (!k->sf.path || !k->installed) {
		log_err("kernel: out of memory");
		goto out_free;
	}
	if (seqfile_load(&k->sf))
		goto out_free;
	if (nl_open_logged(&k->req))
		goto out_free;
	if (counters_start(k))
		goto out_close_req;
	if (!loop)
		return k;

	if (nl_open_logged(&k->ev))
		goto out_close_req;
	k->ev_open = true;
	if (grpsec_nl_subscribe_events(&k->ev)) {
		log_err("kernel: cannot join the events group: %s", strerror(errno));
		goto out_close_ev;
	}
	/* Events may come in bursts: room for many before an overrun. */
	nl_socket_set_buffer_size(k->ev.sock, 1 << 20, 0);
	k->soon = loop_timer_add(loop, 0, 0, on_soon, k);
	k->periodic = loop_timer_add(loop, 0, KERNEL_RECONCILE_MS, on_periodic, k);
	if (!k->soon || !k->periodic ||
	    loop_fd_add(loop, nl_socket_get_fd(k->ev.sock), EPOLLIN, on_event_fd, k) ||
	    loop_fd_add(loop, nl_socket_get_fd(k->req.sock), EPOLLIN,
			on_request_fd, k)) {
		log_err("kernel: cannot watch the netlink sockets: %s",
			strerror(errno));
		goto out_loop;
	}
	loop_timer_stop(k->soon);
	return k;

out_loop:
	loop_fd_del(loop, nl_socket_get_fd(k->ev.sock));
	loop_timer_del(k->soon);
	loop_timer_del(k->periodic);
out_close_ev:
	grpsec_nl_close(&k->ev);
out_close_req:
	grpsec_nl_close(&k->req);
out_free:
	gwstate_free(k->installed);
	free(k->sf.cmd);
	free(k->sf.floors);
	free(k->sf.path);
	free(k);
	return NULL;
}

/* At the end: the floors as the module has them now, on disk. */
static void floors_save(struct kernel *k)
{
	struct kernel_diff d = { 0 };
	struct kview v = { 0 };
	int ret = kview_read(k, &v, &d);

	for (size_t i = 0; !ret && i < v.nmembers; i++)
		ret = floor_note(&k->sf, v.members[i].group, v.members[i].id,
				 v.members[i].last_seq);
	kview_free(&v);
	floors_sort(&k->sf);
	if (!ret && k->sf.floors_dirty)
		ret = seqfile_commit(k);
	if (ret)
		log_warn("kernel: the members' replay floors were not saved: %s",
			 strerror(-ret));
}

void kernel_close(struct kernel *k)
{
	if (!k)
		return;
	floors_save(k);
	if (k->loop && k->ev_open) {
		loop_fd_del(k->loop, nl_socket_get_fd(k->ev.sock));
		loop_fd_del(k->loop, nl_socket_get_fd(k->req.sock));
		loop_timer_del(k->soon);
		loop_timer_del(k->periodic);
	}
	if (k->ev_open)
		grpsec_nl_close(&k->ev);
	grpsec_nl_close(&k->req);
	gwstate_free(k->installed);
	free(k->sf.cmd);
	free(k->sf.floors);
	free(k->sf.path);
	free(k);
}

/* ---- the part ---- */

static int kernel_part_init(struct grpsecd *d)
{
	d->want = gwstate_new();
	if (!d->want) {
		log_err("kernel: out of memory");
		return -1;
	}
	/* [Control] StateFile (its default when the file names none). */
	d->kernel = kernel_open(d->loop, d->conf->control.state_file);
	if (!d->kernel) {
		gwstate_free(d->want);
		d->want = NULL;
		return -1;
	}
	kernel_set_want(d->kernel, d->want);
	return 0;
}

static void kernel_part_uninit(struct grpsecd *d)
{
	kernel_close(d->kernel);
	d->kernel = NULL;
	gwstate_free(d->want);
	d->want = NULL;
}

const struct grpsecd_part kernel_part = {
	.name = "kernel",
	.init = kernel_part_init,
	.uninit = kernel_part_uninit,
};
