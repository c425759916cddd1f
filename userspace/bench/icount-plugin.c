// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec-icount.so: a QEMU TCG plugin that counts the guest instructions
 * each vCPU executes, for make bench.  The guest brackets each measured
 * run with markers (icount.h); at the end of a run the plugin writes one
 * line, the instructions each vCPU executed during it, to the file out=
 * names: the host end of a guest serial port, which the benchmark reads.
 *
 *   qemu-system-x86_64 ... -plugin grpsec-icount.so,out=FILE
 *   qemu-system-aarch64 ... -plugin grpsec-icount.so,out=FILE
 *
 * Counting is per translation block: a block's instruction count is added
 * to its vCPU's counter each time the block starts, and to a second one
 * when the block lies in the upper half of the address space (kernel
 * code on x86-64 and arm64 Linux).  The line is
 *
 *   grpsec-icount ID N0 N1 ... kernel K0 K1 ...
 *
 * with Nc all instructions of vCPU c and Kc those in kernel code.  At exit
 * the totals since boot go to stderr.
 *
 * With profile=FILE the plugin also counts, during each run, the
 * instructions executed in every translation block, and at the run's end
 * appends them to FILE:
 *
 *   grpsec-profile ID
 *   VADDR N0 N1 ...        (hex address, then instructions of each vCPU)
 *   end
 *
 * one line a block that ran.  A block translated again (QEMU flushes its
 * translations when they fill its buffer) keeps its counts: blocks are
 * kept by address and length, so the profile's memory is bounded by the
 * guest's code, not by the run's length.
 * icount-profile.py turns them into instructions a message by symbol.
 *
 * QEMU 7.2 (Debian 12) ships no qemu-plugin.h, so the few declarations
 * used are repeated here, as include/qemu/qemu-plugin.h of QEMU 7.2 has
 * them (plugin API version 1; QEMU refuses a plugin of another version).
 */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ICOUNT_PLUGIN
#include "icount.h"

/* From QEMU 7.2's include/qemu/qemu-plugin.h */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
				    void *userdata);

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

#define MAX_VCPUS 64

/* One cache line per vCPU: each is written only by its vCPU's thread. */
static struct {
	uint64_t n, kernel;
} __attribute__((aligned(64))) count[MAX_VCPUS];

static uint64_t start[256][MAX_VCPUS][2];	/* by run id, at ICOUNT_START */
static unsigned int nvcpus;
static int out_fd = -1;

/*
 * profile=: every block by address and length, on a list only ever
 * pushed to (read without a lock by the markers) and in a hash table
 * (translation, under blocks_lock), with what each vCPU executed in it
 * since the run began.
 */
struct block {
	uint64_t vaddr;
	uint64_t insns;
	struct block *next;	/* the list */
	struct block *hnext;	/* the bucket */
	uint64_t runs[];	/* executions, by vCPU, while profiling */
};

#define BLOCK_HASH_BITS 16

static FILE *profile_file;
static struct block *blocks;
static struct block *block_hash[1 << BLOCK_HASH_BITS];
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static int profiling;

static void tb_exec(unsigned int vcpu, void *insns)
{
	if (vcpu < MAX_VCPUS)
		__atomic_store_n(&count[vcpu].n, count[vcpu].n + (uintptr_t)insns,
				 __ATOMIC_RELAXED);
}

static void tb_exec_kernel(unsigned int vcpu, void *insns)
{
	if (vcpu >= MAX_VCPUS)
		return;
	__atomic_store_n(&count[vcpu].n, count[vcpu].n + (uintptr_t)insns, __ATOMIC_RELAXED);
	__atomic_store_n(&count[vcpu].kernel, count[vcpu].kernel + (uintptr_t)insns,
			 __ATOMIC_RELAXED);
}

static void tb_exec_profile(unsigned int vcpu, void *arg)
{
	struct block *b = arg;

	if (vcpu >= MAX_VCPUS)
		return;
	__atomic_store_n(&count[vcpu].n, count[vcpu].n + b->insns, __ATOMIC_RELAXED);
	if (b->vaddr >> 63)
		__atomic_store_n(&count[vcpu].kernel, count[vcpu].kernel + b->insns,
				 __ATOMIC_RELAXED);
	if (__atomic_load_n(&profiling, __ATOMIC_RELAXED))
		__atomic_store_n(&b->runs[vcpu], b->runs[vcpu] + 1, __ATOMIC_RELAXED);
}

/*
 * The start of a run: every block's counts to zero (a vCPU may add one
 * more execution to a block as this passes it, which is within noise).
 */
static void profile_start(void)
{
	for (struct block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b; b = b->next)
		for (unsigned int c = 0; c < nvcpus; c++)
			__atomic_store_n(&b->runs[c], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&profiling, 1, __ATOMIC_RELAXED);
}

static void profile_stop(unsigned int id)
{
	__atomic_store_n(&profiling, 0, __ATOMIC_RELAXED);
	fprintf(profile_file, "grpsec-profile %u\n", id);
	for (struct block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b; b = b->next) {
		bool ran = false;

		for (unsigned int c = 0; c < nvcpus; c++)
			ran |= b->runs[c] != 0;
		if (!ran)
			continue;
		fprintf(profile_file, "%" PRIx64, b->vaddr);
		for (unsigned int c = 0; c < nvcpus; c++)
			fprintf(profile_file, " %" PRIu64, b->runs[c] * b->insns);
		fputc('\n', profile_file);
	}
	fputs("end\n", profile_file);
	if (fflush(profile_file))
		fputs("grpsec-icount: cannot write the profile\n", stderr);
}

