/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* The unit tests' TAP-like output, shared by the files of grpsec-lib-test. */
#ifndef GRPSEC_TESTS_TAP_H
#define GRPSEC_TESTS_TAP_H

#include <stdbool.h>

/* Print "ok N - name" or "not ok N - name" and count it; returns @ok. */
bool __attribute__((format(printf, 2, 3))) result(bool ok, const char *fmt, ...);

/* Print a diagnostic line (a TAP comment); returns false. */
bool __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...);

#define expect_eq(got, want) \
	((long long)(got) == (long long)(want) ? true : \
	 diag("%s:%d: %s = %lld, expected %lld", __FILE__, __LINE__, #got, \
	      (long long)(got), (long long)(want)))

/* enroll-test.c: the enrollment message tests (@vectors_dir may be NULL). */
void enroll_tests(const char *vectors_dir);

#endif
