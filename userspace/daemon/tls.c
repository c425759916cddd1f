// SPDX-License-Identifier: GPL-2.0
/*
 * grpsecd's OpenSSL contexts (tls.h): TLS 1.3 only, device certificates
 * against the CA and CRL, external PSKs through the find-session callback,
 * and the error queue turned into one line per failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "grpsec_enroll.h"

#include "conf.h"
#include "log.h"
#include "tls.h"

struct psk {
	char identity[TLS_PSK_IDENTITY_MAX + 1];
	bool sha384;
	uint8_t key[TLS_PSK_MAX];
	size_t key_len;
};

struct psk_table {
	struct psk *v;
	size_t n;
};

static int peer_idx = -1, table_idx = -1;

static const char *const fail_names[__TLS_FAIL_MAX] = {
	[TLS_FAIL_NONE] = "none",
	[TLS_FAIL_CERT_UNTRUSTED] = "cert_untrusted",
	[TLS_FAIL_CERT_EXPIRED] = "cert_expired",
	[TLS_FAIL_CERT_REVOKED] = "cert_revoked",
	[TLS_FAIL_CERT_INVALID] = "cert_invalid",
	[TLS_FAIL_NO_CREDENTIAL] = "no_credential",
	[TLS_FAIL_PSK_UNKNOWN] = "psk_unknown",
	[TLS_FAIL_PSK_MISMATCH] = "psk_mismatch",
	[TLS_FAIL_PROTOCOL] = "protocol",
};

const char *tls_fail_name(enum tls_fail f)
{
	return f < __TLS_FAIL_MAX ? fail_names[f] : "unknown";
}

static void table_free(struct psk_table *t)
{
	if (!t)
		return;
	OPENSSL_cleanse(t->v, t->n * sizeof(*t->v));
	free(t->v);
	free(t);
}

static void table_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			  void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	table_free(ptr);
}

static int hex_key(const char *s, uint8_t *out, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n < 32 || n > 2 * TLS_PSK_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		char d[3] = { s[i], s[i + 1], 0 };

		if (!isxdigit((unsigned char)d[0]) || !isxdigit((unsigned char)d[1]))
			return -EINVAL;
		out[i / 2] = (uint8_t)strtoul(d, NULL, 16);
	}
	*len = n / 2;
	return 0;
}

static bool identity_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > TLS_PSK_IDENTITY_MAX)
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* One line "IDENTITY HASH KEY" into @p; 0, or -1 after logging why. */
static int psk_line(const char *path, unsigned int lineno, char *line, struct psk *p)
{
	char *id = strtok(line, " \t"), *hash = strtok(NULL, " \t"), *key = strtok(NULL, " \t");
	const char *what = NULL;

	if (!id || !hash || !key || strtok(NULL, " \t"))
		what = "expected \"IDENTITY HASH KEY\"";
	else if (!identity_ok(id))
		what = "the identity must be 1..128 printable characters without blanks";
	else if (strcmp(hash, "sha256") && strcmp(hash, "sha384"))
		what = "the hash must be sha256 or sha384";
	else if (hex_key(key, p->key, &p->key_len))
		what = "the key must be 32..128 hex digits (16..64 bytes)";
	if (what) {
		log_err("%s:%u: %s", path, lineno, what);
		return -1;
	}
	snprintf(p->identity, sizeof(p->identity), "%s", id);
	p->sha384 = !strcmp(hash, "sha384");
	return 0;
}

static struct psk_table *psk_file_load(const char *path)
{
	struct psk_table *t = calloc(1, sizeof(*t));
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	unsigned int lineno = 0;
	int errors = 0;
	struct stat sb;
	FILE *f;

	if (!t)
		return NULL;
	f = fopen(path, "r");
	if (!f) {
		log_err("%s: cannot open the PSK file: %s", path, strerror(errno));
		free(t);
		return NULL;
	}
	if (fstat(fileno(f), &sb) || (sb.st_mode & 077)) {
		log_err("%s: the PSK file holds keys: it must not be accessible to group or others (chmod 600)",
			path);
		errors++;
	}
	while (!errors && getline(&line, &cap, f) > 0) {
		char *s = line, *hash = strchr(line, '#');

		lineno++;
		if (hash)
			*hash = '\0';
		s[strcspn(s, "\r\n")] = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			continue;
		if (t->n == alloc) {
			struct psk *v = realloc(t->v, (alloc = alloc ? 2 * alloc : 16) * sizeof(*v));

			if (!v) {
				errors++;
				break;
			}
			t->v = v;
		}
		if (psk_line(path, lineno, s, &t->v[t->n])) {
			errors++;
			continue;
		}
		for (size_t i = 0; i < t->n; i++)
			if (!strcmp(t->v[i].identity, t->v[t->n].identity)) {
				log_err("%s:%u: identity \"%s\" given twice", path, lineno,
					t->v[i].identity);
				errors++;
			}
		t->n++;
	}
	if (line) {
		OPENSSL_cleanse(line, cap);
		free(line);
	}
	fclose(f);
	if (errors) {
		table_free(t);
		return NULL;
	}
	return t;
}

