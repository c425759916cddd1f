// SPDX-License-Identifier: GPL-2.0
/* The PMULL GHASH for the KUnit module's copy of aead.c. */
#include "../ghash_pmull.c"
