// SPDX-License-Identifier: GPL-2.0
/*
 * helper-rows: put rows in a manager's database through store.h, for
 * the tests of the control socket and the metrics, which need devices
 * without running an enrollment (the daemon creates the groups).
 *
 *   helper-rows DATABASE MASTERKEY enroll IDENTITY cert|psk GROUP...
 *   helper-rows DATABASE MASTERKEY enroll-many PREFIX N cert|psk GROUP...
 *
 * "enroll" prints the device id and the member id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "../../common/value.h"
#include "../keystore.h"
#include "../store.h"

static int wrap_key(void *arg, uint32_t member, uint8_t key[STORE_WRAP_KEY_LEN])
{
	(void)arg, (void)member;
	return RAND_bytes(key, STORE_WRAP_KEY_LEN) == 1 ? 0 : -EIO;
}

static int enroll(struct store *st, int argc, char **argv)
{
	struct store_enroll_req req = { .wrap_key = wrap_key };
	struct store_enroll_res res = { 0 };
	uint32_t groups[16], epochs[16];
	int err;

	if (argc < 3 || argc - 2 > 16)
		return -EINVAL;
	req.identity = argv[0];
	req.kind = !strcmp(argv[1], "psk") ? STORE_DEVICE_PSK : STORE_DEVICE_CERT;
	for (int i = 2; i < argc; i++)
		if (!parse_u32(argv[i], &groups[i - 2], 1, UINT32_MAX))
			return -EINVAL;
	req.groups = groups;
	req.n_groups = argc - 2;
	res.epochs = epochs;
	err = store_enroll(st, &req, &res);
	if (!err)
		printf("%llu %u\n", (unsigned long long)res.device, res.member);
	return err;
}

/* enroll-many PREFIX N KIND GROUP...: N devices PREFIX1..PREFIXN. */
static int enroll_many(struct store *st, int argc, char **argv)
{
	char name[STORE_IDENTITY_MAX + 1], *args[18];
	uint32_t n;
	int err = 0;

	if (argc < 4 || argc - 1 > 18 || !parse_u32(argv[1], &n, 1, 1000000))
		return -EINVAL;
	for (int i = 2; i < argc; i++)
		args[i - 1] = argv[i];
	args[0] = name;
	for (uint32_t i = 1; i <= n && !err; i++) {
		snprintf(name, sizeof(name), "%s%u", argv[0], i);
		err = enroll(st, argc - 1, args);
	}
	return err;
}

int main(int argc, char **argv)
{
	uint8_t master[STORE_MASTER_KEY_LEN];
	char err[STORE_ERR_LEN];
	struct store *st;
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: helper-rows DATABASE MASTERKEY enroll ...\n");
		return 2;
	}
	if (keystore_load(argv[2], master, err) ||
	    store_open(argv[1], master, &st, err)) {
		fprintf(stderr, "helper-rows: %s\n", err);
		return 1;
	}
	OPENSSL_cleanse(master, sizeof(master));
	if (!strcmp(argv[3], "enroll"))
		rc = enroll(st, argc - 4, argv + 4);
	else if (!strcmp(argv[3], "enroll-many"))
		rc = enroll_many(st, argc - 4, argv + 4);
	else
		rc = -EINVAL;
	if (rc)
		fprintf(stderr, "helper-rows: %s: %s\n", argv[3],
			rc == -EINVAL ? "bad arguments" : store_error(st));
	store_close(st);
	return rc ? 1 : 0;
}
