// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * gen-vectors: write Documentation/vectors/v2.txt, v2_vectors.h and
 * enroll-v1.txt.
 * Usage: gen-vectors DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpsec.h"
#include "enroll-vectors.h"
#include "vectors.h"

/* @txt: 1 v2.txt, 0 v2_vectors.h, 2 enroll-v1.txt. */
static int write_file(const char *dir, const char *name, int txt)
{
	char path[4096], tmp[4200];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "gen-vectors: cannot create '%s': %s\n", tmp, strerror(errno));
		return 2;
	}
	err = txt == 2 ? enroll_vectors_write(f) :
	      txt ? vectors_write(f, NULL) : vectors_write(NULL, f);
	if (fclose(f) || err) {
		fprintf(stderr, "gen-vectors: writing '%s' failed: %s\n", tmp,
			grpsec_strerror(err ? err : -EIO));
		remove(tmp);
		return 2;
	}
	if (rename(tmp, path)) {
		fprintf(stderr, "gen-vectors: cannot rename to '%s': %s\n", path,
			strerror(errno));
		return 2;
	}
	printf("wrote %s\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: gen-vectors DIR\n"
			"Write DIR/v2.txt, DIR/v2_vectors.h and DIR/enroll-v1.txt\n"
			"(grpsec wire format v2 and enrollment v1 test vectors).\n");
		return 1;
	}
	if (write_file(argv[1], "v2.txt", 1) || write_file(argv[1], "v2_vectors.h", 0) ||
	    write_file(argv[1], "enroll-v1.txt", 2))
		return 2;
	return 0;
}
