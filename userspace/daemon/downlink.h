/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The manager's signed commands (downlink.c): what an application asks
 * for on the application socket ("send GROUP MEMBER|* HEX") becomes a
 * command body (frames.rst, "Command body") sealed under the group's
 * current K_G[e] for its recipient, signed with the manager's key, with
 * the group's next command sequence (counter.h: reserved and committed
 * before use), and goes to every gateway that serves the group as a
 * downlink frame (backend_downlink()).  Groups whose [Group] says
 * Commands = no are refused.
 */
#ifndef GRPSECD_DOWNLINK_H
#define GRPSECD_DOWNLINK_H

#include "grpsecd.h"

/* After backend_part: it answers the backend's application requests. */
extern const struct grpsecd_part downlink_part;

#endif
