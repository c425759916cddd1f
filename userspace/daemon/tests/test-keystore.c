// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * keystore.c: the master key file (created 0600, loaded again, refused
 * when others may read it, when its size is wrong, when it is a link or
 * a directory) and the wrapping (round trip; another key, table, row or
 * column, a changed byte or version does not open).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../keystore.h"
#include "check.h"


static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) < 0) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* keystore_load() of @path fails with @rc and a line naming the file and @what. */
static void expect_refused(const char *path, int want, const char *what)
{
	uint8_t key[STORE_MASTER_KEY_LEN];
	char err[STORE_ERR_LEN] = "";
	int rc = keystore_load(path, key, err);

	CHECK(rc == want && strstr(err, path) && strstr(err, what),
	      "%s: %d \"%s\", want %d and \"%s\"", path, rc, err, want, what);
	printf("refused: %s\n", err);
}

static void test_file(void)
{
	uint8_t a[STORE_MASTER_KEY_LEN], b[STORE_MASTER_KEY_LEN], zero[40] = { 0 };
	char err[STORE_ERR_LEN];
	struct stat sb;

	CHECK(keystore_load("master.key", a, err) == 0, "create: %s", err);
	CHECK(stat("master.key", &sb) == 0 && (sb.st_mode & 0777) == 0600 &&
	      sb.st_size == STORE_MASTER_KEY_LEN, "created mode %o size %lld",
	      sb.st_mode & 0777, (long long)sb.st_size);
	CHECK(keystore_load("master.key", b, err) == 0 && !memcmp(a, b, sizeof(a)),
	      "load again: %s", err);
	CHECK(memcmp(a, zero, sizeof(a)), "an all-zero key");

	write_file("group.key", a, sizeof(a), 0640);
	expect_refused("group.key", -EPERM, "readable or writable by group or others");
	write_file("world.key", a, sizeof(a), 0604);
	expect_refused("world.key", -EPERM, "readable or writable by group or others");
	write_file("short.key", a, 31, 0600);
	expect_refused("short.key", -EINVAL, "not 32 bytes");
	write_file("long.key", zero, sizeof(zero), 0600);
	expect_refused("long.key", -EINVAL, "not 32 bytes");
	CHECK(symlink("master.key", "link.key") == 0, "symlink");
	expect_refused("link.key", -ELOOP, "symbolic link");
	CHECK(mkdir("dir.key", 0700) == 0, "mkdir");
	expect_refused("dir.key", -EINVAL, "not a regular file");
	expect_refused("no/such/dir.key", -ENOENT, "No such file");

	/* Other key files (K_up): their own length, never created. */
	write_file("up16.key", a, 16, 0600);
	CHECK(keystore_read_key("up16.key", b, 16, err) == 0 && !memcmp(a, b, 16),
	      "16-byte key: %s", err);
	CHECK(keystore_read_key("up16.key", b, 32, err) == -EINVAL &&
	      strstr(err, "key file up16.key: not 32 bytes"), "%s", err);
	write_file("up-loose.key", a, 16, 0644);
	CHECK(keystore_read_key("up-loose.key", b, 16, err) == -EPERM, "%s", err);
	CHECK(keystore_read_key("missing.key", b, 16, err) == -ENOENT &&
	      access("missing.key", F_OK) < 0, "a missing key file: %s", err);
}

static void test_wrap(void)
{
	uint8_t key[STORE_MASTER_KEY_LEN], other[STORE_MASTER_KEY_LEN], secret[32], out[32];
	uint8_t w[KEYSTORE_OVERHEAD + 32], w2[KEYSTORE_OVERHEAD + 32];
	size_t len, len2, n;
	int i;

	memset(key, 7, sizeof(key));
	memcpy(other, key, sizeof(key));
	other[31] ^= 0x80;
	for (i = 0; i < 32; i++)
		secret[i] = (uint8_t)i;
	CHECK(keystore_wrap(key, "epochs", "1/2", "s_auth", secret, 32, w, &len) == 0 &&
	      len == KEYSTORE_OVERHEAD + 32 && w[0] == KEYSTORE_VERSION, "wrap: %zu", len);
	CHECK(!memmem(w, len, secret, 8), "the secret shows in the wrapped value");
	CHECK(keystore_wrap(key, "epochs", "1/2", "s_auth", secret, 32, w2, &len2) == 0 &&
	      memcmp(w, w2, len), "two wraps of one value are equal (nonce reused?)");
	CHECK(keystore_unwrap(key, "epochs", "1/2", "s_auth", w, len, out, sizeof(out), &n) == 0 &&
	      n == 32 && !memcmp(out, secret, 32), "round trip");
	memset(out, 0xee, sizeof(out));
	CHECK(keystore_unwrap(other, "epochs", "1/2", "s_auth", w, len, out, 32, &n) == -EBADMSG,
	      "another master key opens it");
	CHECK(out[0] == 0xee, "a failed open wrote to the output");
	CHECK(keystore_unwrap(key, "members", "1/2", "s_auth", w, len, out, 32, &n) == -EBADMSG,
	      "another table opens it");
	CHECK(keystore_unwrap(key, "epochs", "1/3", "s_auth", w, len, out, 32, &n) == -EBADMSG,
	      "another row opens it");
	CHECK(keystore_unwrap(key, "epochs", "1/2", "s_e2e", w, len, out, 32, &n) == -EBADMSG,
	      "another column opens it");
	/* "1/2" + "3" and "1/" + "23" must not be the same AAD. */
	CHECK(keystore_unwrap(key, "epochs", "1/23", "", w, len, out, 32, &n) == -EBADMSG,
	      "the AAD's parts run together");
	for (i = 0; i < (int)len; i++) {
		w[i] ^= 0x01;
		CHECK(keystore_unwrap(key, "epochs", "1/2", "s_auth", w, len, out, 32, &n) ==
		      -EBADMSG, "byte %d changed and it still opens", i);
		w[i] ^= 0x01;
	}
	CHECK(keystore_unwrap(key, "epochs", "1/2", "s_auth", w, len - 1, out, 32, &n) ==
	      -EBADMSG, "a cut value opens");
	CHECK(keystore_unwrap(key, "epochs", "1/2", "s_auth", w, len, out, 16, &n) == -ENOBUFS,
	      "a small buffer");
	CHECK(keystore_wrap(key, "t", "r", "c", secret, 0, w, &len) == -EINVAL, "empty value");
}

int main(void)
{
	test_file();
	test_wrap();
	return check_report();
}
