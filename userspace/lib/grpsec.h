/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libgrpsec: frames, keys and replay protection for grpsec members and
 * backends.
 *
 * The wire format is specified in Documentation/frames.rst and the key
 * hierarchy in Documentation/keys.rst; Documentation/vectors/v2.txt holds
 * test vectors that this library reproduces byte for byte.
 *
 * Conventions, valid for every function below unless it says otherwise:
 *
 *  - Functions that can fail return 0 on success or a negative errno
 *    value.  The errors used are:
 *
 *      -EINVAL           a bad argument (NULL pointer, unknown suite or mode,
 *                        zero group or member id, key of the wrong length).
 *      -EMSGSIZE         an input frame is truncated or too long, or an
 *                        output buffer is too small.
 *      -EPROTONOSUPPORT  an input frame has a version other than 2.
 *      -EPROTO           an input frame is malformed: wrong type, a flag or
 *                        reserved field set, a field out of range.
 *      -EBADMSG          authentication failed (a tag did not verify).
 *      -ESTALE           a replayed or stale batch sequence.
 *      -ENOSPC           the epoch's message limit is reached.
 *      -EOVERFLOW        the 64-bit sequence space is exhausted.
 *      -ENOMEM           out of memory.
 *      -EIO              the crypto library failed unexpectedly.
 *
 *    A sequence-reservation callback may return any negative errno of its
 *    own; it is passed back unchanged.
 *
 *  - Keys are passed as pointers to exactly grpsec_suite_key_len(suite)
 *    bytes (16 or 32).  The library copies what it keeps and wipes its
 *    copies when the context is freed; the caller owns and wipes its own.
 *
 *  - Contexts (struct grpsec_member, struct grpsec_backend) are opaque,
 *    not thread safe, and owned by the caller: one thread at a time, freed
 *    with the matching _free() function, which accepts NULL.
 *
 *  - Input and output buffers must not overlap unless a function says so.
 *
 *  - The parsers (grpsec_uplink_parse(), grpsec_batch_parse(),
 *    grpsec_batch_entry_next()) and the constants need no crypto library:
 *    frame.c compiles on its own.
 */
#ifndef GRPSEC_H
#define GRPSEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Wire constants; they match the kernel module (kernel/wire.h). */
#define GRPSEC_VERSION			2

#define GRPSEC_TYPE_UPLINK		1	/* member -> gateway */
#define GRPSEC_TYPE_BATCH		2	/* gateway -> backend */
#define GRPSEC_TYPE_DOWNLINK		3	/* backend -> gateway */
#define GRPSEC_TYPE_COMMAND		4	/* gateway -> member(s) */
#define GRPSEC_TYPE_REKEY		5	/* gateway -> one member */

#define GRPSEC_SUITE_AES_128_GCM	1	/* 16-byte key, the default */
#define GRPSEC_SUITE_AES_256_GCM	2	/* 32-byte key */

/*
 * The netlink UAPI header <linux/grpsec.h> defines these three names as
 * enumerators with the same values.  A program that uses both headers
 * includes <linux/grpsec.h> first; this header then takes them from there.
 */
#ifndef _UAPI_LINUX_GRPSEC_H
#define GRPSEC_SUITE_CHACHA20_POLY1305	3	/* 32-byte key */
#define GRPSEC_MODE_ANONYMOUS		0	/* inner layer under K_G[e] */
#define GRPSEC_MODE_IDENTIFIED		1	/* inner layer under K_e,m[e] */
#elif !defined(__cplusplus)
_Static_assert(GRPSEC_SUITE_CHACHA20_POLY1305 == 3 && GRPSEC_MODE_ANONYMOUS == 0 &&
	       GRPSEC_MODE_IDENTIFIED == 1, "UAPI and libgrpsec disagree");
#endif

#define GRPSEC_DIR_UPLINK		1	/* inner AAD direction byte */
#define GRPSEC_DIR_COMMAND		2

#define GRPSEC_KEY_MAX_LEN		32
#define GRPSEC_SECRET_LEN		32	/* S_auth, S_e2e, upstream secret */
#define GRPSEC_HDR_LEN			24
#define GRPSEC_NONCE_LEN		12
#define GRPSEC_TAG_LEN			16
#define GRPSEC_MAX_PAYLOAD		1280
#define GRPSEC_INNER_AAD_LEN		16
/* Inner part: nonce || inner tag || ciphertext. */
#define GRPSEC_INNER_OVERHEAD		(GRPSEC_NONCE_LEN + GRPSEC_TAG_LEN)
#define GRPSEC_INNER_TAG_OFFSET		GRPSEC_NONCE_LEN
#define GRPSEC_INNER_CT_OFFSET		GRPSEC_INNER_OVERHEAD
#define GRPSEC_INNER_MIN_LEN		GRPSEC_INNER_OVERHEAD
#define GRPSEC_INNER_MAX_LEN		(GRPSEC_INNER_OVERHEAD + GRPSEC_MAX_PAYLOAD)
/* Uplink: header || inner part || outer tag; 68 + n bytes. */
#define GRPSEC_UPLINK_OVERHEAD		(GRPSEC_HDR_LEN + GRPSEC_INNER_OVERHEAD + GRPSEC_TAG_LEN)
#define GRPSEC_UPLINK_MIN_LEN		GRPSEC_UPLINK_OVERHEAD
#define GRPSEC_UPLINK_MAX_LEN		(GRPSEC_UPLINK_OVERHEAD + GRPSEC_MAX_PAYLOAD)
/*
 * What the outer tag of an identified group's uplink covers: header, inner
 * nonce and inner tag (52 bytes), not the ciphertext.  In an anonymous
 * group it covers everything before it.
 */
#define GRPSEC_UPLINK_HEAD_LEN		(GRPSEC_HDR_LEN + GRPSEC_INNER_OVERHEAD)
#define GRPSEC_BATCH_HDR_LEN		20
#define GRPSEC_BATCH_ENTRY_HDR_LEN	16
/*
 * What the batch tag covers of every entry: entry header, inner nonce and
 * inner tag (44 bytes); of an anonymous entry, its ciphertext as well.
 */
#define GRPSEC_BATCH_ENTRY_HEAD_LEN	(GRPSEC_BATCH_ENTRY_HDR_LEN + GRPSEC_INNER_OVERHEAD)
/* Smallest batch: header, one empty entry, tag. */
#define GRPSEC_BATCH_MIN_LEN		(GRPSEC_BATCH_HDR_LEN + GRPSEC_BATCH_ENTRY_HDR_LEN + \
					 GRPSEC_INNER_MIN_LEN + GRPSEC_TAG_LEN)
/* Largest batch this library builds or accepts: one UDP/IPv4 datagram. */
#define GRPSEC_BATCH_MAX_LEN		65507

/* First four bytes of a 96-bit nonce derived from a 64-bit sequence. */
#define GRPSEC_NONCE_PREFIX_UPLINK	1	/* outer tag; identified inner */
#define GRPSEC_NONCE_PREFIX_BATCH	2	/* batch tag */
#define GRPSEC_NONCE_PREFIX_DOWNLINK	3	/* downlink tag (K_up); type 4/5 tag (K_m) */

