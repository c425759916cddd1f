/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Listening sockets, non-blocking and close-on-exec, with the error
 * logged in one line that names the address.
 */
#ifndef GRPSECD_SOCK_H
#define GRPSECD_SOCK_H

#include <sys/types.h>

struct conf_addr;

/*
 * A unix stream socket at path with the given mode.  A socket file left
 * by a process that is gone is replaced; one that still answers is not
 * (another daemon owns it).  Returns the fd or -errno.
 */
int sock_unix_listen(const char *path, mode_t mode);

/* A TCP (SOCK_STREAM) or UDP (SOCK_DGRAM) socket bound to a. */
int sock_inet_listen(const struct conf_addr *a, int type);

/* The address in a, as grpsecd.conf writes it. */
const char *sock_addr_str(const struct conf_addr *a, char *buf, size_t size);

#endif
