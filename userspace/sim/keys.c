// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-keys: derive grpsec keys (Documentation/keys.rst) and write them
 * to files, so shell tests can hand them to the netlink tool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static const char usage_text[] =
"usage: grpsec-keys member   --s-auth SRC --suite S --group G --epoch E --member ID\n"
"                            [--count N] (--out FILE | --dir DIR | --import FILE) [--hex]\n"
"       grpsec-keys e2e      --s-e2e SRC  --suite S --group G --epoch E --member ID\n"
"                            [--count N] (--out FILE | --dir DIR | --import FILE) [--hex]\n"
"       grpsec-keys upstream --secret SRC --suite S --gateway ID --out FILE [--hex]\n"
"       grpsec-keys random   (--suite S | --bytes N) --out FILE [--hex]\n"
"       grpsec-keys sign     --out FILE --pub FILE [--hex]\n"
"       grpsec-keys wrap     --secret SRC --member ID --out FILE [--hex]\n"
"\n"
"  member    K_m[e] of members ID..ID+N-1 (HKDF of S_auth)\n"
"  e2e       K_e,m[e] of members ID..ID+N-1 (HKDF of S_e2e)\n"
"  upstream  K_up of a gateway (HKDF of the upstream secret)\n"
"  random    random bytes: K_G[e] (--suite), S_auth, S_e2e or a secret (--bytes 32)\n"
"  sign      a new Ed25519 signing key pair of the manager: the private key\n"
"            (32-byte seed) to --out, the public key to --pub\n"
"  wrap      K_wrap,m of member ID (HKDF of a wrap secret, keys.rst)\n"
"\n"
"  --out FILE    one key (N = 1), raw bytes (--hex: hex and a newline)\n"
"  --dir DIR     one file per member, DIR/<member>.key\n"
"  --import FILE one line per member, \"ID HEX epoch E\", the format of\n"
"                grpsec member import GROUP FILE\n"
"SRC is a file (raw bytes or hex) or hex:DIGITS.  Files are created 0600.\n"
"Exit 0 ok, 1 usage, 2 runtime failure.\n";

enum {
	OPT_S_AUTH = 256, OPT_S_E2E, OPT_SECRET, OPT_SUITE, OPT_GROUP, OPT_EPOCH, OPT_MEMBER,
	OPT_COUNT, OPT_GATEWAY, OPT_BYTES, OPT_OUT, OPT_DIR, OPT_IMPORT, OPT_HEX, OPT_PUB,
};

static const struct option options[] = {
	{ "s-auth", required_argument, NULL, OPT_S_AUTH },
	{ "s-e2e", required_argument, NULL, OPT_S_E2E },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "epoch", required_argument, NULL, OPT_EPOCH },
	{ "member", required_argument, NULL, OPT_MEMBER },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "bytes", required_argument, NULL, OPT_BYTES },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "import", required_argument, NULL, OPT_IMPORT },
	{ "hex", no_argument, NULL, OPT_HEX },
	{ "pub", required_argument, NULL, OPT_PUB },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct config {
	const char *cmd;
	const char *secret_src, *secret_opt;
	unsigned int suite;
	uint32_t group, epoch, member, count, gateway, bytes;
	bool have_group, have_epoch, have_member, have_gateway;
	const char *out, *dir, *import, *pub;
	bool hex;
};

static void write_key(const char *path, const uint8_t *key, size_t len, bool hex)
{
	char text[2 * GRPSEC_SECRET_LEN * 2 + 2];
	int err;

	if (hex) {
		char *h = hex_string(key, len);

		snprintf(text, sizeof(text), "%s\n", h);
		free(h);
		err = write_file_atomic(path, text, strlen(text));
	} else {
		err = write_file_atomic(path, key, len);
	}
	memset(text, 0, sizeof(text));
	if (err)
		runtime_error("cannot write key file \"%s\": %s", path, strerror(-err));
}