/* Downlink (type 3): header || body || tag under K_up. */
#define GRPSEC_DOWNLINK_HDR_LEN		28
#define GRPSEC_DOWNLINK_KIND_COMMAND	1
#define GRPSEC_DOWNLINK_KIND_REKEY	2
#define GRPSEC_BODY_MAX_LEN		1200	/* downlink and type 4/5 body */
#define GRPSEC_DOWNLINK_MAX_LEN		(GRPSEC_DOWNLINK_HDR_LEN + GRPSEC_BODY_MAX_LEN + \
					 GRPSEC_TAG_LEN)
/* Command (type 4) and rekey (type 5) frames: header || body || tag under K_m[e]. */
#define GRPSEC_MFRAME_HDR_LEN		28
#define GRPSEC_MFRAME_MAX_LEN		(GRPSEC_MFRAME_HDR_LEN + GRPSEC_BODY_MAX_LEN + \
					 GRPSEC_TAG_LEN)
#define GRPSEC_MFRAME_FLAG_GATEWAY	0x01	/* gateway-originated, unsigned body */
#define GRPSEC_MFRAME_FLAG_MULTICAST	0x02	/* to a group address: member 0, no tag */
#define GRPSEC_MFRAME_FLAG_GROUP	0x04	/* body addressed to the group (recipient 0) */

#define GRPSEC_SIG_LEN			64	/* Ed25519 signature */
#define GRPSEC_SIGN_KEY_LEN		32	/* Ed25519 private or public key */
#define GRPSEC_WRAP_KEY_LEN		32	/* K_wrap,m: AES-256-GCM */
/* Command body: be32 epoch || be64 seq || nonce || ciphertext || tag [|| signature]. */
#define GRPSEC_COMMAND_HDR_LEN		12
#define GRPSEC_COMMAND_OVERHEAD		(GRPSEC_COMMAND_HDR_LEN + GRPSEC_NONCE_LEN + \
					 GRPSEC_TAG_LEN + GRPSEC_SIG_LEN)	/* 104 */
#define GRPSEC_COMMAND_UNSIGNED_OVERHEAD (GRPSEC_COMMAND_OVERHEAD - GRPSEC_SIG_LEN)
#define GRPSEC_COMMAND_MAX_PAYLOAD	(GRPSEC_BODY_MAX_LEN - GRPSEC_COMMAND_OVERHEAD)
/* Rekey body: be32 epoch || be64 seq || nonce || wrapped keys || tag || signature. */
#define GRPSEC_REKEY_KEYS_HDR_LEN	12	/* of the wrapped key material */
#define GRPSEC_REKEY_KEYS_MAX_LEN	(GRPSEC_REKEY_KEYS_HDR_LEN + 3 * GRPSEC_KEY_MAX_LEN)
#define GRPSEC_REKEY_BODY_MAX_LEN	(GRPSEC_COMMAND_OVERHEAD + GRPSEC_REKEY_KEYS_MAX_LEN)
/*
 * Group flags (keys.rst, "Groups that receive commands"): the group
 * receives commands, so its members hold K_G[e].  Always so for anonymous
 * groups; the same bit as GRPSEC_ENROLL_GROUP_COMMANDS.
 */
#define GRPSEC_GROUP_COMMANDS		0x01
#define GRPSEC_REKEY_HAS_GROUP_KEY	0x01	/* key material flags */
#define GRPSEC_REKEY_HAS_E2E_KEY	0x02

/* Defaults; see Documentation/keys.rst. */
#define GRPSEC_SEQ_BLOCK_DEFAULT	1024
#define GRPSEC_MSG_LIMIT_DEFAULT	(1ULL << 24)
#define GRPSEC_NONCE_CACHE_DEFAULT	(1U << 20)
/* Sequences behind the newest a replay window still accepts (frames.rst). */
#define GRPSEC_REPLAY_WINDOW		960

/* Suites */

/*
 * grpsec_suite_key_len() - key length of @suite in bytes.
 * Returns 16 or 32, or 0 for an unknown suite.
 */
size_t grpsec_suite_key_len(unsigned int suite);

/* grpsec_suite_name() - "aes-128-gcm" etc., or NULL for an unknown suite. */
const char *grpsec_suite_name(unsigned int suite);

/*
 * grpsec_suite_from_name() - parse a suite name ("aes-128-gcm",
 * "aes-256-gcm", "chacha20-poly1305") or number ("1".."3").
 * Returns the suite id, or 0 when @name is not a suite.
 */
unsigned int grpsec_suite_from_name(const char *name);

/* grpsec_mode_name() - "anonymous", "identified", or NULL. */
const char *grpsec_mode_name(unsigned int mode);

/* Frame parsing (pure C, no crypto, no allocation) */

/*
 * struct grpsec_uplink - a parsed uplink frame.  The pointers point into the
 * buffer given to grpsec_uplink_parse() and are valid as long as it is.
 */
struct grpsec_uplink {
	uint8_t suite;
	uint32_t group;
	uint32_t epoch;
	uint32_t member;
	uint64_t seq;
	const uint8_t *frame;		/* start of the frame */
	size_t frame_len;		/* 68 + payload_len */
	const uint8_t *inner;		/* nonce || inner tag || ciphertext */
	size_t inner_len;		/* 28 + payload_len */
	const uint8_t *nonce;		/* = inner (frame + 24) */
	const uint8_t *inner_tag;	/* inner + 12 (frame + 36) */
	const uint8_t *ciphertext;	/* inner + 28 (frame + 52) */
	size_t payload_len;		/* = ciphertext length, 0..1280 */
	const uint8_t *outer_tag;	/* last 16 bytes (frame + 52 + payload_len) */
};

/*
 * grpsec_uplink_parse() - check the structure of an uplink frame and
 * extract its fields.  No authentication is done: the fields are only
 * trustworthy after grpsec_uplink_verify().
 * @buf, @len: the whole datagram.
 * @out: filled in on success only.
 *
 * Returns 0, -EINVAL (NULL argument), -EMSGSIZE (shorter than 68 or longer
 * than 1348 bytes), -EPROTONOSUPPORT (version != 2), -EPROTO (type not
 * uplink, flags != 0, unknown suite, group 0, member 0 or sequence 0).
 * The checks run in that order, so the result is deterministic.
 */
int grpsec_uplink_parse(const uint8_t *buf, size_t len, struct grpsec_uplink *out);

/*
 * grpsec_inner_aad() - write the 16-byte inner AAD for the given fields.
 * @member is written as given; pass 0 for anonymous groups.
 */
void grpsec_inner_aad(uint8_t aad[GRPSEC_INNER_AAD_LEN], unsigned int direction,
		      unsigned int suite, unsigned int mode, uint32_t group,
		      uint32_t epoch, uint32_t member);

/* grpsec_seq_nonce() - nonce = be32 @prefix || be64 @seq. */
void grpsec_seq_nonce(uint8_t nonce[GRPSEC_NONCE_LEN], uint32_t prefix, uint64_t seq);

