/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The master key file and the wrapping of secrets at rest.
 *
 * The master key is 32 random bytes in a file of its own (mode 0600, owned
 * by the daemon's user), created on first start.  A wrapped secret is
 *
 *   u8 version (1) || 12-byte random nonce || AES-256-GCM(secret) || 16-byte tag
 *
 * with the AAD "grpsecd wrap v1" || 0 || table || 0 || row || 0 || column,
 * so a value copied to another row or column does not open.
 */
#ifndef GRPSECD_KEYSTORE_H
#define GRPSECD_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define KEYSTORE_VERSION	1
#define KEYSTORE_OVERHEAD	(1 + 12 + 16)
#define KEYSTORE_WRAPPED_MAX	(KEYSTORE_OVERHEAD + STORE_NAMED_SECRET_MAX)

/*
 * keystore_load() - read the master key from @path into @key, or create
 * the file (O_EXCL, mode 0600, fsync'd with its directory) with 32 fresh
 * random bytes if it does not exist.  Refuses a file that is not a regular
 * file, is readable or writable by group or others, or is not exactly 32
 * bytes long.  On failure *@err (STORE_ERR_LEN bytes) names the file and
 * the problem, and @key is wiped.
 * Returns 0, -EPERM (mode), -EINVAL (size, type), -ENOENT, -EACCES, -EIO.
 */
int keystore_load(const char *path, uint8_t key[STORE_MASTER_KEY_LEN], char *err);

/*
 * keystore_read_key() - read a key of exactly @len bytes from @path (K_up
 * files), refused as keystore_load() refuses a master key file; never
 * creates it.  Returns 0, -EPERM, -EINVAL, -ENOENT, -ELOOP, -EACCES, -EIO.
 */
int keystore_read_key(const char *path, uint8_t *key, size_t len, char *err);

/*
 * keystore_wrap() - seal @len bytes of @plain under @master, the AAD naming
 * @table, @row (e.g. "7/3" for group 7 epoch 3) and @column.  @out needs
 * KEYSTORE_OVERHEAD + @len bytes; *@out_len is set.  Returns 0, -EINVAL,
 * -EIO.
 */
int keystore_wrap(const uint8_t master[STORE_MASTER_KEY_LEN], const char *table,
		  const char *row, const char *column, const uint8_t *plain, size_t len,
		  uint8_t *out, size_t *out_len);

/*
 * keystore_unwrap() - open what keystore_wrap() sealed for the same table,
 * row and column.  @out needs @len - KEYSTORE_OVERHEAD bytes (at most
 * @out_size); *@out_len is set.  Returns 0, -EBADMSG (wrong key, moved or
 * changed value, bad version or length: nothing is written to @out),
 * -ENOBUFS, -EIO.
 */
int keystore_unwrap(const uint8_t master[STORE_MASTER_KEY_LEN], const char *table,
		    const char *row, const char *column, const uint8_t *in, size_t len,
		    uint8_t *out, size_t out_size, size_t *out_len);

#endif /* GRPSECD_KEYSTORE_H */