static void parse(int argc, char **argv, struct config *c)
{
	int opt;

	memset(c, 0, sizeof(*c));
	c->count = 1;
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		}
		fputs(usage_text, stderr);
		exit(EXIT_USAGE);
	}
	c->cmd = argv[1];
	if (strcmp(c->cmd, "member") && strcmp(c->cmd, "e2e") && strcmp(c->cmd, "upstream") &&
	    strcmp(c->cmd, "random") && strcmp(c->cmd, "sign") && strcmp(c->cmd, "wrap"))
		usage_error("unknown command \"%s\" (expected member, e2e, upstream, random, sign or wrap)",
			    c->cmd);
	optind = 2;
	while ((opt = opt_next(argc, argv, "h", options, usage_text)) != -1) {
		switch (opt) {
		case OPT_S_AUTH:
		case OPT_S_E2E:
		case OPT_SECRET:
			c->secret_src = optarg;
			c->secret_opt = opt == OPT_S_AUTH ? "--s-auth" :
					opt == OPT_S_E2E ? "--s-e2e" : "--secret";
			break;
		case OPT_SUITE:
			c->suite = opt_suite("--suite", optarg);
			break;
		case OPT_GROUP:
			c->group = opt_u32("--group", optarg, 1, UINT32_MAX);
			c->have_group = true;
			break;
		case OPT_EPOCH:
			c->epoch = opt_u32("--epoch", optarg, 0, UINT32_MAX);
			c->have_epoch = true;
			break;
		case OPT_MEMBER:
			c->member = opt_u32("--member", optarg, 1, UINT32_MAX);
			c->have_member = true;
			break;
		case OPT_COUNT:
			c->count = opt_u32("--count", optarg, 1, 10000000);
			break;
		case OPT_GATEWAY:
			c->gateway = opt_u32("--gateway", optarg, 0, UINT32_MAX);
			c->have_gateway = true;
			break;
		case OPT_BYTES:
			c->bytes = opt_u32("--bytes", optarg, 1, GRPSEC_SECRET_LEN);
			break;
		case OPT_OUT:
			c->out = optarg;
			break;
		case OPT_DIR:
			c->dir = optarg;
			break;
		case OPT_IMPORT:
			c->import = optarg;
			break;
		case OPT_HEX:
			c->hex = true;
			break;
		case OPT_PUB:
			c->pub = optarg;
			break;
		}
	}
	if (!!c->out + !!c->dir + !!c->import != 1)
		usage_error("give exactly one of --out, --dir and --import");
	if (!strcmp(c->cmd, "sign")) {
		if (!c->out || !c->pub)
			usage_error("sign: --out and --pub are required");
		return;
	}
	if (!strcmp(c->cmd, "wrap")) {
		if (!c->secret_src || strcmp(c->secret_opt, "--secret"))
			usage_error("wrap: --secret is required");
		if (!c->have_member || !c->out)
			usage_error("wrap: --member and --out are required");
		return;
	}
	if (!strcmp(c->cmd, "random")) {
		if (!c->suite == !c->bytes)
			usage_error("random: give exactly one of --suite and --bytes");
		if (!c->out)
			usage_error("random: --out is required");
		return;
	}
	if (!c->suite)
		usage_error("%s: --suite is required", c->cmd);
	if (!strcmp(c->cmd, "upstream")) {
		if (!c->secret_src || strcmp(c->secret_opt, "--secret"))
			usage_error("upstream: --secret is required");
		if (!c->have_gateway || !c->out)
			usage_error("upstream: --gateway and --out are required");
		return;
	}
	if (!c->secret_src ||
	    strcmp(c->secret_opt, !strcmp(c->cmd, "member") ? "--s-auth" : "--s-e2e"))
		usage_error("%s: %s is required", c->cmd,
			    !strcmp(c->cmd, "member") ? "--s-auth" : "--s-e2e");
	if (!c->have_group || !c->have_epoch || !c->have_member)
		usage_error("%s: --group, --epoch and --member are required", c->cmd);
	opt_member_range("--member", c->member, "--count", c->count);
	if (c->out && c->count != 1)
		usage_error("--out writes one key: use --dir or --import with --count");
}

