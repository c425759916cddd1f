/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* Test vector generation, shared by gen-vectors and the unit tests. */
#ifndef GRPSEC_TESTS_VECTORS_H
#define GRPSEC_TESTS_VECTORS_H

#include <stdio.h>

/*
 * vectors_write() - compute every vector with libgrpsec from fixed inputs
 * and write them as text (v2.txt) to @txt and as a C header (v2_vectors.h)
 * to @hdr.  Returns 0 or a negative errno.
 */
int vectors_write(FILE *txt, FILE *hdr);

#endif
