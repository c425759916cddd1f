// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink plumbing for the grpsec programs, on libnl-genl-3.
 *
 * libnl 3.7 does not surface the kernel's extended ACK, so the error, ACK
 * and DONE callbacks parse NLMSGERR_ATTR_* themselves, the way iw does, and
 * keep the text, the offending attribute's offset and any missing
 * attribute for the caller to report.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/grpsec.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct talk {
	struct grpsec_nl *nl;
	int state;		/* 1: waiting, 0: done, < 0: -errno */
	grpsec_nl_parse_t parse;
	void *arg;
};

static void ext_reset(struct grpsec_nl *nl)
{
	nl->ext_msg[0] = '\0';
	nl->has_ext_msg = false;
	nl->ext_offset = -1;
	nl->ext_miss_type = 0;
	nl->ext_miss_nest = -1;
}

static void ext_parse(struct grpsec_nl *nl, struct nlattr *attrs, int len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX, attrs, len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG]) {
		size_t n = strnlen(nla_data(tb[NLMSGERR_ATTR_MSG]),
				   nla_len(tb[NLMSGERR_ATTR_MSG]));

		if (n >= sizeof(nl->ext_msg))
			n = sizeof(nl->ext_msg) - 1;
		memcpy(nl->ext_msg, nla_data(tb[NLMSGERR_ATTR_MSG]), n);
		nl->ext_msg[n] = '\0';
		nl->has_ext_msg = n > 0;
	}
	if (tb[NLMSGERR_ATTR_OFFS] && nla_len(tb[NLMSGERR_ATTR_OFFS]) >= 4)
		nl->ext_offset = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	if (tb[NLMSGERR_ATTR_MISS_TYPE] &&
	    nla_len(tb[NLMSGERR_ATTR_MISS_TYPE]) >= 4)
		nl->ext_miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	if (tb[NLMSGERR_ATTR_MISS_NEST] &&
	    nla_len(tb[NLMSGERR_ATTR_MISS_NEST]) >= 4)
		nl->ext_miss_nest = nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]);
}

/* The TLVs follow the nlmsgerr and, unless capped, the echoed request. */
static void ext_parse_ack(struct grpsec_nl *nl, struct nlmsghdr *nlh)
{
	struct nlmsgerr *err = nlmsg_data(nlh);
	int ack_len = NLMSG_HDRLEN + sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (nlh->nlmsg_len < (unsigned int)ack_len)
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		ack_len += err->msg.nlmsg_len - NLMSG_HDRLEN;
	if ((int)nlh->nlmsg_len <= ack_len)
		return;
	ext_parse(nl, (struct nlattr *)((char *)nlh + ack_len),
		  nlh->nlmsg_len - ack_len);
}

static int cb_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct talk *t = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)err - 1;

	(void)nla;
	ext_parse_ack(t->nl, nlh);
	t->state = err->error < 0 ? err->error : -EPROTO;
	return NL_STOP;
}

static int cb_ack(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;

	/* A successful request may still carry a warning in its ACK. */
	ext_parse_ack(t->nl, nlmsg_hdr(msg));
	t->state = 0;
	return NL_STOP;
}

static int cb_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct talk *t = arg;
	int err = 0;

	/* A dump that fails after it started reports in NLMSG_DONE. */
	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		ext_parse(t->nl,
			  (struct nlattr *)((char *)nlmsg_data(nlh) +
					    NLMSG_ALIGN(sizeof(int))),
			  nlh->nlmsg_len - NLMSG_HDRLEN -
			  NLMSG_ALIGN(sizeof(int)));
	t->state = err < 0 ? err : 0;
	return NL_STOP;
}

static int cb_dump_intr(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;

	(void)msg;
	t->nl->dump_interrupted = true;
	return NL_OK;
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;

	if (t->parse)
		return t->parse(msg, t->arg);
	return NL_OK;
}

static int errno_or(int fallback)
{
	return errno > 0 ? -errno : fallback;
}

static int talk_run(struct grpsec_nl *nl, struct talk *t)
{
	struct nl_cb *cb;
	int ret = 0;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, cb_error, t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_ack, t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_finish, t);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, cb_dump_intr, t);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, t);

	while (t->state > 0) {
		errno = 0;
		ret = nl_recvmsgs(nl->sock, cb);
		if (ret < 0 && t->state > 0)
			t->state = errno_or(-EIO);
	}
	nl_cb_put(cb);
	return t->state;
}

/*
 * Send a request and read the answer to its end: the ACK of a doit (after
 * its reply, if any), or the DONE of a dump.  Every reply message goes to
 * parse().  Returns 0 or -errno; the kernel's extended ACK, if any, is in
 * nl->ext_*, its offsets relative to msg, which the caller still owns (so
 * that it can name the attribute the kernel pointed at) and frees with
 * grpsec_nl_msg_free().
 */
