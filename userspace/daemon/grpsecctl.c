// SPDX-License-Identifier: GPL-2.0
/*
 * grpsecctl: talk to a running grpsecd over its control socket.
 */
#include <stdio.h>
#include <string.h>

#include "grpsecd.h"

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("grpsecctl %s\n", GRPSECD_VERSION);
		return 0;
	}
	fprintf(stderr, "grpsecctl: the control socket is not in this version\n");
	return 1;
}
