// SPDX-License-Identifier: GPL-2.0
/*
 * Tell the service manager how grpsecd is doing (notify.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

int notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	ssize_t n;
	int fd;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path) + len);
	close(fd);
	return n < 0 ? -errno : 0;
}

uint64_t notify_watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v, p;
	char end;

	if (!usec || sscanf(usec, "%llu%c", &v, &end) != 1 || !v)
		return 0;
	if (pid && (sscanf(pid, "%llu%c", &p, &end) != 1 ||
		    p != (unsigned long long)getpid()))
		return 0;
	return v / 1000 ? v / 1000 : 1;
}