/* struct grpsec_batch - a parsed batch header.  Pointers point into the buffer. */
struct grpsec_batch {
	uint8_t suite;			/* suite of K_up */
	uint32_t gateway;
	uint64_t seq;
	uint16_t count;
	const uint8_t *frame;
	size_t frame_len;
	const uint8_t *entries;		/* first entry */
	size_t entries_len;		/* bytes of all entries */
	const uint8_t *tag;		/* last 16 bytes */
};

/*
 * struct grpsec_batch_entry - one entry of a batch, as the gateway wrote it
 * (unauthenticated until the batch tag is verified).
 */
struct grpsec_batch_entry {
	uint8_t mode;
	uint8_t suite;
	uint32_t group;
	uint32_t epoch;
	uint32_t member;		/* 0 for anonymous entries */
	const uint8_t *inner;		/* nonce || inner tag || ciphertext */
	size_t inner_len;		/* 28..1308 */
};

/*
 * grpsec_batch_parse() - check the structure of a whole batch: header, the
 * lengths of all @count entries, which must fill the space up to the tag
 * exactly.  Entry field values (mode, suite, ids) are not checked here:
 * the backend judges them per entry.  No authentication.
 *
 * Returns 0, -EINVAL, -EMSGSIZE (shorter than the minimum or longer than
 * GRPSEC_BATCH_MAX_LEN), -EPROTONOSUPPORT (version), -EPROTO (type not
 * batch, flags or reserved != 0, unknown suite, count 0, an entry length
 * L outside 28..1308, entries not filling the batch exactly).
 */
int grpsec_batch_parse(const uint8_t *buf, size_t len, struct grpsec_batch *out);

/*
 * grpsec_batch_entry_next() - iterate over the entries of a batch that
 * grpsec_batch_parse() accepted.  Start with *@off = 0; each call fills
 * @e and advances *@off.  Returns 1 when an entry was returned, 0 at the
 * end, -EPROTO if the batch is not well formed (never after a successful
 * grpsec_batch_parse()).
 */
int grpsec_batch_entry_next(const struct grpsec_batch *b, size_t *off,
			    struct grpsec_batch_entry *e);

/* Key derivation (HKDF-SHA256, Documentation/keys.rst) */

/*
 * grpsec_kdf_member_key() - K_m[e] = HKDF(salt "grpsec-v1", IKM @s_auth,
 * info "grpsec member key" || be32 group || be32 epoch || be32 member ||
 * u8 suite, L = key length of @suite).
 * @s_auth: S_auth[G,e], GRPSEC_SECRET_LEN bytes.
 * @out: grpsec_suite_key_len(@suite) bytes; @out_len must be that length.
 * Returns 0, -EINVAL (unknown suite, wrong @out_len, group or member 0),
 * -EIO.
 */
int grpsec_kdf_member_key(unsigned int suite, const uint8_t *s_auth,
			  uint32_t group, uint32_t epoch, uint32_t member,
			  uint8_t *out, size_t out_len);

/*
 * grpsec_kdf_e2e_key() - K_e,m[e]: as grpsec_kdf_member_key() with IKM
 * S_e2e[G,e] and the label "grpsec e2e key".
 */
int grpsec_kdf_e2e_key(unsigned int suite, const uint8_t *s_e2e,
		       uint32_t group, uint32_t epoch, uint32_t member,
		       uint8_t *out, size_t out_len);

/*
 * grpsec_kdf_upstream_key() - K_up = HKDF(salt "grpsec-v1", IKM @secret
 * (GRPSEC_SECRET_LEN bytes), info "grpsec upstream key" || be32 gateway ||
 * u8 suite, L = key length of @suite).
 * Returns 0, -EINVAL (unknown suite, wrong @out_len), -EIO.
 */
int grpsec_kdf_upstream_key(unsigned int suite, const uint8_t *secret,
			    uint32_t gateway, uint8_t *out, size_t out_len);

/*
 * grpsec_random() - @len bytes from the OpenSSL CSPRNG (RAND_bytes).  Use
 * it for K_G[e] (grpsec_suite_key_len() bytes), S_auth and S_e2e (32 bytes).
 * Returns 0 or -EIO.
 */
int grpsec_random(uint8_t *out, size_t len);

/* Member side */

/*
 * grpsec_seq_reserve_fn - persist a sequence reservation.
 * @arg: the config's reserve_arg.
 * @reserved: the highest sequence the member may now use.  Store it
 * durably (write, fsync, rename) before returning; after a restart pass
 * the stored value back as grpsec_member_config.seq_reserved.
 * Return 0, or a negative errno: the seal that needed the reservation then
 * fails with that value and nothing is consumed.
 */
typedef int (*grpsec_seq_reserve_fn)(void *arg, uint64_t reserved);

struct grpsec_member_config {
	uint32_t group;			/* non-zero */
	uint32_t member;		/* non-zero */
	uint32_t epoch;
	unsigned int mode;		/* GRPSEC_MODE_* */
	unsigned int suite;		/* GRPSEC_SUITE_* */
	const uint8_t *member_key;	/* K_m[e] */
	const uint8_t *inner_key;	/* K_G[e] (anonymous) or K_e,m[e] (identified) */
	uint64_t msg_limit;		/* frames per epoch; 0 = GRPSEC_MSG_LIMIT_DEFAULT */
	/*
	 * Sequence persistence.  The first frame uses seq_reserved + 1.
	 * Before it uses a sequence above the last reservation, the library
	 * calls reserve(reserve_arg, last + reserve_block); so after a crash
	 * at most reserve_block sequence numbers are skipped, none reused.
	 * reserve may be NULL only where nothing survives a restart
	 * (tests, simulators): then nothing is persisted.
	 */
	uint64_t seq_reserved;		/* the last value reserve() stored; 0 at first start */
	uint32_t reserve_block;		/* 0 = GRPSEC_SEQ_BLOCK_DEFAULT */
	grpsec_seq_reserve_fn reserve;
	void *reserve_arg;
	/*
	 * Group commands and rekeying.  group_flags: GRPSEC_GROUP_COMMANDS
	 * if the group receives commands (implied for anonymous groups); an
	 * identified member's rekeys then must carry K_G[e'], else must not.
	 * group_key: K_G[e] for an identified member of such a group (NULL:
	 * it cannot open commands until grpsec_member_set_group_key()); not
	 * allowed without the flag; ignored for anonymous members, whose
	 * inner_key is K_G[e].  The floors (frames.rst, "Sequence floors")
	 * are the lowest command, gateway command and rekey sequences still
	 * new: the application persists the last ones accepted,
	 * grpsec_member_command_seq() etc., and passes each + 1 after a
	 * restart (0 at first start).
	 */
	unsigned int group_flags;
	const uint8_t *group_key;
	uint64_t command_seq_floor;
	uint64_t gateway_command_seq_floor;
	uint64_t rekey_seq_floor;
};

struct grpsec_member;

