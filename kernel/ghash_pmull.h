/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_GHASH_PMULL_H
#define _GRPSEC_GHASH_PMULL_H

/*
 * GHASH on arm64's PMULL (ghash_pmull.c), for GMAC from its parts where
 * 6.1 offers no accelerated ghash: with PMULL, its NEON ghash is not
 * registered and gcm-aes-ce keeps its own.  Between kernel_neon_begin()
 * and kernel_neon_end(): @y (16 bytes, GCM's byte order) becomes
 * GHASH_H over @blocks 16-byte blocks of @src, continued from @y.  Plain
 * C types: the file that defines it includes no kernel header but the
 * NEON intrinsics.
 */
void grpsec_ghash_pmull(unsigned char *y, const unsigned char *h,
			const unsigned char *src, unsigned int blocks);

#endif /* _GRPSEC_GHASH_PMULL_H */
