// SPDX-License-Identifier: GPL-2.0
/*
 * Listening sockets (sock.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/value.h"
#include "conf.h"
#include "log.h"
#include "sock.h"

/* An existing socket file: 0 if it may be replaced, -EADDRINUSE if live. */
static int unix_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (!rc)
		return -EADDRINUSE;
	return unlink(sun->sun_path) ? -errno : 0;
}

static int unix_bind(int fd, const struct sockaddr_un *sun, mode_t mode)
{
	mode_t old = umask(0777 & ~mode);
	int rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));

	umask(old);
	if (rc || chmod(sun->sun_path, mode))
		return -errno;
	return listen(fd, 64) ? -errno : 0;
}

int sock_unix_listen(const char *path, mode_t mode)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("%s: a unix socket path has at most %zu bytes", path,
			sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	err = unix_stale(&sun);
	if (err) {
		log_err("%s: %s", path, err == -EADDRINUSE ?
			"another process is listening there (is grpsecd already running?)" :
			err == -EEXIST ? "exists and is not a socket" : strerror(-err));
		return err;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = unix_bind(fd, &sun, mode);
	if (err) {
		log_err("cannot listen on %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

const char *sock_addr_str(const struct conf_addr *a, char *buf, size_t size)
{
	format_endpoint(&a->ss, buf, size);
	return buf;
}

int sock_inet_listen(const struct conf_addr *a, int type)
{
	char name[ENDPOINT_STRLEN];
	int fd, one = 1, err;

	fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) ||
	    (type == SOCK_STREAM && listen(fd, 128))) {
		err = -errno;
		log_err("cannot listen on %s: %s",
			sock_addr_str(a, name, sizeof(name)), strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}