/*
 * grpsec_member_new() - create a member context from @cfg (copied; the keys
 * are copied too).  On success *@out owns the context; free it with
 * grpsec_member_free().
 * Returns 0, -EINVAL (a bad field; also seq_reserved == UINT64_MAX),
 * -ENOMEM, -EIO.
 */
int grpsec_member_new(const struct grpsec_member_config *cfg, struct grpsec_member **out);

/* grpsec_member_free() - wipe the keys and free @m (NULL is fine). */
void grpsec_member_free(struct grpsec_member *m);

/*
 * grpsec_member_set_epoch() - switch to a newer epoch.  The sequence
 * counter carries on (it is per member, not per epoch); the epoch's message
 * count starts again at 0 under @msg_limit (0 = default).  Uplink frames
 * are sealed under the new epoch only; the old epoch's K_m[e] and K_G[e]
 * are kept for command and rekey frames until grpsec_member_retire_epoch()
 * or the next switch (frames.rst, "Rollover").
 * @epoch must be greater than the current epoch.
 * Returns 0, -EINVAL (NULL key, epoch not newer), -EIO.  On error the
 * context keeps its old epoch and keys.
 */
int grpsec_member_set_epoch(struct grpsec_member *m, uint32_t epoch,
			    const uint8_t *member_key, const uint8_t *inner_key,
			    uint64_t msg_limit);

/*
 * grpsec_member_retire_epoch() - forget the previous epoch's keys (after a
 * switch): from now on type 4/5 frames and command bodies of the current
 * epoch only are accepted.  Call it when the manager retires the old epoch
 * (at the latest when the grace period of the rollover ends).  NULL, or no
 * previous epoch, is fine.
 */
void grpsec_member_retire_epoch(struct grpsec_member *m);

/*
 * grpsec_member_seal_uplink() - build one uplink frame carrying @payload.
 * @payload, @len: 0..GRPSEC_MAX_PAYLOAD bytes (@payload may be NULL if
 * @len is 0).
 * @out, @out_size: destination; needs GRPSEC_UPLINK_OVERHEAD + @len bytes.
 * @out_len: set to the frame length on success.
 *
 * Takes the next sequence number (reserving a new block first if needed),
 * draws a random inner nonce (anonymous) or derives it from the sequence
 * (identified), seals the inner layer and the outer tag.
 * Returns 0, -EINVAL, -EMSGSIZE (@len too big or @out_size too small),
 * -ENOSPC (epoch message limit reached: call grpsec_member_set_epoch()),
 * -EOVERFLOW (sequence space exhausted), the reservation callback's error,
 * -EIO.  A sequence number that was taken is never used again, even if
 * sealing fails afterwards.
 */
int grpsec_member_seal_uplink(struct grpsec_member *m, const uint8_t *payload,
			      size_t len, uint8_t *out, size_t out_size,
			      size_t *out_len);

/*
 * grpsec_member_seal_uplink_nonce() - as grpsec_member_seal_uplink(), but
 * with the anonymous inner nonce given by the caller.  For test vectors
 * only: a repeated nonce under K_G[e] breaks confidentiality and
 * authenticity of the group.  Returns -EINVAL for identified members.
 */
int grpsec_member_seal_uplink_nonce(struct grpsec_member *m,
				    const uint8_t nonce[GRPSEC_NONCE_LEN],
				    const uint8_t *payload, size_t len,
				    uint8_t *out, size_t out_size, size_t *out_len);

/* grpsec_member_next_seq() - the sequence the next frame will carry. */
uint64_t grpsec_member_next_seq(const struct grpsec_member *m);

/* grpsec_member_epoch() - the current epoch. */
uint32_t grpsec_member_epoch(const struct grpsec_member *m);

/* grpsec_member_epoch_remaining() - frames left before -ENOSPC. */
uint64_t grpsec_member_epoch_remaining(const struct grpsec_member *m);

/* Gateway side (reference implementation for tests, tools and simulators) */

/*
 * grpsec_uplink_verify() - check the outer tag of a parsed uplink frame
 * under @member_key (K_m[e] of u->member, u->epoch, suite u->suite).
 * @mode: the group's mode (GRPSEC_MODE_*), which decides what the tag
 * covers: in an identified group the first 52 bytes (header, inner nonce,
 * inner tag), so a changed ciphertext passes here and fails at the
 * backend; in an anonymous group everything before the tag.
 * Returns 0, -EINVAL (also for an unknown @mode), -EBADMSG, -EIO.
 */
int grpsec_uplink_verify(const struct grpsec_uplink *u, unsigned int mode,
			 const uint8_t *member_key);

/*
 * grpsec_inner_open() - open an inner part (nonce || inner tag || ciphertext).
 * @mode, @suite, @group, @epoch, @member: the fields bound by the inner AAD
 * (@member is ignored and 0 is used for anonymous groups).
 * @key: K_G[e] (anonymous) or K_e,m[e] of @member (identified).
 * @out: receives inner_len - 28 bytes of plaintext (at most 1280).
 * Returns 0, -EINVAL, -EMSGSIZE (@inner_len outside 28..1308), -EBADMSG,
 * -EIO.  Does no replay check and does not check the identified nonce
 * layout; the backend does both.
 */
int grpsec_inner_open(unsigned int mode, unsigned int suite, uint32_t group,
		      uint32_t epoch, uint32_t member, const uint8_t *key,
		      const uint8_t *inner, size_t inner_len,
		      uint8_t *out, size_t *out_len);

/*
 * struct grpsec_batch_builder - builds a batch in a caller buffer, as the
 * gateway does.  Fill with grpsec_batch_init(), add entries, then
 * grpsec_batch_seal().  No allocation; nothing to free.
 */
struct grpsec_batch_builder {
	uint8_t *buf;
	size_t size;
	size_t len;
	uint16_t count;
	uint8_t suite;
};

/*
 * grpsec_batch_init() - start a batch from @gateway under a K_up of
 * @suite in @buf (@size bytes, at least GRPSEC_BATCH_MIN_LEN).
 * Returns 0 or -EINVAL / -EMSGSIZE.
 */
int grpsec_batch_init(struct grpsec_batch_builder *b, uint8_t *buf, size_t size,
		      uint32_t gateway, unsigned int suite);

/*
 * grpsec_batch_add() - append one entry.  The values are written as given,
 * unchecked, so tests can build hostile batches; a well-behaved gateway
 * passes member 0 for anonymous groups.
 * Returns 0, -EINVAL (@inner_len outside 28..1308), -EMSGSIZE (no room:
 * GRPSEC_TAG_LEN bytes stay free for the tag; or 65535 entries).
 */
int grpsec_batch_add(struct grpsec_batch_builder *b, unsigned int mode,
		     unsigned int suite, uint32_t group, uint32_t epoch,
		     uint32_t member, const uint8_t *inner, size_t inner_len);

/*
 * grpsec_batch_add_uplink() - append the inner part of a verified uplink
 * frame, stripping the member id when @mode is anonymous.
 */
int grpsec_batch_add_uplink(struct grpsec_batch_builder *b, unsigned int mode,
			    const struct grpsec_uplink *u);