int tls_psk_file_check(const char *path)
{
	struct psk_table *t = psk_file_load(path);

	table_free(t);
	return t ? 0 : -1;
}

static void peer_identity(struct tls_peer *p, const unsigned char *id, size_t len)
{
	size_t n = len < TLS_PSK_IDENTITY_MAX ? len : TLS_PSK_IDENTITY_MAX;

	/* Kept for log lines and the policy: non-printable bytes become '?'. */
	for (size_t i = 0; i < n; i++)
		p->psk_identity[i] = id[i] > 0x20 && id[i] <= 0x7e ? (char)id[i] : '?';
	p->psk_identity[n] = '\0';
}

static const struct psk *psk_lookup(const struct psk_table *t, const unsigned char *id,
				    size_t len)
{
	for (size_t i = 0; t && i < t->n && len <= TLS_PSK_IDENTITY_MAX; i++)
		if (strlen(t->v[i].identity) == len && !memcmp(t->v[i].identity, id, len))
			return &t->v[i];
	return NULL;
}

/*
 * A client may offer suites of both hashes; the server picks one before it
 * looks at the PSK, and OpenSSL drops a PSK whose hash differs from the
 * suite's.  So, from the first identity of the pre_shared_key extension,
 * offer only the suites of that PSK's hash.
 */
static int client_hello_cb(SSL *ssl, int *alert, void *arg)
{
	const struct psk_table *t = arg;
	const unsigned char *p;
	const struct psk *k;
	size_t len, id_len;

	(void)alert;
	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk, &p, &len) || len < 4)
		return SSL_CLIENT_HELLO_SUCCESS;
	id_len = (size_t)p[2] << 8 | p[3];
	if (len < 4 + id_len)
		return SSL_CLIENT_HELLO_SUCCESS;
	k = psk_lookup(t, p + 4, id_len);
	if (k && !SSL_set_ciphersuites(ssl, k->sha384 ? "TLS_AES_256_GCM_SHA384" :
				       "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"))
		return SSL_CLIENT_HELLO_ERROR;
	return SSL_CLIENT_HELLO_SUCCESS;
}

static int psk_find_cb(SSL *ssl, const unsigned char *id, size_t len, SSL_SESSION **sess)
{
	static const unsigned char aes128[] = { 0x13, 0x01 }, aes256[] = { 0x13, 0x02 };
	const struct psk_table *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), table_idx);
	struct tls_peer *p = SSL_get_ex_data(ssl, peer_idx);
	const struct psk *k = psk_lookup(t, id, len);
	const SSL_CIPHER *cipher;
	SSL_SESSION *s;

	*sess = NULL;
	peer_identity(p, id, len);
	if (!k)
		return 1;		/* unknown: go on without a PSK, and fail */
	p->psk_known = true;
	/* The PSK's hash decides the suite: OpenSSL drops a PSK whose hash differs. */
	cipher = SSL_CIPHER_find(ssl, k->sha384 ? aes256 : aes128);
	s = SSL_SESSION_new();
	if (!cipher || !s || !SSL_SESSION_set1_master_key(s, k->key, k->key_len) ||
	    !SSL_SESSION_set_cipher(s, cipher) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return 0;
	}
	*sess = s;
	return 1;
}

static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_peer *p = ssl ? SSL_get_ex_data(ssl, peer_idx) : NULL;

	if (!ok && p && p->verify_error == X509_V_OK)
		p->verify_error = X509_STORE_CTX_get_error(x);
	return ok;
}

static int load_ca_crl(SSL_CTX *ctx, const char *ca, const char *crl)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lk;
	STACK_OF(X509_NAME) *names;

	if (!SSL_CTX_load_verify_locations(ctx, ca, NULL)) {
		log_err("%s: cannot load the CA certificates", ca);
		return -1;
	}
	names = SSL_load_client_CA_file(ca);
	if (names)
		SSL_CTX_set_client_CA_list(ctx, names);
	if (!crl)
		return 0;
	lk = X509_STORE_add_lookup(st, X509_LOOKUP_file());
	if (!lk || X509_load_crl_file(lk, crl, X509_FILETYPE_PEM) <= 0) {
		log_err("%s: cannot load the CRL", crl);
		return -1;
	}
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	return 0;
}

