/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CHECK() for the daemon's C tests: a failed check prints its place, its
 * condition and a line of detail, and counts; the test ends with
 * check_report(), its exit status.
 */
#ifndef GRPSECD_TESTS_CHECK_H
#define GRPSECD_TESTS_CHECK_H

#include <stdio.h>

static int check_failures;
static int check_count;

#define CHECK(cond, ...) do {							\
	check_count++;								\
	if (!(cond)) {								\
		check_failures++;						\
		printf("FAIL %s:%d: %s: ", __func__, __LINE__, #cond);		\
		printf(__VA_ARGS__);						\
		printf("\n");							\
	}									\
} while (0)

static inline int check_report(void)
{
	printf("%d checks, %d failed\n", check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
