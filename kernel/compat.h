/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels grpsec builds against stay here, so the
 * rest of the source reads like current upstream code.  The pure-logic
 * files (frame.c, replay.c, batch.c) also build in userspace for fuzzing;
 * GRPSEC_USERSPACE selects a small shim for them.
 */
#ifndef _GRPSEC_COMPAT_H
#define _GRPSEC_COMPAT_H

#ifdef GRPSEC_USERSPACE
#include "kshim.h"
#else
#include <linux/types.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/minmax.h>
#include <linux/version.h>
#include <asm/byteorder.h>
#include <asm/unaligned.h>

/*
 * Since 6.3 a crypto completion receives its request's data pointer
 * instead of the request.
 */
#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
#define grpsec_crypto_cb_arg struct crypto_async_request *
#define grpsec_crypto_cb_data(arg) ((arg)->data)
#else
#define grpsec_crypto_cb_arg void *
#define grpsec_crypto_cb_data(arg) (arg)
#endif

/*
 * Until 6.2 a UDP encap socket's ICMP error hook gets the ICMP packet and
 * works out the error itself; since, it gets the errno.
 */
#if KERNEL_VERSION(6, 2, 0) > LINUX_VERSION_CODE
#define GRPSEC_ENCAP_ERR_RCV_SKB	1
#endif

/* Since 6.2 pre_doit and post_doit get the command's split op. */
#if KERNEL_VERSION(6, 2, 0) > LINUX_VERSION_CODE
#define grpsec_genl_op genl_ops
#else
#define grpsec_genl_op genl_split_ops
#endif

/* KUnit's memory comparison arrived in 6.2. */
#if defined(KUNIT_EXPECT_EQ) && !defined(KUNIT_EXPECT_MEMEQ)
#define KUNIT_EXPECT_MEMEQ(test, left, right, size)			\
	KUNIT_EXPECT_EQ_MSG(test, memcmp(left, right, size), 0,		\
			    "%s and %s differ", #left, #right)
#endif
#endif

#endif /* _GRPSEC_COMPAT_H */
