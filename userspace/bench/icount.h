/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Markers between a guest program and the instruction-counting QEMU plugin
 * (icount-plugin.c): each is one instruction, "nopl DISP32(%rax)"
 * (0f 1f 80 and a 4-byte displacement), a no-op on any x86-64 CPU and
 * under any emulator.  The plugin finds it when QEMU translates the code
 * and reads the command from the displacement: its top 16 bits are
 * ICOUNT_MAGIC, then a command byte and an 8-bit run id.
 *
 * On arm64 the marker is "movk xzr, #IMM16, lsl #48", which writes the
 * zero register, so does nothing, and which no compiler emits: the form
 * of the instruction is the magic, IMM16 the command byte and the run id.
 *
 *   ICOUNT_START(id)  remember every vCPU's instruction count for run id
 *   ICOUNT_STOP(id)   write "grpsec-icount ID N0 N1 ...\n", the instructions
 *                     each vCPU executed since ICOUNT_START(id), to the
 *                     plugin's out= file (a serial port of the guest)
 *   ICOUNT_SKIP       a translation block holding it is never counted
 *                     (the soaker's spin loop, which only fills idle time)
 */
#ifndef GRPSEC_BENCH_ICOUNT_H
#define GRPSEC_BENCH_ICOUNT_H

#define ICOUNT_MAGIC	0x6773u		/* "gs" */
#define ICOUNT_CMD_START 1u
#define ICOUNT_CMD_STOP	2u
#define ICOUNT_CMD_SKIP	3u

#define ICOUNT_DISP(cmd, id) \
	((ICOUNT_MAGIC << 16) | ((cmd) << 8) | ((id) & 0xffu))

/* arm64: MOVK XZR, #imm16, LSL #48 is ICOUNT_A64_MOVK | imm16 << 5. */
#define ICOUNT_A64_MOVK	0xf2e0001fu
#define ICOUNT_A64_MASK	0xffe0001fu

#if defined(__x86_64__) && !defined(ICOUNT_PLUGIN)
#define ICOUNT_STR_(x) #x
#define ICOUNT_STR(x) ICOUNT_STR_(x)
/* The id must be a constant: it is part of the instruction. */
#define ICOUNT_MARK(cmd, id) \
	__asm__ __volatile__(".byte 0x0f, 0x1f, 0x80; .long " \
			     ICOUNT_STR(ICOUNT_DISP(cmd, id)) ::: "memory")
#define ICOUNT_SKIP() ICOUNT_MARK(ICOUNT_CMD_SKIP, 0)
#elif defined(__aarch64__) && !defined(ICOUNT_PLUGIN)
#define ICOUNT_STR_(x) #x
#define ICOUNT_STR(x) ICOUNT_STR_(x)
#define ICOUNT_MARK(cmd, id) \
	__asm__ __volatile__("movk xzr, #" \
			     ICOUNT_STR(((cmd) << 8) | ((id) & 0xffu)) \
			     ", lsl #48" ::: "memory")
#define ICOUNT_SKIP() ICOUNT_MARK(ICOUNT_CMD_SKIP, 0)
#endif

#endif