/*
 * grpsec_batch_seal() - write the batch sequence @seq and count, and append
 * the tag under @upstream_key (K_up, suite as given to grpsec_batch_init()).
 * The tag covers what grpsec_backend_open_batch() checks (step 3): every
 * byte but the ciphertexts of entries whose mode is not anonymous.
 * Returns 0 and the total length in *@out_len; -EINVAL (no entries), -EIO.
 */
int grpsec_batch_seal(struct grpsec_batch_builder *b, uint64_t seq,
		      const uint8_t *upstream_key, size_t *out_len);

/* Backend side */

struct grpsec_backend_config {
	uint32_t gateway;		/* the gateway whose batches are accepted */
	unsigned int suite;		/* suite of K_up */
	const uint8_t *upstream_key;	/* K_up */
	/*
	 * The floor (frames.rst, "Sequence floors"): the lowest batch
	 * sequence still new.  Batches below it are refused, and so is a
	 * batch sequence seen before or more than GRPSEC_REPLAY_WINDOW
	 * behind the newest (batches may arrive out of order).  The floor
	 * a gateway is given (grpsec upstream set ... seq F) is the one to
	 * give here; a backend that restarts with the same K_up passes
	 * grpsec_backend_last_seq() + 1.  0 (or 1) accepts any first batch.
	 */
	uint64_t batch_seq_floor;
};

struct grpsec_backend_group {
	uint32_t group;			/* non-zero */
	uint32_t epoch;
	unsigned int mode;		/* GRPSEC_MODE_* */
	unsigned int suite;		/* GRPSEC_SUITE_* */
	/*
	 * Anonymous: K_G[e], grpsec_suite_key_len(suite) bytes.
	 * Identified: S_e2e[G,e], GRPSEC_SECRET_LEN bytes; the backend derives
	 * K_e,m[e] for the member id carried by each entry.
	 */
	const uint8_t *key;
	/*
	 * Anonymous only: the most nonces remembered for (group, epoch);
	 * 0 = GRPSEC_NONCE_CACHE_DEFAULT.  Memory grows with use, 24 to 48
	 * bytes per remembered nonce.  At the bound, further entries of this
	 * (group, epoch) are refused with GRPSEC_ENTRY_CACHE_FULL (fail
	 * closed: no replay can slip through); the manager must roll the
	 * group to a new epoch before members reach it, which the epoch
	 * message limit ensures when members x limit <= nonce_cache_max.
	 */
	uint32_t nonce_cache_max;
};

/* Outcome of one batch entry. */
enum grpsec_entry_status {
	GRPSEC_ENTRY_OK = 0,
	GRPSEC_ENTRY_MALFORMED,		/* bad mode or suite value; identified: member 0,
					 * nonce not 00000001 || be64 seq, or seq 0 */
	GRPSEC_ENTRY_UNKNOWN_GROUP,	/* no keys for (group, epoch) */
	GRPSEC_ENTRY_MODE_MISMATCH,	/* mode or suite differ from the group's */
	GRPSEC_ENTRY_ANON_MEMBER_ID,	/* anonymous entry carrying a member id */
	GRPSEC_ENTRY_BAD_TAG,		/* inner tag did not verify: tampered,
					 * forged or re-attributed */
	GRPSEC_ENTRY_REPLAY,		/* nonce already seen (anonymous) or
					 * sequence replayed / too old (identified) */
	GRPSEC_ENTRY_CACHE_FULL,	/* anonymous nonce cache at its bound */
	GRPSEC_ENTRY_NOMEM,		/* no memory for replay state: refused */
	__GRPSEC_ENTRY_MAX,
};

/* grpsec_entry_status_name() - "ok", "malformed", "bad_tag", ... */
const char *grpsec_entry_status_name(enum grpsec_entry_status s);

/*
 * struct grpsec_entry - one opened (or refused) entry, given to the
 * caller's callback.  Everything is valid only during the callback.
 */
struct grpsec_entry {
	unsigned int index;		/* 0-based position in the batch */
	enum grpsec_entry_status status;
	uint8_t mode;
	uint8_t suite;
	uint32_t group;
	uint32_t epoch;
	/*
	 * Identified, status OK: the member that wrote the payload (proven by
	 * K_e,m[e]).  Anonymous: 0.  Otherwise: as the gateway claimed.
	 */
	uint32_t member;
	uint64_t seq;			/* identified, from the inner nonce; else 0 */
	const uint8_t *payload;		/* status OK only, else NULL */
	size_t payload_len;
};

/*
 * grpsec_entry_fn - called once per entry, in order, whatever its status.
 * Return 0 to go on; a negative value stops the batch (the remaining
 * entries are neither opened nor counted) and is returned by
 * grpsec_backend_open_batch().
 */
typedef int (*grpsec_entry_fn)(void *arg, const struct grpsec_entry *e);

/* Counters kept by a backend context since grpsec_backend_new(). */
struct grpsec_backend_stats {
	uint64_t batches;		/* grpsec_backend_open_batch() calls */
	uint64_t batches_ok;		/* batches whose entries were processed */
	uint64_t batch_malformed;	/* refused by grpsec_batch_parse() */
	uint64_t batch_bad_gateway;	/* gateway id or suite not ours */
	uint64_t batch_replay;		/* sequence <= last accepted */
	uint64_t batch_bad_tag;
	uint64_t tag_checks;		/* batch tags verified (one per batch) */
	uint64_t inner_opens;		/* inner AEAD opens attempted */
	uint64_t key_derivations;	/* K_e,m[e] derived (cached afterwards) */
	uint64_t entries;		/* entries given to the callback */
	uint64_t entry[__GRPSEC_ENTRY_MAX]; /* per status; entry[GRPSEC_ENTRY_OK] = opened */
	uint64_t batches_previous_key;	/* of batches_ok, verified under the previous K_up */
};

struct grpsec_backend;

/*
 * grpsec_backend_new() - create a backend context for the batches of one
 * gateway.  @cfg and the key are copied.  Free with grpsec_backend_free().
 * Returns 0, -EINVAL, -ENOMEM, -EIO.
 */
int grpsec_backend_new(const struct grpsec_backend_config *cfg, struct grpsec_backend **out);

/* grpsec_backend_free() - wipe all keys, free all state (NULL is fine). */
void grpsec_backend_free(struct grpsec_backend *be);

/*
 * grpsec_backend_add_group() - register the keys of one (group, epoch).
 * Several epochs of a group may be registered at once (rollover).
 * Returns 0, -EINVAL (bad field), -EEXIST (already registered), -ENOMEM,
 * -EIO.
 */
int grpsec_backend_add_group(struct grpsec_backend *be, const struct grpsec_backend_group *g);

/*
 * grpsec_backend_del_group() - forget (group, epoch): its key and its nonce
 * cache.  The per-member replay windows of identified groups are kept
 * (they span epochs).  Returns 0 or -ENOENT.
 */
int grpsec_backend_del_group(struct grpsec_backend *be, uint32_t group, uint32_t epoch);

/* Where grpsec_backend_open_batch() stores the batch header (optional). */
struct grpsec_batch_info {
	uint32_t gateway;
	uint64_t seq;
	uint16_t count;
};

