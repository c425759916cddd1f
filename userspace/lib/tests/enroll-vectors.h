/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* Enrollment message vectors, shared by gen-vectors and the unit tests. */
#ifndef GRPSEC_TESTS_ENROLL_VECTORS_H
#define GRPSEC_TESTS_ENROLL_VECTORS_H

#include <stddef.h>
#include <stdio.h>

#include "grpsec_enroll.h"

/*
 * enroll_vectors_write() - build every enrollment vector from fixed inputs
 * and write Documentation/vectors/enroll-v1.txt to @f.  0 or -errno.
 */
int enroll_vectors_write(FILE *f);

/*
 * enroll_msg_describe() - one line naming every field of @m (keys in
 * hex), as the "decoded" field of a vector.  Returns @buf.
 */
char *enroll_msg_describe(const struct grpsec_msg *m, char *buf, size_t size);

/* The errno name of a parser result: "ok", "EPROTO", ... */
const char *enroll_err_name(int err);

#endif