int main(int argc, char **argv)
{
	uint8_t secret[GRPSEC_SECRET_LEN], key[GRPSEC_KEY_MAX_LEN];
	struct config c;
	size_t kl;
	int err;

	prog = "grpsec-keys";
	parse(argc, argv, &c);
	kl = c.suite ? grpsec_suite_key_len(c.suite) : c.bytes;
	if (!strcmp(c.cmd, "random")) {
		uint8_t buf[GRPSEC_SECRET_LEN];

		if (grpsec_random(buf, kl))
			runtime_error("the random generator failed");
		write_key(c.out, buf, kl, c.hex);
		memset(buf, 0, sizeof(buf));
		return EXIT_OK;
	}
	if (!strcmp(c.cmd, "sign")) {
		uint8_t priv[GRPSEC_SIGN_KEY_LEN], pub[GRPSEC_SIGN_KEY_LEN];
		struct grpsec_signer *s;

		if (grpsec_random(priv, sizeof(priv)) || grpsec_signer_new(priv, &s))
			runtime_error("cannot make a signing key");
		err = grpsec_signer_public(s, pub);
		grpsec_signer_free(s);
		if (err)
			runtime_error("cannot compute the public key: %s", grpsec_strerror(err));
		write_key(c.out, priv, sizeof(priv), c.hex);
		write_key(c.pub, pub, sizeof(pub), c.hex);
		memset(priv, 0, sizeof(priv));
		return EXIT_OK;
	}
	opt_bytes(c.secret_opt, c.secret_src, secret, sizeof(secret));
	if (!strcmp(c.cmd, "wrap")) {
		uint8_t wrap[GRPSEC_WRAP_KEY_LEN];

		err = grpsec_kdf_wrap_key(secret, c.member, wrap);
		if (err)
			runtime_error("cannot derive K_wrap: %s", grpsec_strerror(err));
		write_key(c.out, wrap, sizeof(wrap), c.hex);
		memset(wrap, 0, sizeof(wrap));
		return EXIT_OK;
	}
	if (!strcmp(c.cmd, "upstream")) {
		err = grpsec_kdf_upstream_key(c.suite, secret, c.gateway, key, kl);
		if (err)
			runtime_error("cannot derive K_up: %s", grpsec_strerror(err));
		write_key(c.out, key, kl, c.hex);
		return EXIT_OK;
	}

	{
		FILE *imp = NULL;
		char tmp[PATH_MAX];

		if (c.dir && mkdir(c.dir, 0700) && errno != EEXIST)
			runtime_error("cannot create --dir \"%s\": %s", c.dir, strerror(errno));
		if (c.import) {
			int fd;

			snprintf(tmp, sizeof(tmp), "%s.tmp", c.import);
			fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			imp = fd < 0 ? NULL : fdopen(fd, "w");
			if (!imp)
				runtime_error("cannot create --import file \"%s\": %s", tmp,
					      strerror(errno));
		}
		for (uint32_t i = 0; i < c.count; i++) {
			uint32_t id = c.member + i;

			err = (!strcmp(c.cmd, "member") ? grpsec_kdf_member_key : grpsec_kdf_e2e_key)
				(c.suite, secret, c.group, c.epoch, id, key, kl);
			if (err)
				runtime_error("cannot derive the key of member %" PRIu32 ": %s", id,
					      grpsec_strerror(err));
			if (c.out) {
				write_key(c.out, key, kl, c.hex);
			} else if (c.dir) {
				char path[PATH_MAX];

				if ((size_t)snprintf(path, sizeof(path), "%s/%" PRIu32 ".key", c.dir,
						     id) >= sizeof(path))
					usage_error("--dir path too long: \"%s\"", c.dir);
				write_key(path, key, kl, c.hex);
			} else {
				char *h = hex_string(key, kl);

				fprintf(imp, "%" PRIu32 " %s epoch %" PRIu32 "\n", id, h, c.epoch);
				memset(h, 0, strlen(h));
				free(h);
			}
		}
		if (imp) {
			if (fflush(imp) || fsync(fileno(imp)) || fclose(imp) || rename(tmp, c.import))
				runtime_error("cannot write --import file \"%s\": %s", c.import,
					      strerror(errno));
		}
	}
	memset(key, 0, sizeof(key));
	memset(secret, 0, sizeof(secret));
	return EXIT_OK;
}
