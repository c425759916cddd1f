// SPDX-License-Identifier: GPL-2.0
/*
 * policy_check(): which identity joins which group, table-driven over
 * one configuration with certificate and PSK rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../conf.h"
#include "../log.h"
#include "../policy.h"

static const char conf_text[] =
	"[Group]\nId = 1\n[Group]\nId = 2\n[Group]\nId = 3\n"
	"[Allow]\nGroup = 1, 2\nSubject = CN=meter-*,O=Utility\n"
	"SAN = DNS:*.meters.example\n"
	"[Allow]\nGroup = 2\nPSKIdentity = psk-??\n"
	"[Allow]\nGroup = 3\nSubject = CN=exact,O=Utility\n";

static const char *const sans_ok[] = { "URI:urn:x", "DNS:a.meters.example" };
static const char *const sans_no[] = { "DNS:meters.example.evil" };

static const struct {
	const char *what;
	struct identity id;
	uint32_t group;
	enum policy_result want;
} cases[] = {
	{ "subject pattern", { IDENTITY_CERT, "CN=meter-7,O=Utility", NULL, 0 }, 1, POLICY_ALLOW },
	{ "subject pattern, second group", { IDENTITY_CERT, "CN=meter-7,O=Utility", NULL, 0 }, 2, POLICY_ALLOW },
	{ "subject pattern, group not listed", { IDENTITY_CERT, "CN=meter-7,O=Utility", NULL, 0 }, 3, POLICY_DENY },
	{ "subject matches whole string only", { IDENTITY_CERT, "CN=meter-7,O=Utility,OU=x", NULL, 0 }, 1, POLICY_DENY },
	{ "SAN pattern", { IDENTITY_CERT, "CN=other", sans_ok, 2 }, 1, POLICY_ALLOW },
	{ "SAN that does not match", { IDENTITY_CERT, "CN=other", sans_no, 1 }, 1, POLICY_DENY },
	{ "PSK identity", { IDENTITY_PSK, "psk-42", NULL, 0 }, 2, POLICY_ALLOW },
	{ "PSK identity, too long for ??", { IDENTITY_PSK, "psk-420", NULL, 0 }, 2, POLICY_DENY },
	{ "PSK identity against subject rules", { IDENTITY_PSK, "CN=meter-7,O=Utility", NULL, 0 }, 1, POLICY_DENY },
	{ "certificate against PSK rules", { IDENTITY_CERT, "psk-42", NULL, 0 }, 2, POLICY_DENY },
	{ "exact subject", { IDENTITY_CERT, "CN=exact,O=Utility", NULL, 0 }, 3, POLICY_ALLOW },
	{ "no such group", { IDENTITY_CERT, "CN=meter-7,O=Utility", NULL, 0 }, 9, POLICY_NO_GROUP },
};

int main(void)
{
	char path[] = "/tmp/grpsecd-policy-XXXXXX";
	struct grpsecd_conf *conf;
	int fd = mkstemp(path), failed = 0;

	log_init(false);
	if (fd < 0 || write(fd, conf_text, strlen(conf_text)) < 0)
		return 1;
	close(fd);
	conf = conf_load(path);
	unlink(path);
	if (!conf)
		return 1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *reason = NULL;
		enum policy_result r = policy_check(conf, &cases[i].id,
						    cases[i].group, &reason);

		if (r != cases[i].want || (r != POLICY_ALLOW && !reason)) {
			printf("FAIL: %s: got %s, want %s\n", cases[i].what,
			       policy_result_name(r),
			       policy_result_name(cases[i].want));
			failed++;
		}
	}
	printf("%zu cases, %d failed\n", sizeof(cases) / sizeof(cases[0]), failed);
	conf_free(conf);
	return failed ? 1 : 0;
}
