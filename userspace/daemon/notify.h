/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sd_notify(3)'s protocol, without libsystemd: one datagram of
 * "VAR=value" lines to the unix socket named by $NOTIFY_SOCKET (a path,
 * or "@name" in the abstract namespace).  Without the variable nothing is
 * sent and 0 is returned, so a daemon started by hand runs the same.
 */
#ifndef GRPSECD_NOTIFY_H
#define GRPSECD_NOTIFY_H

#include <stdint.h>

/* state: "READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...", ...; 0 or -errno. */
int notify_send(const char *state);

/*
 * The watchdog interval systemd asks for (WatchdogSec=, given as
 * $WATCHDOG_USEC for the process $WATCHDOG_PID), in milliseconds; 0 when
 * there is none or it is meant for another process.  The daemon then
 * sends "WATCHDOG=1" from its event loop twice per interval, so a loop
 * that hangs gets the service restarted.
 */
uint64_t notify_watchdog_ms(void);

#endif