/*
 * grpsec_backend_open_batch() - verify and open one batch.
 *
 * 1. grpsec_batch_parse() (structure only), then the gateway id and K_up
 *    suite must be the configured ones;
 * 2. the batch sequence must be at or above the floor, not seen before
 *    and at most GRPSEC_REPLAY_WINDOW behind the newest accepted;
 * 3. one tag check under K_up over the batch header, each entry's header,
 *    inner nonce and inner tag, and each anonymous entry's ciphertext (an
 *    identified entry's ciphertext is left to its inner tag);
 * 4. the sequence is recorded, then each entry is checked against the
 *    registered groups, its inner part opened (anonymous: K_G[e];
 *    identified: K_e,m[e] derived for exactly the member id of the entry)
 *    and checked for replay (anonymous: nonce cache of (group, epoch);
 *    identified: sliding window (GRPSEC_REPLAY_WINDOW) of (group, member) on the
 *    sequence in the inner nonce).  Replay state changes only after the
 *    inner tag verified.  @fn (may be NULL) sees every entry.
 *
 * @info (may be NULL): filled after step 1.
 * Returns 0 when the batch was accepted (whatever its entries' statuses),
 * the batch-level error of steps 1-3 (-EINVAL, -EMSGSIZE,
 * -EPROTONOSUPPORT, -EPROTO (also: another gateway id or suite), -ESTALE,
 * -EBADMSG, -EIO; no entry is then opened), or the callback's negative
 * value.  Every outcome is counted in the context's statistics.
 */
int grpsec_backend_open_batch(struct grpsec_backend *be, const uint8_t *buf, size_t len,
			      struct grpsec_batch_info *info, grpsec_entry_fn fn, void *arg);

/*
 * grpsec_backend_set_upstream_key() - replace K_up (a new association
 * with the same gateway, the same suite), keeping every replay window:
 * the gateway's batch sequence continues across its keys.  The key being
 * replaced stays as the previous one, tried for a batch the new key does
 * not verify, until a batch verifies under the new key or
 * grpsec_backend_forget_previous_key() is called; an older previous key
 * is wiped.  The key is copied.  Returns 0, -EINVAL (another suite),
 * -ENOMEM, -EIO.
 */
int grpsec_backend_set_upstream_key(struct grpsec_backend *be, unsigned int suite,
				    const uint8_t *key);

/* grpsec_backend_forget_previous_key() - wipe the previous K_up now. */
void grpsec_backend_forget_previous_key(struct grpsec_backend *be);

/* grpsec_backend_has_previous_key() - 1 while a previous K_up is still tried, else 0. */
int grpsec_backend_has_previous_key(const struct grpsec_backend *be);

/* grpsec_backend_get_stats() - copy the counters to @st. */
void grpsec_backend_get_stats(const struct grpsec_backend *be, struct grpsec_backend_stats *st);

/* grpsec_backend_last_seq() - the last accepted batch sequence (or the floor - 1). */
uint64_t grpsec_backend_last_seq(const struct grpsec_backend *be);

/*
 * grpsec_backend_export() - save the replay state of @be: the batch floor
 * and window, the window of every identified member seen, and the nonce
 * cache of every registered anonymous (group, epoch).  The format is
 * specified in frames.rst ("Saved backend state"); it holds no key.
 * *@buf receives a malloc()ed buffer of *@len bytes, freed with free().
 * Store it durably and give it to grpsec_backend_import() after a
 * restart, or a gateway can replay every entry it ever forwarded.
 * Returns 0, -EINVAL, -ENOMEM.
 */
int grpsec_backend_export(const struct grpsec_backend *be, uint8_t **buf, size_t *len);

/*
 * grpsec_backend_import() - restore what grpsec_backend_export() saved,
 * into a context that has opened no batch yet and imported nothing, after
 * grpsec_backend_add_group() for every anonymous (group, epoch) the state
 * holds a cache of.  Afterwards every batch and entry refused as a replay
 * before the export is refused again; the batch floor is the higher of the
 * configured and the saved one.
 * Returns 0; -EINVAL (NULL, or saved for another gateway id or K_up
 * suite); -EBUSY (a batch was opened or a state imported already);
 * -EMSGSIZE (truncated, or bytes left over); -EPROTONOSUPPORT (not a saved
 * state, or another format version); -EPROTO (a reserved field set, a
 * window no sequence history gives, records not in strictly increasing
 * order); -ENOENT (a cache for a (group, epoch) not registered, or not
 * anonymous); -ENOSPC (more nonces than the group's nonce_cache_max).  On
 * these errors nothing changed.  -ENOMEM: part of the state may be in;
 * free the context.
 */
int grpsec_backend_import(struct grpsec_backend *be, const uint8_t *buf, size_t len);

/*
 * Incremental saves (frames.rst, "Saved backend state", "Changes").
 * grpsec_backend_export_changed() - a saved state of the same format that
 * holds the batch floor and window and only what moved since the last
 * grpsec_backend_mark_saved(): the windows of the members that accepted
 * an entry, the whole nonce cache of the (group, epoch)s that grew.  Call
 * grpsec_backend_mark_saved() once such a state (or a whole one) is
 * stored durably; until then every later one holds the changes too.
 * grpsec_backend_import_changed() - merge one into a context that had a
 * whole state imported and opened no batch: every sequence or nonce
 * either accepted stays refused (windows are united, the floor is the
 * higher), so changes may come in any order and twice.  Returns as
 * grpsec_backend_import(), and -EBUSY without a whole state first.
 */
int grpsec_backend_export_changed(const struct grpsec_backend *be, uint8_t **buf, size_t *len);
void grpsec_backend_mark_saved(struct grpsec_backend *be);
int grpsec_backend_import_changed(struct grpsec_backend *be, const uint8_t *buf, size_t len);

/*
 * Group commands and rekeying (frames.rst: downlink, command, rekey).
 *
 * The manager's signing key is Ed25519 (OpenSSL EVP_PKEY_ED25519): the
 * manager and backend hold the private key in a struct grpsec_signer,
 * members the public key in a struct grpsec_verifier.
 */

struct grpsec_signer;
struct grpsec_verifier;

/*
 * grpsec_signer_new() - load the 32-byte Ed25519 private key @priv
 * (RFC 8032 seed).  Free with grpsec_signer_free().
 * Returns 0, -EINVAL, -EIO.
 */
int grpsec_signer_new(const uint8_t priv[GRPSEC_SIGN_KEY_LEN], struct grpsec_signer **out);

/* grpsec_signer_generate() - a new random signing key. */
int grpsec_signer_generate(struct grpsec_signer **out);

/* grpsec_signer_public() - write the 32-byte public key of @s. Returns 0, -EINVAL, -EIO. */
int grpsec_signer_public(const struct grpsec_signer *s, uint8_t pub[GRPSEC_SIGN_KEY_LEN]);

/* grpsec_signer_free() - free @s (NULL is fine). */
void grpsec_signer_free(struct grpsec_signer *s);

