/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sd_notify(3)'s protocol, without libsystemd: one datagram of
 * "VAR=value" lines to the unix socket named by $NOTIFY_SOCKET (a path,
 * or "@name" in the abstract namespace).  Without the variable nothing is
 * sent and 0 is returned, so a daemon started by hand runs the same.
 */
#ifndef GRPSECD_NOTIFY_H
#define GRPSECD_NOTIFY_H

/* state: "READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...", ...; 0 or -errno. */
int notify_send(const char *state);

#endif