int grpsec_nl_talk(struct grpsec_nl *nl, struct nl_msg *msg,
		   grpsec_nl_parse_t parse, void *arg)
{
	struct talk t = { .nl = nl, .state = 1, .parse = parse, .arg = arg };
	int ret;

	ext_reset(nl);
	nl->dump_interrupted = false;
	errno = 0;
	ret = nl_send_auto(nl->sock, msg);
	if (ret < 0)
		return errno_or(-EIO);
	return talk_run(nl, &t);
}

/*
 * libnl checks sequence numbers unless a callback takes the check over; a
 * NULL callback does not, so this one accepts every message.
 */
static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/*
 * Read one message from a socket that joined the events group, without
 * blocking: parse() sees every message it holds.  Events are unsolicited,
 * so they carry no sequence number of ours and none is checked.  Returns
 * 1 when a message was read, 0 when none was waiting, -ENOBUFS when the
 * kernel dropped messages for want of buffer space (reading may go on),
 * or another -errno.
 */
int grpsec_nl_read_event(struct grpsec_nl *nl, grpsec_nl_parse_t parse,
			 void *arg)
{
	struct nl_cb *cb;
	int ret;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, parse, arg);
	errno = 0;
	ret = nl_recvmsgs(nl->sock, cb);
	nl_cb_put(cb);
	if (ret == -NLE_AGAIN)
		return 0;
	if (ret < 0)
		return errno_or(-EIO);
	return 1;
}

struct nl_msg *grpsec_nl_msg(struct grpsec_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg;

	msg = nlmsg_alloc_size(GRPSEC_NL_MSG_SIZE);
	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, GRPSEC_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Requests carry keys: wipe the whole buffer before it goes back. */
void grpsec_nl_msg_free(struct nl_msg *msg)
{
	struct nlmsghdr *nlh;

	if (!msg)
		return;
	nlh = nlmsg_hdr(msg);
	explicit_bzero(nlh, nlh->nlmsg_len);
	nlmsg_free(msg);
}

struct family_info {
	int id;
	uint32_t version;
};

static int parse_family(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct family_info *fi = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, NULL))
		return NL_SKIP;
	if (tb[CTRL_ATTR_FAMILY_ID])
		fi->id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION])
		fi->version = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	return NL_OK;
}

/*
 * Asking the controller for a family by name makes the kernel try to load
 * the module that declares it (MODULE_ALIAS_GENL_FAMILY) before it answers,
 * so a single request both autoloads and resolves.
 */
static int resolve_family(struct grpsec_nl *nl)
{
	struct family_info fi = { .id = -1 };
	struct nl_msg *msg;
	int ret;

	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
			 CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, GRPSEC_GENL_NAME)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = grpsec_nl_talk(nl, msg, parse_family, &fi);
	nlmsg_free(msg);
	if (ret == -ENOENT || (!ret && fi.id < 0))
		return GRPSEC_NL_E_NOFAMILY;
	if (ret)
		return ret;
	nl->family = fi.id;
	nl->version = fi.version;
	if (fi.version != GRPSEC_GENL_VERSION)
		return GRPSEC_NL_E_VERSION;
	return 0;
}

/*
 * Allocate and connect the socket, ask for extended ACKs (and capped ones:
 * a request of a few hundred members need not come back in the error),
 * and resolve the family.  On failure the socket is closed again, except
 * after GRPSEC_NL_E_VERSION, where nl->version tells what the kernel has.
 */
int grpsec_nl_open(struct grpsec_nl *nl)
{
	int one = 1;
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->family = -1;
	ext_reset(nl);

	nl->sock = nl_socket_alloc();
	if (!nl->sock)
		return -ENOMEM;
	errno = 0;
	if (genl_connect(nl->sock)) {
		ret = errno_or(-EIO);
		goto out_free;
	}
	/* A dump of 100,000 members should not wait on small buffers. */
	nl_socket_set_buffer_size(nl->sock, 1 << 20, 1 << 20);
	nl_socket_enable_msg_peek(nl->sock);
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	ret = resolve_family(nl);
	if (ret && ret != GRPSEC_NL_E_VERSION)
		goto out_free;
	return ret;

out_free:
	nl_socket_free(nl->sock);
	nl->sock = NULL;
	return ret;
}

void grpsec_nl_close(struct grpsec_nl *nl)
{
	if (nl->sock)
		nl_socket_free(nl->sock);
	nl->sock = NULL;
}

/*
 * Join the "events" multicast group, resolved by name as iw does, and
 * make the socket non-blocking for grpsec_nl_read_event().  Returns 0,
 * -ENOENT if the module has no such group, or -errno.
 */
int grpsec_nl_subscribe_events(struct grpsec_nl *nl)
{
	int group;

	errno = 0;
	group = genl_ctrl_resolve_grp(nl->sock, GRPSEC_GENL_NAME,
				      GRPSEC_MCGRP_EVENTS);
	if (group == -NLE_OBJ_NOTFOUND)
		return -ENOENT;
	if (group < 0)
		return errno_or(-EIO);
	errno = 0;
	if (nl_socket_add_membership(nl->sock, group) ||
	    nl_socket_set_nonblocking(nl->sock))
		return errno_or(-EIO);
	return 0;
}