/* grpsec_verifier_new() - load a 32-byte Ed25519 public key. Returns 0, -EINVAL, -EIO. */
int grpsec_verifier_new(const uint8_t pub[GRPSEC_SIGN_KEY_LEN], struct grpsec_verifier **out);

/* grpsec_verifier_free() - free @v (NULL is fine). */
void grpsec_verifier_free(struct grpsec_verifier *v);

/*
 * grpsec_kdf_wrap_key() - K_wrap,m for tests and simulators: HKDF(salt
 * "grpsec-v1", IKM @secret (GRPSEC_SECRET_LEN bytes), info "grpsec wrap key"
 * || be32 @member, L = 32).  A real K_wrap,m comes from enrollment.
 * Returns 0, -EINVAL (member 0), -EIO.
 */
int grpsec_kdf_wrap_key(const uint8_t *secret, uint32_t member,
			uint8_t out[GRPSEC_WRAP_KEY_LEN]);

/* What a command body is sealed for. */
struct grpsec_command_params {
	unsigned int suite;		/* the group's suite */
	unsigned int mode;		/* the group's mode (bound by the AAD) */
	uint32_t group;			/* non-zero */
	/*
	 * The member the body is for, 0 = every member of the group.  Bound
	 * by the signature and the K_G[e] AAD: a member accepts a body only
	 * if it is addressed to it or to 0, and a multicast frame only with a
	 * body addressed to 0.
	 */
	uint32_t recipient;
	uint32_t epoch;			/* epoch of @group_key */
	uint64_t seq;			/* command sequence, >= 1, strictly increasing per group */
	const uint8_t *group_key;	/* K_G[epoch] */
	/* 12 bytes, or NULL to draw a random nonce (always, except in test vectors) */
	const uint8_t *nonce;
};

/*
 * grpsec_command_seal() - build a command body: seal @payload under K_G[e]
 * and, with @signer, sign it (backend or manager).  @signer NULL builds the
 * unsigned body that only a gateway in terminate mode originates (it is sent
 * with GRPSEC_MFRAME_FLAG_GATEWAY).
 * @payload, @len: 0..GRPSEC_COMMAND_MAX_PAYLOAD bytes.
 * @out: GRPSEC_COMMAND_OVERHEAD + @len bytes (signed) or
 * GRPSEC_COMMAND_UNSIGNED_OVERHEAD + @len (unsigned).
 * Returns 0, -EINVAL, -EMSGSIZE, -EIO.
 */
int grpsec_command_seal(const struct grpsec_command_params *p,
			const struct grpsec_signer *signer, const uint8_t *payload,
			size_t len, uint8_t *out, size_t out_size, size_t *out_len);

/* The keys of a new epoch, as carried by a rekey body. */
struct grpsec_rekey_keys {
	uint32_t epoch;			/* the new epoch e' */
	unsigned int suite, mode;	/* the group's (unchanged) */
	unsigned int group_flags;	/* GRPSEC_GROUP_COMMANDS: identified and K_G[e'] */
	uint64_t msg_limit;		/* for the member; 0 = default */
	const uint8_t *member_key;	/* K_m[e'], required */
	/* K_G[e']: required if anonymous or with GRPSEC_GROUP_COMMANDS, else not allowed */
	const uint8_t *group_key;
	const uint8_t *e2e_key;		/* K_e,m[e']: identified only, required there */
};

/*
 * grpsec_rekey_seal() - build a rekey body for one @member of @group: wrap
 * @keys under @wrap_key (K_wrap,m, AES-256-GCM) and sign with @signer.
 * @seq: rekey sequence, >= 1, strictly increasing per member.
 * @nonce: 12 bytes, or NULL for a random one (test vectors only).
 * @out: GRPSEC_REKEY_BODY_MAX_LEN bytes are always enough.
 * Returns 0, -EINVAL (bad argument or key set), -EMSGSIZE, -EIO.
 */
int grpsec_rekey_seal(const struct grpsec_signer *signer,
		      const uint8_t wrap_key[GRPSEC_WRAP_KEY_LEN], uint32_t group,
		      uint32_t member, uint64_t seq, const struct grpsec_rekey_keys *keys,
		      const uint8_t *nonce, uint8_t *out, size_t out_size, size_t *out_len);

/* struct grpsec_downlink - a parsed downlink frame; pointers into the buffer. */
struct grpsec_downlink {
	uint8_t suite;			/* of K_up */
	uint8_t kind;			/* GRPSEC_DOWNLINK_KIND_* */
	uint32_t gateway;
	uint64_t seq;
	uint32_t group;
	uint32_t member;		/* 0 = every member of the group */
	const uint8_t *body;
	size_t body_len;
	const uint8_t *frame;
	size_t frame_len;
	const uint8_t *tag;
};

/*
 * grpsec_downlink_build() - backend side: a downlink frame from @gateway's
 * backend under @upstream_key (K_up of @suite) carrying @body (a command or
 * rekey body, 1..GRPSEC_BODY_MAX_LEN bytes) for @group and @member (0 = all;
 * a rekey needs one member).  @seq: downlink sequence, >= 1, never reused
 * under one K_up.  @out: GRPSEC_DOWNLINK_HDR_LEN + @body_len + 16 bytes.
 * Returns 0, -EINVAL, -EMSGSIZE, -EIO.
 */
int grpsec_downlink_build(unsigned int suite, const uint8_t *upstream_key,
			  uint32_t gateway, uint64_t seq, uint32_t group, uint32_t member,
			  unsigned int kind, const uint8_t *body, size_t body_len,
			  uint8_t *out, size_t out_size, size_t *out_len);

/*
 * grpsec_downlink_parse() - structure only, no authentication.
 * Returns 0, -EINVAL, -EMSGSIZE (length does not match the body length, or
 * out of range), -EPROTONOSUPPORT, -EPROTO (type, flags, reserved, suite,
 * sequence 0, group 0, kind unknown, rekey for member 0).
 */
int grpsec_downlink_parse(const uint8_t *buf, size_t len, struct grpsec_downlink *out);

/*
 * grpsec_downlink_verify() - gateway reference: grpsec_downlink_parse(),
 * then @gateway and @suite must be the gateway's own (-EPROTO), then the tag
 * under @upstream_key (-EBADMSG).  The replay window on d->seq (RFC 6479)
 * is the caller's: apply it after this returns 0.
 */
int grpsec_downlink_verify(const uint8_t *buf, size_t len, uint32_t gateway,
			   unsigned int suite, const uint8_t *upstream_key,
			   struct grpsec_downlink *out);

/* struct grpsec_mframe - a parsed command (4) or rekey (5) frame. */
struct grpsec_mframe {
	uint8_t type;
	uint8_t suite;
	uint8_t flags;			/* GRPSEC_MFRAME_FLAG_* */
	uint32_t group;
	uint32_t member;		/* the recipient */
	uint32_t epoch;			/* of the K_m[e] that tags it */
	uint64_t seq;			/* gateway sequence */
	const uint8_t *body;
	size_t body_len;
	const uint8_t *frame;
	size_t frame_len;
};