/*
 * A TLS 1.3-only context with our certificate and key, no session tickets
 * and no resumption (every connection is a full handshake, so every one
 * has its own exporter values); NULL after logging why.
 */
static SSL_CTX *ctx_new(const char *what, bool server, const char *cert, const char *key)
{
	SSL_CTX *ctx;

	if (peer_idx < 0)
		peer_idx = SSL_get_ex_new_index(0, "grpsecd peer", NULL, NULL, NULL);
	if (table_idx < 0)
		table_idx = SSL_CTX_get_ex_new_index(0, "grpsecd psks", NULL, NULL,
						     table_free_cb);
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx || peer_idx < 0 || table_idx < 0) {
		log_err("%s: cannot create a TLS context: %s", what,
			ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* OpenSSL refuses a verified peer's session (a PSK is one) without it. */
	if (server)
		SSL_CTX_set_session_id_context(ctx, (const unsigned char *)what, strlen(what));
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_err("%s: certificate %s or key %s: %s", what, cert, key,
			ERR_reason_error_string(ERR_get_error()));
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *tls_server_ctx_new(const struct conf_manager *m)
{
	SSL_CTX *ctx = ctx_new("enroll", true, m->certificate, m->private_key);
	struct psk_table *t = NULL;

	if (!ctx)
		return NULL;
	/*
	 * Devices without a PSK must show a certificate from the CA; with no
	 * CA configured the store is empty and every certificate fails.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	if (m->ca && load_ca_crl(ctx, m->ca, m->crl))
		goto out_free;
	if (m->psk_file) {
		t = psk_file_load(m->psk_file);
		if (!t || !SSL_CTX_set_ex_data(ctx, table_idx, t)) {
			table_free(t);
			goto out_free;
		}
		SSL_CTX_set_psk_find_session_callback(ctx, psk_find_cb);
		SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, t);
	}
	ERR_clear_error();
	return ctx;

out_free:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *tls_control_server_ctx_new(const struct conf_manager *m)
{
	SSL_CTX *ctx = ctx_new("control", true, m->certificate, m->private_key);

	if (!ctx)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	if (load_ca_crl(ctx, m->ca, m->crl)) {
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	ERR_clear_error();
	return ctx;
}

SSL_CTX *tls_control_client_ctx_new(const struct conf_control *c)
{
	SSL_CTX *ctx = ctx_new("control", false, c->certificate, c->private_key);

	if (!ctx)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	if (load_ca_crl(ctx, c->ca, c->crl)) {
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	ERR_clear_error();
	return ctx;
}

SSL *tls_client_ssl_new(SSL_CTX *ctx, int fd, struct tls_peer *p, const char *name)
{
	SSL *ssl = tls_ssl_new(ctx, fd, p);

	if (!ssl)
		return NULL;
	SSL_set_connect_state(ssl);
	if (name && (!SSL_set_tlsext_host_name(ssl, name) || !SSL_set1_host(ssl, name))) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

int tls_upstream_secret(SSL *ssl, uint8_t out[TLS_EXPORTER_LEN])
{
	return SSL_export_keying_material(ssl, out, TLS_EXPORTER_LEN,
					  GRPSEC_UPSTREAM_EXPORTER_LABEL,
					  strlen(GRPSEC_UPSTREAM_EXPORTER_LABEL), NULL, 0,
					  0) == 1 ? 0 : -EIO;
}

void tls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

SSL *tls_ssl_new(SSL_CTX *ctx, int fd, struct tls_peer *p)
{
	SSL *ssl = SSL_new(ctx);

	if (!ssl)
		return NULL;
	p->verify_error = X509_V_OK;
	if (!SSL_set_fd(ssl, fd) || !SSL_set_ex_data(ssl, peer_idx, p)) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

enum tls_fail tls_classify(const SSL *ssl, const struct tls_peer *p)
{
	unsigned long e = ERR_peek_error();

	(void)ssl;
	switch (p->verify_error) {
	case X509_V_OK:
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_FAIL_CERT_EXPIRED;
	case X509_V_ERR_CERT_REVOKED:
		return TLS_FAIL_CERT_REVOKED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return TLS_FAIL_CERT_UNTRUSTED;
	default:
		return TLS_FAIL_CERT_INVALID;
	}
	if (p->psk_identity[0])
		return p->psk_known ? TLS_FAIL_PSK_MISMATCH : TLS_FAIL_PSK_UNKNOWN;
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		return TLS_FAIL_NO_CREDENTIAL;
	return TLS_FAIL_PROTOCOL;
}

void tls_log_error(const struct tls_peer *p, const char *what, int ssl_err)
{
	char line[512];
	size_t len = 0;
	unsigned long e;
	int saved = errno;

	line[0] = '\0';
	while ((e = ERR_get_error()) && len < sizeof(line) - 2) {
		const char *r = ERR_reason_error_string(e);

		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", len ? "; " : "",
					r ? r : "unknown OpenSSL error");
	}
	if (p->verify_error != X509_V_OK && len < sizeof(line) - 2)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%scertificate: %s",
					len ? "; " : "",
					X509_verify_cert_error_string(p->verify_error));
	if (!len) {
		if (ssl_err == SSL_ERROR_SYSCALL && saved)
			snprintf(line, sizeof(line), "%s", strerror(saved));
		else if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN)
			snprintf(line, sizeof(line), "the peer closed the connection");
		else
			snprintf(line, sizeof(line), "TLS error %d", ssl_err);
	}
	if (p->psk_identity[0])
		log_warn("%s %s (PSK identity \"%s\"): %s", what, p->addr, p->psk_identity, line);
	else
		log_warn("%s %s: %s", what, p->addr, line);
}

static char *general_name(const GENERAL_NAME *g)
{
	char buf[INET6_ADDRSTRLEN + 8], *out = NULL;
	const char *prefix = NULL;
	const ASN1_STRING *s = NULL;

	switch (g->type) {
	case GEN_DNS:
		prefix = "DNS:", s = g->d.dNSName;
		break;
	case GEN_URI:
		prefix = "URI:", s = g->d.uniformResourceIdentifier;
		break;
	case GEN_EMAIL:
		prefix = "email:", s = g->d.rfc822Name;
		break;
	case GEN_IPADD: {
		int len = ASN1_STRING_length(g->d.iPAddress), af = len == 4 ? AF_INET : AF_INET6;

		if ((len != 4 && len != 16) ||
		    !inet_ntop(af, ASN1_STRING_get0_data(g->d.iPAddress), buf + 3,
			       sizeof(buf) - 3))
			return NULL;
		memcpy(buf, "IP:", 3);
		return strdup(buf);
	}
	default:
		return NULL;
	}
	if (asprintf(&out, "%s%.*s", prefix, ASN1_STRING_length(s),
		     (const char *)ASN1_STRING_get0_data(s)) < 0)
		return NULL;
	/* An embedded NUL cuts the name short; never match on a prefix of it. */
	if (strlen(out) != strlen(prefix) + (size_t)ASN1_STRING_length(s)) {
		free(out);
		return NULL;
	}
	return out;
}

static int cert_sans(X509 *cert, char ***sans, size_t *nsans)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int n = gens ? sk_GENERAL_NAME_num(gens) : 0;

	*sans = NULL;
	*nsans = 0;
	if (n > 0) {
		*sans = calloc((size_t)n, sizeof(**sans));
		if (!*sans) {
			GENERAL_NAMES_free(gens);
			return -ENOMEM;
		}
	}
	for (int i = 0; i < n; i++) {
		char *s = general_name(sk_GENERAL_NAME_value(gens, i));

		if (s)
			(*sans)[(*nsans)++] = s;
	}
	GENERAL_NAMES_free(gens);
	return 0;
}

int tls_identity(SSL *ssl, const struct tls_peer *p, bool *is_psk, char *subject,
		 size_t size, char ***sans, size_t *nsans)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	BIO *b;
	int n;

	*sans = NULL;
	*nsans = 0;
	*is_psk = false;
	if (!cert) {
		if (!p->psk_known || !SSL_session_reused(ssl))
			return -ENOENT;
		*is_psk = true;
		snprintf(subject, size, "%s", p->psk_identity);
		return 0;
	}
	b = BIO_new(BIO_s_mem());
	if (!b)
		return -ENOMEM;
	X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
	n = BIO_read(b, subject, (int)size - 1);
	BIO_free(b);
	subject[n > 0 ? n : 0] = '\0';
	return cert_sans(cert, sans, nsans);
}

void tls_sans_free(char **sans, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(sans[i]);
	free(sans);
}

int tls_wrap_secret(SSL *ssl, uint8_t out[TLS_EXPORTER_LEN])
{
	return SSL_export_keying_material(ssl, out, TLS_EXPORTER_LEN, TLS_WRAP_LABEL,
					  strlen(TLS_WRAP_LABEL), NULL, 0, 0) == 1 ? 0 : -EIO;
}
