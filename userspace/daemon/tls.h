/* SPDX-License-Identifier: GPL-2.0 */
/*
 * grpsecd's OpenSSL: one SSL_CTX per role, TLS 1.3 only (tls.c).  The
 * enrollment context checks device certificates against the CA and CRL
 * of the configuration, or admits external PSKs from the PSK file.  Every
 * OpenSSL error becomes one log line naming the peer and the reason.
 *
 * PSK file: one PSK a line, "IDENTITY HASH KEY": an identity of 1..128
 * printable characters without blanks, the hash of the TLS 1.3 suites it
 * may be used with (sha256: TLS_AES_128_GCM_SHA256 and
 * TLS_CHACHA20_POLY1305_SHA256; sha384: TLS_AES_256_GCM_SHA384), and the
 * key as 32..128 hex digits (16..64 bytes); '#' starts a comment.  The
 * file holds keys: it must not be readable by group or others.
 */
#ifndef GRPSECD_TLS_H
#define GRPSECD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#define TLS_PSK_IDENTITY_MAX	128
#define TLS_PSK_MAX		64
#define TLS_EXPORTER_LEN	32
#define TLS_WRAP_LABEL		"EXPORTER-grpsec-wrap"

struct conf_manager;
struct conf_control;

/* Why a handshake failed, as far as the server can tell (metrics labels). */
enum tls_fail {
	TLS_FAIL_NONE,
	TLS_FAIL_CERT_UNTRUSTED,	/* not from the configured CA */
	TLS_FAIL_CERT_EXPIRED,		/* expired or not yet valid */
	TLS_FAIL_CERT_REVOKED,		/* on the CRL */
	TLS_FAIL_CERT_INVALID,		/* any other verification error */
	TLS_FAIL_NO_CREDENTIAL,		/* neither a certificate nor a known PSK */
	TLS_FAIL_PSK_UNKNOWN,		/* a PSK identity the file does not have */
	TLS_FAIL_PSK_MISMATCH,		/* known identity, wrong key (binder) */
	TLS_FAIL_PROTOCOL,		/* anything else: version, ciphers, garbage */
	__TLS_FAIL_MAX,
};

/* "cert_untrusted", "psk_unknown", ... */
const char *tls_fail_name(enum tls_fail f);

/* What one connection's callbacks learnt (SSL ex_data). */
struct tls_peer {
	char addr[64];			/* "ADDR:PORT", for log lines */
	char psk_identity[TLS_PSK_IDENTITY_MAX + 1];	/* offered, known or not */
	bool psk_known;
	int verify_error;		/* X509_V_OK or the first verification error */
};

/*
 * tls_server_ctx_new() - the enrollment SSL_CTX from [Manager]: its
 * certificate and key, CA and CRL (X509_V_FLAG_CRL_CHECK) for device
 * certificates, the PSK file.  On failure logs one line per problem and
 * returns NULL.
 */
SSL_CTX *tls_server_ctx_new(const struct conf_manager *m);
void tls_ctx_free(SSL_CTX *ctx);

/*
 * tls_control_server_ctx_new() - the manager's control channel: its
 * certificate and key, gateway certificates required and checked against
 * CA and CRL, no PSKs.  tls_control_client_ctx_new(): the gateway's end,
 * its certificate and key, the manager's certificate checked against
 * [Control] CA and CRL.  NULL after logging why.
 */
SSL_CTX *tls_control_server_ctx_new(const struct conf_manager *m);
SSL_CTX *tls_control_client_ctx_new(const struct conf_control *c);

/*
 * tls_client_ssl_new() - a client SSL on @fd; with @name, the server's
 * certificate must carry that DNS name (and it is sent as SNI).
 */
SSL *tls_client_ssl_new(SSL_CTX *ctx, int fd, struct tls_peer *p, const char *name);

/* tls_upstream_secret() - the exporter value under GRPSEC_UPSTREAM_EXPORTER_LABEL. */
int tls_upstream_secret(SSL *ssl, uint8_t out[TLS_EXPORTER_LEN]);

/* tls_peer_attach() - a new server SSL on @fd, its tls_peer @p attached. */
SSL *tls_ssl_new(SSL_CTX *ctx, int fd, struct tls_peer *p);

/*
 * tls_classify() - after a failed handshake: why, from what the callbacks
 * recorded and the error queue (not consumed).
 */
enum tls_fail tls_classify(const SSL *ssl, const struct tls_peer *p);

/*
 * tls_log_error() - drain the OpenSSL error queue into one line: "@what
 * PEER: reason; reason" (and the certificate verification result).
 */
void tls_log_error(const struct tls_peer *p, const char *what, int ssl_err);

/*
 * tls_identity() - after the handshake: the peer's identity for the
 * policy, @subject (RFC 2253) and its SANs ("DNS:..", "IP:..", "URI:..",
 * "email:.."), or the PSK identity.  *@sans is malloc'ed strings in one
 * array, freed with tls_sans_free().  Returns 0, -ENOMEM, -ENOENT.
 */
int tls_identity(SSL *ssl, const struct tls_peer *p, bool *is_psk, char *subject,
		 size_t size, char ***sans, size_t *nsans);
void tls_sans_free(char **sans, size_t n);

/* tls_wrap_secret() - the exporter value under TLS_WRAP_LABEL, empty context. */
int tls_wrap_secret(SSL *ssl, uint8_t out[TLS_EXPORTER_LEN]);

/*
 * tls_psk_file_check() - parse a PSK file without keeping it (reload
 * checks); 0, or -1 after logging "FILE:LINE: problem" lines.
 */
int tls_psk_file_check(const char *path);

#endif
