/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink plumbing shared by the grpsec programs: one socket per
 * program, the "grpsec" family resolved once, requests sent and answered
 * with the kernel's extended ACK kept for the caller to report.
 */
#ifndef GRPSEC_COMMON_NL_H
#define GRPSEC_COMMON_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netlink/msg.h>

/* Largest request we build: GRPSEC_MEMBERS_PER_MSG members with two keys. */
#define GRPSEC_NL_MSG_SIZE	(128 * 1024)

struct grpsec_nl {
	struct nl_sock *sock;
	int family;		/* generic netlink family id */
	uint32_t version;	/* family version the kernel announces */

	/* The extended ACK of the last failed (or warned) request. */
	char ext_msg[512];
	bool has_ext_msg;
	int64_t ext_offset;	/* NLMSGERR_ATTR_OFFS, or -1 */
	uint32_t ext_miss_type;	/* NLMSGERR_ATTR_MISS_TYPE, or 0 */
	int64_t ext_miss_nest;	/* NLMSGERR_ATTR_MISS_NEST, or -1 */
	bool dump_interrupted;	/* NLM_F_DUMP_INTR seen in the last dump */
};

/* Outcomes of grpsec_nl_open() besides 0 and -errno. */
#define GRPSEC_NL_E_NOFAMILY	(-10000)	/* module not loaded */
#define GRPSEC_NL_E_VERSION	(-10001)	/* family version differs */

typedef int (*grpsec_nl_parse_t)(struct nl_msg *msg, void *arg);

int grpsec_nl_open(struct grpsec_nl *nl);
void grpsec_nl_close(struct grpsec_nl *nl);
int grpsec_nl_subscribe_events(struct grpsec_nl *nl);

struct nl_msg *grpsec_nl_msg(struct grpsec_nl *nl, uint8_t cmd, int flags);
void grpsec_nl_msg_free(struct nl_msg *msg);
int grpsec_nl_talk(struct grpsec_nl *nl, struct nl_msg *msg,
		   grpsec_nl_parse_t parse, void *arg);
int grpsec_nl_read_event(struct grpsec_nl *nl, grpsec_nl_parse_t parse,
			 void *arg);

#endif /* GRPSEC_COMMON_NL_H */
