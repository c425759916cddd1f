// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The master key file and AES-256-GCM wrapping of secrets at rest.
 * The wrapped layout and the AAD are in keystore.h and grpsecd.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "keystore.h"

#define NONCE_LEN	12
#define TAG_LEN		16
#define AAD_LABEL	"grpsecd wrap v1"
#define AAD_MAX		(sizeof(AAD_LABEL) + 3 * (STORE_NAME_MAX + 1) + 64)

#define MASTER	"master key"

/* One line naming the file: "master key PATH: what" or "key file PATH: what". */
static int seterr(char *err, int rc, const char *kind, const char *path, const char *what)
{
	snprintf(err, STORE_ERR_LEN, "%s %s: %s", kind, path, what);
	return rc;
}

static int read_key(int fd, const char *kind, const char *path, uint8_t *key, size_t len,
		    char *err)
{
	char what[32];
	struct stat sb;
	ssize_t n;

	if (fstat(fd, &sb) < 0)
		return seterr(err, -errno, kind, path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return seterr(err, -EINVAL, kind, path, "not a regular file");
	if (sb.st_mode & 0077)
		return seterr(err, -EPERM, kind, path,
			      "readable or writable by group or others (chmod 600 it)");
	if (sb.st_size != (off_t)len) {
		snprintf(what, sizeof(what), "not %zu bytes long", len);
		return seterr(err, -EINVAL, kind, path, what);
	}
	n = read(fd, key, len);
	if (n < 0)
		return seterr(err, -errno, kind, path, strerror(errno));
	if (n != (ssize_t)len)
		return seterr(err, -EIO, kind, path, "short read");
	return 0;
}

static int open_key(const char *kind, const char *path, char *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return seterr(err, -errno, kind, path,
			      errno == ELOOP ? "is a symbolic link" : strerror(errno));
	return fd;
}

static int read_key_file(const char *kind, const char *path, uint8_t *key, size_t len,
			 char *err)
{
	int fd = open_key(kind, path, err), rc;

	if (fd < 0)
		return fd;
	rc = read_key(fd, kind, path, key, len, err);
	close(fd);
	if (rc < 0)
		OPENSSL_cleanse(key, len);
	return rc;
}

int keystore_read_key(const char *path, uint8_t *key, size_t len, char *err)
{
	return read_key_file("key file", path, key, len, err);
}

/* fsync the directory that holds @path, so the new file's name is durable. */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, rc = 0;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int create_key(const char *path, uint8_t *key, char *err)
{
	ssize_t n;
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;	/* -EEXIST: created meanwhile; the caller reads it */
		return rc == -EEXIST ? rc : seterr(err, rc, MASTER, path, strerror(-rc));
	}
	if (RAND_bytes(key, STORE_MASTER_KEY_LEN) != 1) {
		rc = seterr(err, -EIO, MASTER, path, "no random bytes");
		goto out_unlink;
	}
	n = write(fd, key, STORE_MASTER_KEY_LEN);
	if (n != STORE_MASTER_KEY_LEN || fsync(fd) < 0) {
		rc = n < 0 || n == STORE_MASTER_KEY_LEN ? -errno : -ENOSPC;
		seterr(err, rc, MASTER, path, strerror(-rc));
		goto out_unlink;
	}
	close(fd);
	rc = sync_dir(path);
	return rc < 0 ? seterr(err, rc, MASTER, path, strerror(-rc)) : 0;

out_unlink:
	close(fd);
	unlink(path);
	return rc;
}

int keystore_load(const char *path, uint8_t key[STORE_MASTER_KEY_LEN], char *err)
{
	int rc;

	err[0] = 0;
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		rc = create_key(path, key, err);
		if (rc != -EEXIST)	/* -EEXIST: created meanwhile, read it */
			goto out;
	}
	rc = read_key_file(MASTER, path, key, STORE_MASTER_KEY_LEN, err);
out:
	if (rc < 0)
		OPENSSL_cleanse(key, STORE_MASTER_KEY_LEN);
	return rc;
}

/* The AAD: label || 0 || table || 0 || row || 0 || column. */
static int build_aad(uint8_t *aad, const char *table, const char *row, const char *column)
{
	const char *parts[] = { AAD_LABEL, table, row, column };
	size_t off = 0, i, n;

	for (i = 0; i < 4; i++) {
		n = strlen(parts[i]);
		if (off + n + 1 > AAD_MAX)
			return -EINVAL;
		memcpy(aad + off, parts[i], n);
		off += n;
		if (i < 3)
			aad[off++] = 0;
	}
	return (int)off;
}

/* One AES-256-GCM operation; @enc 1 seals (writes @tag), 0 opens (checks it). */
static int gcm(int enc, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
	       int aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1 &&
	     EVP_CipherUpdate(ctx, NULL, &n, aad, aad_len) == 1 &&
	     EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
	     (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
	     EVP_CipherFinal_ex(ctx, out + n, &n) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : enc ? -EIO : -EBADMSG;
}

int keystore_wrap(const uint8_t master[STORE_MASTER_KEY_LEN], const char *table,
		  const char *row, const char *column, const uint8_t *plain, size_t len,
		  uint8_t *out, size_t *out_len)
{
	uint8_t aad[AAD_MAX];
	int aad_len, rc;

	if (len == 0 || len > STORE_NAMED_SECRET_MAX)
		return -EINVAL;
	aad_len = build_aad(aad, table, row, column);
	if (aad_len < 0)
		return aad_len;
	out[0] = KEYSTORE_VERSION;
	if (RAND_bytes(out + 1, NONCE_LEN) != 1)
		return -EIO;
	rc = gcm(1, master, out + 1, aad, aad_len, plain, len, out + 1 + NONCE_LEN,
		 out + 1 + NONCE_LEN + len);
	if (rc < 0) {
		OPENSSL_cleanse(out, KEYSTORE_OVERHEAD + len);
		return rc;
	}
	*out_len = KEYSTORE_OVERHEAD + len;
	return 0;
}

int keystore_unwrap(const uint8_t master[STORE_MASTER_KEY_LEN], const char *table,
		    const char *row, const char *column, const uint8_t *in, size_t len,
		    uint8_t *out, size_t out_size, size_t *out_len)
{
	uint8_t aad[AAD_MAX], tag[TAG_LEN], plain[STORE_NAMED_SECRET_MAX];
	size_t n;
	int aad_len, rc;

	if (len <= KEYSTORE_OVERHEAD || len > KEYSTORE_WRAPPED_MAX || in[0] != KEYSTORE_VERSION)
		return -EBADMSG;
	n = len - KEYSTORE_OVERHEAD;
	if (n > out_size)
		return -ENOBUFS;
	aad_len = build_aad(aad, table, row, column);
	if (aad_len < 0)
		return aad_len;
	memcpy(tag, in + len - TAG_LEN, TAG_LEN);
	/* Open into a local buffer so that a forgery writes nothing to @out. */
	rc = gcm(0, master, in + 1, aad, aad_len, in + 1 + NONCE_LEN, n, plain, tag);
	if (rc == 0) {
		memcpy(out, plain, n);
		*out_len = n;
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	return rc;
}
