// SPDX-License-Identifier: GPL-2.0
/*
 * GHASH with PMULL, in NEON intrinsics (built for arm64 only, without
 * -mgeneral-regs-only; the caller holds kernel_neon_begin()).
 *
 * GCM numbers the bits of a block from the most significant bit of its
 * first byte: bit i is the coefficient of x^i.  Reversing the bits of
 * each byte (RBIT) and reading the block as two little-endian 64-bit
 * words turns that into the plain representation, bit i of the 128-bit
 * integer the coefficient of x^i.  A product is then four 64 x 64
 * carry-less multiplications (PMULL), and the reduction modulo
 * x^128 + x^7 + x^2 + x + 1 two more, since x^128 = x^7 + x^2 + x + 1
 * (0x87): the top word is folded into the two below it, then the next.
 */
#include <asm/neon-intrinsics.h>	/* with asm-generic/int-ll64.h's u64 */

#include "ghash_pmull.h"

struct u128 {
	u64 lo, hi;
};

static inline struct u128 clmul(u64 a, u64 b)
{
	uint64x2_t r = vreinterpretq_u64_p128(vmull_p64((poly64_t)a, (poly64_t)b));

	return (struct u128){ vgetq_lane_u64(r, 0), vgetq_lane_u64(r, 1) };
}

static inline struct u128 load(const unsigned char *p)
{
	uint64x2_t v = vreinterpretq_u64_u8(vrbitq_u8(vld1q_u8(p)));

	return (struct u128){ vgetq_lane_u64(v, 0), vgetq_lane_u64(v, 1) };
}

static inline void store(unsigned char *p, struct u128 x)
{
	uint64x2_t v = vcombine_u64(vcreate_u64(x.lo), vcreate_u64(x.hi));

	vst1q_u8(p, vrbitq_u8(vreinterpretq_u8_u64(v)));
}

/* x * h in GF(2^128), both in the plain representation. */
static inline struct u128 gf_mul(struct u128 x, struct u128 h)
{
	struct u128 a = clmul(x.lo, h.lo), b = clmul(x.hi, h.hi);
	struct u128 c = clmul(x.lo, h.hi), d = clmul(x.hi, h.lo), t;
	u64 p0 = a.lo, p1 = a.hi ^ c.lo ^ d.lo;
	u64 p2 = b.lo ^ c.hi ^ d.hi, p3 = b.hi;

	/* p3 x^192 = p3 x^64 x^128 = (p3 * 0x87) x^64: into p2:p1. */
	t = clmul(p3, 0x87);
	p1 ^= t.lo;
	p2 ^= t.hi;
	/* p2 x^128 = p2 * 0x87: into p1:p0. */
	t = clmul(p2, 0x87);
	p0 ^= t.lo;
	p1 ^= t.hi;
	return (struct u128){ p0, p1 };
}

void grpsec_ghash_pmull(unsigned char *y, const unsigned char *h,
			const unsigned char *src, unsigned int blocks)
{
	struct u128 hk = load(h), acc = load(y);

	for (; blocks; blocks--, src += 16) {
		struct u128 x = load(src);

		acc.lo ^= x.lo;
		acc.hi ^= x.hi;
		acc = gf_mul(acc, hk);
	}
	store(y, acc);
}