/*
 * A marker runs on the vCPU of the program that executes it, while the
 * other vCPUs run on: their counts are read as they are at that moment,
 * to within the block each is in.
 */
static void marker_exec(unsigned int vcpu, void *arg)
{
	unsigned int disp = (unsigned int)(uintptr_t)arg, id = disp & 0xff;
	char line[48 + 42 * MAX_VCPUS];
	size_t len;

	(void)vcpu;
	if (((disp >> 8) & 0xff) == ICOUNT_CMD_START) {
		for (unsigned int c = 0; c < nvcpus; c++) {
			start[id][c][0] = __atomic_load_n(&count[c].n, __ATOMIC_RELAXED);
			start[id][c][1] = __atomic_load_n(&count[c].kernel, __ATOMIC_RELAXED);
		}
		if (profile_file)
			profile_start();
		return;
	}
	len = (size_t)snprintf(line, sizeof(line), "grpsec-icount %u", id);
	for (unsigned int c = 0; c < nvcpus; c++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %" PRIu64,
					__atomic_load_n(&count[c].n, __ATOMIC_RELAXED) -
					start[id][c][0]);
	len += (size_t)snprintf(line + len, sizeof(line) - len, " kernel");
	for (unsigned int c = 0; c < nvcpus; c++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %" PRIu64,
					__atomic_load_n(&count[c].kernel, __ATOMIC_RELAXED) -
					start[id][c][1]);
	line[len++] = '\n';
	if (out_fd >= 0 && write(out_fd, line, len) != (ssize_t)len)
		fputs("grpsec-icount: cannot write a count\n", stderr);
	if (profile_file)
		profile_stop(id);
}

/*
 * The command of a marker instruction, or 0: x86-64's 7-byte nopl, or
 * arm64's 4-byte movk xzr (icount.h).  Both are little-endian.
 */
static unsigned int marker(const struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);
	uint32_t disp;

	if (qemu_plugin_insn_size(insn) == 4) {
		memcpy(&disp, b, 4);
		if ((disp & ICOUNT_A64_MASK) != ICOUNT_A64_MOVK)
			return 0;
		return ICOUNT_MAGIC << 16 | ((disp >> 5) & 0xffff);
	}
	if (qemu_plugin_insn_size(insn) != 7 || b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x80)
		return 0;
	memcpy(&disp, b + 3, 4);
	return disp >> 16 == ICOUNT_MAGIC ? disp : 0;
}

/* The block at @vaddr of @insns instructions: the one seen before, or new. */
static struct block *block_get(uint64_t vaddr, uint64_t insns)
{
	uint64_t h = (vaddr ^ insns << 48) * 0x9e3779b97f4a7c15ull >> (64 - BLOCK_HASH_BITS);
	struct block *b;

	pthread_mutex_lock(&blocks_lock);
	for (b = block_hash[h]; b; b = b->hnext)
		if (b->vaddr == vaddr && b->insns == insns)
			goto out;
	b = calloc(1, sizeof(*b) + nvcpus * sizeof(b->runs[0]));
	if (!b) {
		fputs("grpsec-icount: out of memory for the profile\n", stderr);
		abort();
	}
	b->vaddr = vaddr;
	b->insns = insns;
	b->hnext = block_hash[h];
	block_hash[h] = b;
	b->next = blocks;
	__atomic_store_n(&blocks, b, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&blocks_lock);
	return b;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	bool skip = false;

	(void)id;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		unsigned int disp = marker(insn);

		if (((disp >> 8) & 0xff) == ICOUNT_CMD_SKIP)
			skip = true;
		else if (disp)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, marker_exec,
							       QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)disp);
	}
	if (!skip && profile_file)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec_profile, QEMU_PLUGIN_CB_NO_REGS,
						     block_get(qemu_plugin_tb_vaddr(tb), n));
	else if (!skip)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, qemu_plugin_tb_vaddr(tb) >> 63 ?
						     tb_exec_kernel : tb_exec,
						     QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	char line[40 + 21 * MAX_VCPUS];
	size_t len;

	(void)id;
	(void)p;
	len = (size_t)snprintf(line, sizeof(line), "grpsec-icount: since boot");
	for (unsigned int c = 0; c < nvcpus; c++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %" PRIu64,
					count[c].n);
	snprintf(line + len, sizeof(line) - len, "\n");
	fputs(line, stderr);
	if (out_fd >= 0)
		close(out_fd);
	if (profile_file)
		fclose(profile_file);
	/* The blocks stay: a vCPU thread may still run one until QEMU exits. */
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	if (!info->system_emulation || info->system.max_vcpus > MAX_VCPUS) {
		fputs("grpsec-icount: system emulation of at most 64 vCPUs only\n", stderr);
		return -1;
	}
	nvcpus = (unsigned int)info->system.max_vcpus;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "profile=", 8)) {
			profile_file = fopen(argv[i] + 8, "we");
			if (!profile_file) {
				fprintf(stderr, "grpsec-icount: cannot open %s: %s\n",
					argv[i] + 8, strerror(errno));
				return -1;
			}
			continue;
		}
		if (strncmp(argv[i], "out=", 4)) {
			fputs("grpsec-icount: unknown argument (expected out=FILE, profile=FILE)\n",
			      stderr);
			return -1;
		}
		/* O_RDWR: a FIFO opens at once, whether or not QEMU has it yet. */
		out_fd = open(argv[i] + 4, O_RDWR | O_CLOEXEC);
		if (out_fd < 0) {
			fprintf(stderr, "grpsec-icount: cannot open %s: %s\n", argv[i] + 4,
				strerror(errno));
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
