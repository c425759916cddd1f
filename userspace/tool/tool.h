/* SPDX-License-Identifier: GPL-2.0 */
#ifndef GRPSEC_TOOL_H
#define GRPSEC_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <linux/grpsec.h>

#include "../common/nl.h"
#include "../common/stats.h"
#include "../common/value.h"

/* GRPSEC_PKG_VERSION: the top-level VERSION file, given by the Makefile. */
#define GRPSEC_TOOL_VERSION	GRPSEC_PKG_VERSION

/* Exit codes. */
#define EXIT_OK		0
#define EXIT_USAGE	1	/* bad command line or input file */
#define EXIT_KERNEL	2	/* the kernel refused, or is not there */
#define EXIT_TIMEOUT	3	/* monitor: fewer events than asked for in time */

#define GRPSEC_KEY_MAX	32

struct options {
	bool json;
	bool pretty;
	bool stats;
};
extern struct options opt;

/*
 * util.c: parsing and formatting of values, messages.  Every message goes
 * through one formatter that hides what looks like key material (a run of
 * hex digits longer than any number the tool takes), so no message prints
 * any part of a key, even one in the wrong place or of the wrong length.
 */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_fail(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "grpsec: WHERE: message" for file input, or usage_fail() with a usage. */
int where_fail(const char *usage, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool looks_like_key(const char *s, size_t n);

/*
 * A file that may hold keys (a configuration or member file): read with
 * a stdio buffer of ours, and that buffer and the line wiped on close.
 */
struct secret_file {
	FILE *f;
	const char *name;
	bool loose;		/* group or others can read it */
	unsigned int mode;
	char *line;
	size_t cap;
	char buf[4096];
};
int secret_open(struct secret_file *sf, const char *name);
bool secret_getline(struct secret_file *sf);
void secret_close(struct secret_file *sf);
void free_wiped(char *s);

/* A sequence floor as the kernel takes it (GRPSEC_SEQ_FLOOR_MAX). */
bool parse_floor(const char *s, uint64_t *v);

bool endpoint_from_attr(const void *data, size_t len,
			struct sockaddr_storage *ss, socklen_t *sslen);

/*
 * A key named on the command line or in a file: a path (relative ones are
 * resolved against dir), "-" for standard input, or, in files only, the
 * key itself as exactly 32 or 64 hexadecimal digits.
 */
struct key_ref {
	char *token;
	const char *dir;	/* base for relative paths, may be NULL */
	bool allow_literal;
	uint8_t key[GRPSEC_KEY_MAX];
	size_t len;		/* 0 until resolved */
};
int key_resolve(struct key_ref *ref, size_t len, const char *where);
void key_wipe(struct key_ref *ref);
char *dir_of(const char *path);

/*
 * Counter names: ../common/stats.h.  Members report the uplink counters
 * only; the later ones are per group.
 */
bool stats_member_counter(int attr);

/* json.c: a small streaming JSON writer (iproute2's conventions). */
void jw_begin(void);
void jw_end(void);
void jw_obj_open(const char *name);
void jw_obj_close(void);
void jw_arr_open(const char *name);
void jw_arr_close(void);
void jw_uint(const char *name, uint64_t v);
void jw_str(const char *name, const char *s);
void jw_null(const char *name);
void jw_bool(const char *name, bool v);

/* kernel.c: requests, replies and error reports. */
extern struct grpsec_nl nl;

struct stats_rec {
	bool present;
	uint64_t v[GRPSEC_A_STATS_MAX + 1];
};

struct info_rec {
	uint64_t have;		/* bit per GRPSEC_A_* */
	uint32_t version;
	uint16_t listen_port;
	uint32_t group_count;
	uint32_t member_count;
	uint64_t gateway_seq;	/* the next gateway sequence */
};

struct group_rec {
	uint64_t have;		/* bit per GRPSEC_A_GROUP_* */
	uint32_t id;
	uint8_t suite;
	uint8_t mode;
	uint32_t flags;
	uint64_t msg_limit;
	uint32_t rate_limit;
	uint32_t members;
	struct sockaddr_storage deliver;	/* terminate mode */
	socklen_t deliver_len;
	struct sockaddr_storage mcast;		/* signed commands for all */
	socklen_t mcast_len;
	uint32_t epoch;			/* of K_G, current and next slot */
	uint32_t next_epoch;
	uint64_t cmd_seq;
	struct stats_rec stats;
};

struct member_rec {
	uint64_t have;		/* bit per GRPSEC_A_MEMBER_* */
	uint32_t group;
	uint32_t id;
	uint32_t epoch;
	uint32_t next_epoch;
	uint32_t last_epoch;
	uint64_t last_seq;
	struct sockaddr_storage endpoint;
	socklen_t endpoint_len;
	struct stats_rec stats;
};

struct upstream_rec {
	uint64_t have;		/* bit per GRPSEC_A_UPSTREAM_* */
	struct sockaddr_storage endpoint;
	socklen_t endpoint_len;
	uint32_t gateway_id;
	uint8_t suite;
	uint16_t batch_max;
	uint32_t flush_usec;
	uint16_t mtu;
	uint64_t seq;
	uint64_t dl_seq;	/* set: floor; dump: last accepted or floor */
	struct stats_rec stats;
};

struct event_rec {
	uint64_t have;		/* bit per GRPSEC_A_EVENT_* */
	uint8_t type;
	uint32_t group;
	uint32_t member;
	uint32_t epoch;
	struct sockaddr_storage endpoint;
	socklen_t endpoint_len;
	uint64_t count;
	uint64_t limit;
	uint32_t error;
	uint32_t suppressed;
};

#define HAVE(rec, attr)	(((rec)->have >> (attr)) & 1)

int kernel_open(void);
int kernel_request(struct nl_msg *msg, grpsec_nl_parse_t parse, void *arg,
		   const char *what);
void kernel_report(struct nl_msg *msg, int err, const char *what,
		   const char *prefix);
struct nl_msg *kernel_msg(uint8_t cmd, int flags);
int kernel_index_of(struct nl_msg *msg, int64_t offset, int attrtype);

int parse_info(struct nl_msg *msg, struct info_rec *rec);
bool parse_group(struct nlattr *nest, struct group_rec *rec);
bool parse_member(struct nlattr *nest, struct member_rec *rec);
bool parse_upstream(struct nlattr *nest, struct upstream_rec *rec);
bool parse_stats(struct nlattr *nest, struct stats_rec *rec);
bool parse_event(struct nlattr *nest, struct event_rec *rec);
struct nlattr *msg_attr(struct nl_msg *msg, int type);

int get_info(struct info_rec *rec);
int get_upstream(struct upstream_rec *rec, bool *configured);
int get_group(uint32_t id, struct group_rec *rec);
int get_stats(struct stats_rec *rec);
typedef int (*group_fn)(const struct group_rec *rec, void *arg);
typedef int (*member_fn)(const struct member_rec *rec, void *arg);
int dump_groups(group_fn fn, void *arg);
int dump_members(uint32_t group, member_fn fn, void *arg);
int put_endpoint(struct nl_msg *msg, int type,
		 const struct sockaddr_storage *ss, socklen_t len);
int put_key_slot(struct nl_msg *msg, int type, uint8_t slot, uint32_t epoch,
		 const struct key_ref *key);
int put_empty_key_slot(struct nl_msg *msg, int type, uint8_t slot);

/* member.c: members in bulk. */
struct member_spec {
	uint32_t group;
	uint32_t id;
	bool has_key;
	bool has_epoch;
	uint32_t epoch;
	struct key_ref key;
	bool has_next;
	uint32_t next_epoch;
	struct key_ref next_key;
	bool clear_next;	/* SET: empty the next key slot */
	bool has_endpoint;
	struct sockaddr_storage endpoint;
	socklen_t endpoint_len;
	bool has_last_seq;	/* replay floor: sequences up to it refused */
	uint64_t last_seq;
	const char *file;	/* where it came from, for messages */
	unsigned int line;
};
int member_line_parse(char **tok, int ntok, struct member_spec *spec,
		      const char *dir, const char *where);
int member_batch(uint8_t cmd, struct member_spec *specs, size_t n,
		 size_t *failed);
int member_resolve_keys(struct member_spec *spec, uint8_t suite);
void member_spec_free(struct member_spec *spec);

/* util.c: subcommand tables. */
struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};
int subcommand_run(const char *cmd, const struct subcommand *table,
		   int argc, char **argv);
void print_usage(const char *usage);
int split_line(char *line, char **tok, int max);

/* show.c: printers. */
void print_member_line_json(const struct member_rec *m);
void print_stats_human(const char *title, const struct stats_rec *s,
		       bool member);
void print_stats_json(const char *name, const struct stats_rec *s,
		      bool member);

int member_show(int argc, char **argv, const char *usage);
int group_show(int argc, char **argv, const char *usage);
int upstream_show(int argc, char **argv, const char *usage);

/* group.c: what a group add or set changes; NULL pointers leave it alone. */
struct group_spec {
	uint32_t id;
	const uint8_t *suite;
	const uint8_t *mode;
	const uint64_t *msg_limit;
	const uint32_t *rate_limit;
	const uint32_t *flags;
	const uint64_t *cmd_seq;	/* floor of SEND's command sequence */
	/* Terminate mode: K_G in the current and next slot, where to deliver. */
	const struct key_ref *key;
	uint32_t key_epoch;
	const struct key_ref *next_key;
	uint32_t next_key_epoch;
	bool clear_next_key;
	bool set_deliver;		/* deliver_len 0: clear it */
	struct sockaddr_storage deliver;
	socklen_t deliver_len;
	/* Where signed commands for every member go at once. */
	bool set_mcast;			/* mcast_len 0: clear it */
	struct sockaddr_storage mcast;
	socklen_t mcast_len;
};
int group_send(uint8_t cmd, const struct group_spec *gs);
int group_del_send(uint32_t id);

/* upstream.c */
struct upstream_spec {
	struct upstream_rec rec;	/* the fields given, in rec.have */
	bool has_key;
	struct key_ref key;
};
int upstream_parse(char **argv, int argc, struct upstream_spec *us,
		   const char *usage, const char *dir, const char *where);
int upstream_send(struct upstream_spec *us, const char *where);
int upstream_del(bool missing_ok);
int upstream_complete(const struct upstream_spec *us, const char *usage,
		      const char *where);
void upstream_spec_free(struct upstream_spec *us);
int listen_send(const uint16_t *port, const uint64_t *gateway_seq);

/* Commands. */
int cmd_show(int argc, char **argv);
int cmd_group(int argc, char **argv);
int cmd_member(int argc, char **argv);
int cmd_upstream(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_showconf(int argc, char **argv);
int cmd_setconf(int argc, char **argv);
int cmd_syncconf(int argc, char **argv);
int cmd_send(int argc, char **argv);

#endif /* GRPSEC_TOOL_H */