/*
 * grpsec_mframe_flags_valid() - whether @flags may go with a frame of
 * @type: type 5 has none; type 4 any of GATEWAY, GROUP and MULTICAST,
 * except that MULTICAST needs GROUP and excludes GATEWAY.
 */
int grpsec_mframe_flags_valid(unsigned int type, unsigned int flags);

/*
 * grpsec_member_frame_build() - gateway reference: a type 4 or 5 frame to
 * @member carrying @body (1..GRPSEC_BODY_MAX_LEN bytes), tagged under
 * @member_key (K_m[@epoch]) with nonce 00000003 || be64 @seq.
 * @flags (type 4 only): GRPSEC_MFRAME_FLAG_GROUP when the downlink was for
 * member 0 (the body is addressed to the group), GRPSEC_MFRAME_FLAG_GATEWAY
 * for the gateway's own unsigned bodies, or GRPSEC_MFRAME_FLAG_MULTICAST |
 * GRPSEC_MFRAME_FLAG_GROUP (@member 0, @epoch 0, no key and no tag: the
 * frame is GRPSEC_MFRAME_HDR_LEN + @body_len bytes).
 * @out: GRPSEC_MFRAME_HDR_LEN + @body_len + 16 bytes.
 * Returns 0, -EINVAL, -EMSGSIZE, -EIO.
 */
int grpsec_member_frame_build(unsigned int type, unsigned int suite, unsigned int flags,
			      uint32_t group, uint32_t member, uint32_t epoch, uint64_t seq,
			      const uint8_t *member_key, const uint8_t *body,
			      size_t body_len, uint8_t *out, size_t out_size, size_t *out_len);

/*
 * grpsec_mframe_parse() - structure only.  Returns 0, -EINVAL, -EMSGSIZE,
 * -EPROTONOSUPPORT, -EPROTO (type not 4 or 5, unknown flag, flag on a
 * rekey, reserved set, unknown suite, group, member or sequence 0).
 */
int grpsec_mframe_parse(const uint8_t *buf, size_t len, struct grpsec_mframe *out);

/*
 * grpsec_member_open_frame() - member side: parse a type 4/5 frame and
 * check that it is for this member (group, member id, suite: else
 * -EPROTO) and tagged under its current epoch or the previous one, not yet
 * retired (others: older -ESTALE, newer -ENOKEY), that the gateway
 * sequence passes that epoch's RFC 6479 window (-ESTALE), and its tag under
 * that K_m[e] (-EBADMSG).  The window is updated only on success.
 * It proves the frame came through the gateway, nothing about the body.
 * A multicast frame (GRPSEC_MFRAME_FLAG_MULTICAST: member 0, no tag) is
 * checked for group and suite only; its body must be signed, which
 * grpsec_member_open_command() then requires.
 */
int grpsec_member_open_frame(struct grpsec_member *m, const uint8_t *buf, size_t len,
			     struct grpsec_mframe *out);

/* How a command reached the member (grpsec_command_info.delivery). */
enum grpsec_command_delivery {
	GRPSEC_COMMAND_UNICAST = 1,	/* signed, in a frame tagged for this member */
	GRPSEC_COMMAND_MULTICAST,	/* signed, in an untagged frame to the group address */
	GRPSEC_COMMAND_GATEWAY,		/* unsigned: originated by the gateway itself */
};

/* What grpsec_member_open_command() found. */
struct grpsec_command_info {
	int from_gateway;		/* 1: unsigned, originated by the gateway itself */
	enum grpsec_command_delivery delivery;
	uint32_t recipient;		/* 0: the whole group; else this member's id */
	uint32_t epoch;
	uint64_t seq;			/* command sequence */
};

/*
 * grpsec_member_open_command() - member side: a whole type 4 frame.
 * grpsec_member_open_frame() (type 4 only, else -EPROTO), then the body
 * (-EMSGSIZE when too short).  The body's recipient is taken as 0 when
 * the frame has GRPSEC_MFRAME_FLAG_GROUP (always so for multicast), else
 * as this member's id; a body addressed to anyone else fails its
 * signature and its K_G[e] tag (-EBADMSG).  Then: command sequence 0
 * (-EPROTO); the body's epoch must be the member's current one or the
 * previous one not yet retired (older: -ESTALE, newer: -ENOKEY); the
 * command sequence must be above the last accepted one (-ESTALE); signed
 * bodies: the Ed25519 signature under @v (-EBADMSG; @v NULL: -EINVAL);
 * -ENOKEY when an identified member has no K_G[e]
 * (grpsec_member_set_group_key()); @out_size too small (-EMSGSIZE); the
 * K_G[e] tag (-EBADMSG).  Signed commands and gateway-originated ones have
 * separate sequences, each across epochs.  A gateway-originated
 * body is accepted on the strength of the K_m tag alone and reported with
 * info->from_gateway = 1: the application must treat it as coming from the
 * gateway, not the backend.
 * @out: receives the payload (up to GRPSEC_COMMAND_MAX_PAYLOAD + 64 bytes).
 * Returns 0 or the first error; nothing changes on error (except the
 * gateway sequence window when the frame itself verified).
 */
int grpsec_member_open_command(struct grpsec_member *m, const struct grpsec_verifier *v,
			       const uint8_t *buf, size_t len, uint8_t *out,
			       size_t out_size, size_t *out_len,
			       struct grpsec_command_info *info);

/*
 * grpsec_member_apply_rekey() - member side: a whole type 5 frame.
 * grpsec_member_open_frame() (type 5 only, else -EPROTO), the body length
 * (-EMSGSIZE), rekey sequence 0 (-EPROTO), the new epoch must be above the
 * current one and the rekey sequence above the last one (-ESTALE), the
 * signature (-EBADMSG), the unwrap under @wrap_key (-EBADMSG), the key
 * material well formed and of the member's suite and mode (-EPROTO); then
 * grpsec_member_set_epoch() installs it (and K_G[e'] for commands).  The
 * uplink sequence carries on.  @new_epoch (may be NULL) receives e'.
 */
int grpsec_member_apply_rekey(struct grpsec_member *m, const struct grpsec_verifier *v,
			      const uint8_t wrap_key[GRPSEC_WRAP_KEY_LEN],
			      const uint8_t *buf, size_t len, uint32_t *new_epoch);

/*
 * grpsec_member_set_group_key() - identified members of a group that
 * receives commands: K_G of the current epoch, to open commands (anonymous
 * members use their inner key).
 * Returns 0, -EINVAL (also: the group does not receive commands), -EIO.
 */
int grpsec_member_set_group_key(struct grpsec_member *m, const uint8_t *group_key);

/* The last accepted signed command, gateway command and rekey sequences. */
uint64_t grpsec_member_command_seq(const struct grpsec_member *m);
uint64_t grpsec_member_gateway_command_seq(const struct grpsec_member *m);
uint64_t grpsec_member_rekey_seq(const struct grpsec_member *m);

/* Errors */

/* grpsec_strerror() - a short text for a value returned by this library. */
const char *grpsec_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* GRPSEC_H */
