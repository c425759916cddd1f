/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Shared helpers of the grpsec simulators and the benchmark: options, keys,
 * sockets, payloads.  Includers define _GNU_SOURCE (struct mmsghdr).
 */
#ifndef GRPSEC_SIM_COMMON_H
#define GRPSEC_SIM_COMMON_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "grpsec.h"

#define EXIT_OK		0
#define EXIT_USAGE	1
#define EXIT_RUNTIME	2

/* The program name used in messages; set by each main(). */
extern const char *prog;

/* Print "prog: message" and exit with EXIT_USAGE / EXIT_RUNTIME. */
void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...);
void __attribute__((noreturn, format(printf, 1, 2))) runtime_error(const char *fmt, ...);
void __attribute__((format(printf, 1, 2))) warnx(const char *fmt, ...);

/*
 * opt_next() - getopt_long() that handles what every program handles
 * alike: -h (list "help" as 'h' in @longopts) prints @usage and exits 0,
 * an unknown option prints it on stderr and exits with EXIT_USAGE, and
 * arguments left after the options are refused.  Returns the next
 * option, or -1 at the end.
 */
int opt_next(int argc, char **argv, const char *optstring, const struct option *longopts,
	     const char *usage);

/* Option values; each exits with EXIT_USAGE quoting @opt and @val on error. */
uint32_t opt_u32(const char *opt, const char *val, uint32_t min, uint32_t max);
uint64_t opt_u64(const char *opt, const char *val, uint64_t min, uint64_t max);
double opt_double(const char *opt, const char *val, double min, double max);
unsigned int opt_suite(const char *opt, const char *val);
unsigned int opt_mode(const char *opt, const char *val);

/*
 * opt_bytes() - read exactly @len bytes of key material from @src: a file
 * holding @len raw bytes or 2 * @len hex digits (trailing whitespace
 * allowed), or "hex:" followed by 2 * @len hex digits.
 */
void opt_bytes(const char *opt, const char *src, uint8_t *out, size_t len);

/*
 * opt_k_up() - K_up of @gateway for @suite: read from @k_up_src (--k-up),
 * or derived from the upstream secret in @up_secret_src (--up-secret).
 */
void opt_k_up(const char *k_up_src, const char *up_secret_src, unsigned int suite,
	      uint32_t gateway, uint8_t *out);

/* opt_member_range() - refuse members @first..@first+@count-1 passing UINT32_MAX. */
void opt_member_range(const char *first_opt, uint32_t first, const char *count_opt,
		      uint32_t count);

/* opt_inner_key() - the inner key option that @mode needs: --s-e2e or --k-g. */
void opt_inner_key(unsigned int mode, bool have_s_e2e, const char *k_g_src);

/* opt_addr() - parse "ADDR:PORT" or "[ADDR6]:PORT" (@allow_any: "PORT" alone = any). */
socklen_t opt_addr(const char *opt, const char *val, struct sockaddr_storage *ss,
		   bool allow_any);

/* A UDP socket, bound to @bind_to when given, with large buffers. */
int udp_socket(int family, const struct sockaddr_storage *bind_to, socklen_t len);
uint16_t socket_port(int fd);

/* write_ready_file() - "port=N" of @fd's port to @path (--ready-file); 0 or -errno. */
int write_ready_file(const char *path, int fd);

/* SIGINT and SIGTERM set stop_signal once catch_stop_signals() ran. */
extern volatile sig_atomic_t stop_signal;
void catch_stop_signals(void);

/*
 * rx_vec_init() - point @msgs at @n buffers of @size bytes each from
 * @bufs, and at @from (one address each; NULL: none), for recvmmsg().
 */
void rx_vec_init(struct mmsghdr *msgs, struct iovec *iov, unsigned int n, void *bufs,
		 size_t size, struct sockaddr_storage *from);

/*
 * Datagrams to @to, sent by sendmmsg() in rounds: udp_tx_queue() adds
 * one, udp_tx_flush() sends the round on @fd.  A full send queue
 * (ENOBUFS, EAGAIN), a stale ICMP error (ECONNREFUSED) and, with @eperm,
 * a firewall's EPERM are waited out 50 us at a time (counted in retries)
 * until @deadline (now_ns()), then the program ends.  udp_tx_flush()
 * returns 0, or -errno of any other failure.
 */
#define UDP_TX_MAX 2048
struct udp_tx {
	const struct sockaddr_storage *to;
	socklen_t to_len;
	uint64_t deadline;
	struct mmsghdr msgs[UDP_TX_MAX];
	struct iovec iov[UDP_TX_MAX];
	unsigned int n;
	uint64_t sent, bytes, retries;
};
void udp_tx_queue(struct udp_tx *tx, void *buf, size_t len);
int udp_tx_flush(struct udp_tx *tx, int fd, bool eperm);

/* Write @text to @path atomically (tmp file, fsync, rename, fsync of the directory). */
int write_file_atomic(const char *path, const void *text, size_t len);

uint64_t now_ns(void);			/* CLOCK_MONOTONIC */
uint64_t realtime_ns(void);		/* CLOCK_REALTIME */
void sleep_ns(uint64_t ns);

char *hex_string(const uint8_t *p, size_t len);	/* malloc'ed, lowercase */
void hex_print(FILE *f, const uint8_t *p, size_t len);	/* lowercase, no newline */

/*
 * Simulator payload, inside the encrypted data so the backend can check
 * exactly-once delivery: magic "gsim", be32 group, be32 member, be64
 * counter (1..M per member), then filler bytes up to the payload size.
 */
#define SIM_PAYLOAD_MIN	20
#define SIM_MAGIC	0x6773696dU	/* "gsim" */
void sim_payload_fill(uint8_t *p, size_t len, uint32_t group, uint32_t member, uint64_t counter);
bool sim_payload_parse(const uint8_t *p, size_t len, uint32_t *group, uint32_t *member,
		       uint64_t *counter);

/*
 * print_payload() - a payload in one word: "sim:G/M/C" for a simulator
 * payload, the text itself when it is printable ASCII without blanks,
 * else "hex:" and its bytes.
 */
void print_payload(FILE *f, const uint8_t *p, size_t len);

/* A set of (group, member, counter) triples, for exactly-once checks. */
struct triple_set {
	struct triple { uint32_t group, member; uint64_t counter; } *slots;
	size_t nslots, used;
};
/* Returns 1 if inserted, 0 if already present, -ENOMEM. */
int triple_set_add(struct triple_set *s, uint32_t group, uint32_t member, uint64_t counter);
void triple_set_free(struct triple_set *s);

/*
 * A group from "GROUP:MODE:SUITE:EPOCH:KEYSRC".  With @key_len 0, KEYSRC
 * is S_e2e (32 bytes) for identified groups and K_G (suite key length) for
 * anonymous ones, as the backend needs; otherwise @key_len bytes.
 */
struct sim_group {
	uint32_t group, epoch;
	unsigned int mode, suite;
	uint8_t key[GRPSEC_SECRET_LEN];
};
void opt_group(const char *opt, const char *val, struct sim_group *g, size_t key_len);

/*
 * sim_member_new() - the member of @mc, with K_m[e] derived from @s_auth
 * and the inner key K_e,m[e] from @s_e2e (identified groups) or K_G from
 * @k_g (anonymous ones); the keys in @mc are not read.  Exits on failure.
 */
struct grpsec_member *sim_member_new(const struct grpsec_member_config *mc,
				     const uint8_t *s_auth, const uint8_t *s_e2e,
				     const uint8_t *k_g);

#endif
