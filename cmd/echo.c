/*
 * echo - `echolot echo`: the RFC 862 echo client, the hardened server
 * (--serve) and the exposure check of ports 7 and 19 (--check).
 *
 * This file parses options, runs one of the three engines in lib/ and
 * renders their results; it never touches packet bytes.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "commands.h"
#include "echo_check.h"
#include "echo_cli.h"
#include "echo_rules.h"
#include "echo_srv.h"
#include "loop.h"
#include "opts.h"
#include "output.h"
#include "priv.h"
#include "sock.h"
#include "stats.h"

enum {
	O_SERVE = 1,
	O_CHECK,
	O_UDP,
	O_PORT,
	O_COUNT,
	O_SIZE,
	O_PATTERN,
	O_INTERVAL,
	O_TIMEOUT,
	O_QUIET,
	O_IPV4,
	O_IPV6,
	O_JSON,
	O_LISTEN,
	O_USER,
	O_RATE,
	O_BURST,
	O_GLOBAL_RATE,
	O_MAX_DATAGRAM,
	O_REFUSE_PORT,
	O_MAX_CONNS,
	O_MAX_CONNS_SOURCE,
	O_IDLE,
	O_TCP_BUFFER,
	O_NO_TCP,
	O_NO_UDP,
	O_CHARGEN_PORT,
	O_NUM
};

#define F(id) (1ull << (id))
/* Options that belong to one mode only. */
#define ECHO_SERVE_ONLY                                                        \
	(F(O_LISTEN) | F(O_USER) | F(O_RATE) | F(O_BURST) | F(O_GLOBAL_RATE) | \
	 F(O_MAX_DATAGRAM) | F(O_REFUSE_PORT) | F(O_MAX_CONNS) |               \
	 F(O_MAX_CONNS_SOURCE) | F(O_IDLE) | F(O_TCP_BUFFER) | F(O_NO_TCP) |   \
	 F(O_NO_UDP))
#define ECHO_CLIENT_ONLY                                                       \
	(F(O_UDP) | F(O_COUNT) | F(O_SIZE) | F(O_PATTERN) | F(O_INTERVAL) |    \
	 F(O_QUIET))
#define ECHO_CHECK_ONLY (F(O_CHARGEN_PORT))

static const struct opts_def echo_defs[] = {
	{O_SERVE, 0, "serve", OPTS_FLAG, NULL, 0, 0, NULL,
	 "run the hardened echo server (TCP and UDP)", 0},
	{O_CHECK, 0, "check", OPTS_FLAG, NULL, 0, 0, NULL,
	 "check HOSTs for exposed echo (7) and chargen (19) services", 0},
	{O_UDP, 'u', "udp", OPTS_FLAG, NULL, 0, 0, NULL,
	 "client: use UDP (default TCP)", 0},
	{O_PORT, 'P', "port", OPTS_PORT, "PORT", 1, 65535, NULL,
	 "echo port (default 7)", 0},
	{O_COUNT, 'c', "count", OPTS_INT, "COUNT", 0, 1e12, NULL,
	 "client: send COUNT payloads (default 5, 0 = until interrupted)", 0},
	{O_SIZE, 's', "size", OPTS_INT, "BYTES", 0, 16777216, NULL,
	 "client: payload size (default 64; UDP at most 65507)", 0},
	{O_PATTERN, 'p', "pattern", OPTS_STRING, "HEX", 0, 0, NULL,
	 "client: fill payloads with this pattern (default random bytes)", 0},
	{O_INTERVAL, 'i', "interval", OPTS_DURATION, "SECONDS", 0, 3600, NULL,
	 "client: time between payloads (default 1s)", 0},
	{O_TIMEOUT, 'W', "timeout", OPTS_DURATION, "SECONDS", 0.001, 600, NULL,
	 "time to wait for a reply or a connection (default 2s)", 0},
	{O_QUIET, 'q', "quiet", OPTS_FLAG, NULL, 0, 0, NULL,
	 "client: only the summary", 0},
	{O_IPV4, '4', NULL, OPTS_FLAG, NULL, 0, 0, NULL,
	 "resolve HOST to IPv4 only", 0},
	{O_IPV6, '6', NULL, OPTS_FLAG, NULL, 0, 0, NULL,
	 "resolve HOST to IPv6 only", 0},
	{O_JSON, 0, "json", OPTS_FLAG, NULL, 0, 0, NULL,
	 "JSON output (client summary, check report, server counters)", 0},
	{O_LISTEN, 0, "listen", OPTS_STRING, "ADDR[:PORT]", 0, 0, NULL,
	 "serve: listen here (repeatable; [::1]:7007; default 127.0.0.1 "
	 "and ::1)",
	 OPTS_REPEAT},
	{O_USER, 0, "user", OPTS_USER, "USER", 0, 0, NULL,
	 "serve: run as USER after binding (default nobody)", 0},
	{O_RATE, 0, "rate", OPTS_NUM, "N", 0.001, 1e7, NULL,
	 "serve: UDP replies/s per source (default 50)", 0},
	{O_BURST, 0, "burst", OPTS_NUM, "N", 1, 1e7, NULL,
	 "serve: UDP replies a source may save up (default 100)", 0},
	{O_GLOBAL_RATE, 0, "global-rate", OPTS_NUM, "N", 0.001, 1e8, NULL,
	 "serve: UDP replies/s for all sources together (default 2000)", 0},
	{O_MAX_DATAGRAM, 0, "max-datagram", OPTS_INT, "BYTES", 1, 65507, NULL,
	 "serve: drop longer datagrams (default 1472)", 0},
	{O_REFUSE_PORT, 0, "refuse-port", OPTS_STRING, "LIST", 0, 0, NULL,
	 "serve: never answer these UDP source ports too (53,5000-5010)",
	 OPTS_REPEAT},
	{O_MAX_CONNS, 0, "max-conns", OPTS_INT, "N", 1, 100000, NULL,
	 "serve: TCP connections at once (default 256)", 0},
	{O_MAX_CONNS_SOURCE, 0, "max-conns-per-source", OPTS_INT, "N", 1,
	 100000, NULL, "serve: TCP connections per source address (default 16)",
	 0},
	{O_IDLE, 0, "idle-timeout", OPTS_DURATION, "SECONDS", 0.01, 86400, NULL,
	 "serve: close TCP connections idle this long (default 60s)", 0},
	{O_TCP_BUFFER, 0, "tcp-buffer", OPTS_INT, "BYTES", 512, 16777216, NULL,
	 "serve: bytes buffered per TCP connection (default 65536)", 0},
	{O_NO_TCP, 0, "no-tcp", OPTS_FLAG, NULL, 0, 0, NULL, "serve: UDP only",
	 0},
	{O_NO_UDP, 0, "no-udp", OPTS_FLAG, NULL, 0, 0, NULL, "serve: TCP only",
	 0},
	{O_CHARGEN_PORT, 0, "chargen-port", OPTS_PORT, "PORT", 1, 65535, NULL,
	 "check: chargen port (default 19)", 0},
};

const struct opts_cmd cmd_echo_opts = {
	.name = "echo",
	.usage = "[options] HOST | --serve [options] | --check HOST...",
	.summary = "RFC 862 echo client, hardened echo server, exposure check",
	.arg_kind = OPTS_HOST,
	.defs = echo_defs,
	.ndefs = sizeof(echo_defs) / sizeof(echo_defs[0]),
};

#define ECHO_HOSTS_MAX 64

struct echo_opts {
	unsigned long long given;
	int family;
	bool json, quiet;
	uint16_t port;
	double timeout;
	const char *hosts[ECHO_HOSTS_MAX];
	size_t nhosts;
	/* client */
	struct echo_cli_cfg cli;
	/* server */
	struct echo_srv_cfg srv;
	const char *user;
	/* check */
	uint16_t chargen_port;
};

/* The --serve and --check options. */
static int echo_on_serve_opt(struct echo_opts *o, const struct opts_def *def,
			     const struct opts_val *val, char *err,
			     size_t errlen)
{
	switch (def->id) {
	case O_LISTEN:
		if (o->srv.nlisten >= ECHO_SRV_LISTEN_MAX) {
			snprintf(err, errlen, "--listen: at most %d addresses",
				 ECHO_SRV_LISTEN_MAX);
			return -1;
		}
		/* The port comes later (-P may follow); 0 marks "default". */
		return echo_parse_listen(val->str, 0,
					 &o->srv.listen[o->srv.nlisten++], err,
					 errlen);
	case O_USER:
		o->user = val->str;
		break;
	case O_RATE:
		o->srv.rate = val->num;
		break;
	case O_BURST:
		o->srv.burst = val->num;
		break;
	case O_GLOBAL_RATE:
		o->srv.global_rate = val->num;
		break;
	case O_MAX_DATAGRAM:
		o->srv.max_datagram = (size_t)val->i;
		break;
	case O_REFUSE_PORT:
		if (echo_ports_add(&o->srv.refused, val->str, err, errlen) <
		    0) {
			char tmp[200];

			snprintf(tmp, sizeof(tmp), "--refuse-port: %s", err);
			snprintf(err, errlen, "%s", tmp);
			return -1;
		}
		break;
	case O_MAX_CONNS:
		o->srv.max_conns = (size_t)val->i;
		break;
	case O_MAX_CONNS_SOURCE:
		o->srv.max_conns_source = (size_t)val->i;
		break;
	case O_IDLE:
		o->srv.idle_timeout = val->num;
		break;
	case O_TCP_BUFFER:
		o->srv.tcp_buffer = (size_t)val->i;
		break;
	case O_NO_TCP:
		o->srv.tcp = false;
		break;
	case O_NO_UDP:
		o->srv.udp = false;
		break;
	case O_CHARGEN_PORT:
		o->chargen_port = (uint16_t)val->i;
		break;
	default:
		break;
	}
	return 0;
}

static int echo_on_opt(void *ctx, const struct opts_def *def,
		       const struct opts_val *val, char *err, size_t errlen)
{
	struct echo_opts *o = ctx;

	if (!def) {
		if (o->nhosts >= ECHO_HOSTS_MAX) {
			snprintf(err, errlen, "too many hosts (at most %d)",
				 ECHO_HOSTS_MAX);
			return -1;
		}
		o->hosts[o->nhosts++] = val->str;
		return 0;
	}
	o->given |= F(def->id);
	switch (def->id) {
	case O_UDP:
		o->cli.udp = true;
		break;
	case O_PORT:
		o->port = (uint16_t)val->i;
		break;
	case O_COUNT:
		o->cli.count = (uint64_t)val->i;
		break;
	case O_SIZE:
		o->cli.size = (size_t)val->i;
		break;
	case O_PATTERN:
		return echo_payload_pattern(&o->cli.payload, val->str, err,
					    errlen);
	case O_INTERVAL:
		o->cli.interval = val->num;
		break;
	case O_TIMEOUT:
		o->timeout = val->num;
		break;
	case O_QUIET:
		o->quiet = true;
		break;
	case O_IPV4:
		o->family = AF_INET;
		break;
	case O_IPV6:
		o->family = AF_INET6;
		break;
	case O_JSON:
		o->json = true;
		break;
	default:
		return echo_on_serve_opt(o, def, val, err, errlen);
	}
	return 0;
}

static int echo_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int echo_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "echolot echo: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* The first option of mask that was given, for the error message. */
static const char *echo_first_given(const struct echo_opts *o,
				    unsigned long long mask, char *buf,
				    size_t len)
{
	size_t i;

	for (i = 0; i < cmd_echo_opts.ndefs; i++) {
		const struct opts_def *d = &echo_defs[i];

		if (!((o->given & mask) & F(d->id)))
			continue;
		if (d->long_name)
			snprintf(buf, len, "--%s", d->long_name);
		else
			snprintf(buf, len, "-%c", d->short_name);
		return buf;
	}
	return "?";
}

/* Options of one mode given in another are mistakes worth a line. */
static int echo_check_modes(const struct echo_opts *o)
{
	bool serve = o->given & F(O_SERVE), check = o->given & F(O_CHECK);
	char name[48];

	if (serve && check)
		return echo_usage_error("%s", "--serve and --check exclude "
					      "each other");
	if (!serve && (o->given & ECHO_SERVE_ONLY))
		return echo_usage_error("%s needs --serve",
					echo_first_given(o, ECHO_SERVE_ONLY,
							 name, sizeof(name)));
	if ((serve || check) && (o->given & ECHO_CLIENT_ONLY))
		return echo_usage_error(
			"%s is a client option (not with --serve or --check)",
			echo_first_given(o, ECHO_CLIENT_ONLY, name,
					 sizeof(name)));
	if (!check && (o->given & ECHO_CHECK_ONLY))
		return echo_usage_error("%s needs --check",
					echo_first_given(o, ECHO_CHECK_ONLY,
							 name, sizeof(name)));
	if (serve && o->nhosts)
		return echo_usage_error("unexpected argument '%s' (--serve "
					"takes --listen ADDR[:PORT])",
					o->hosts[0]);
	if (serve && !o->srv.tcp && !o->srv.udp)
		return echo_usage_error("%s", "--no-tcp and --no-udp leave "
					      "nothing to serve");
	if (!serve && o->nhosts == 0)
		return echo_usage_error("%s", "no HOST given (see 'echolot "
					      "echo --help')");
	if (!serve && !check && o->nhosts > 1)
		return echo_usage_error("only one HOST for the client, got "
					"'%s' too (--check takes several)",
					o->hosts[1]);
	return 0;
}

/* ================================================================ server */

struct echo_serve_ctx {
	struct echo_srv srv;
	bool json;
};

static void echo_write_counters(const struct echo_srv *s, bool json)
{
	if (json) {
		struct json_writer w;

		json_init(&w, stdout, JSON_NDJSON);
		echo_srv_json_counters(&w, &s->c);
		if (json_status(&w) < 0)
			fprintf(stderr, "echolot echo: cannot write JSON\n");
		fflush(stdout);
		return;
	}
	echo_srv_write_counters(&s->c, stdout);
}

static void echo_serve_signal(struct loop *l, int signo, void *arg)
{
	struct echo_serve_ctx *ctx = arg;

	if (signo == SIGUSR1)
		echo_write_counters(&ctx->srv, ctx->json);
	else if (signo == SIGTERM || signo == SIGINT)
		loop_stop(l, 0);
}

/* The default addresses, and -P (or 7) for every --listen without port. */
static void echo_serve_addresses(struct echo_opts *o)
{
	uint16_t port = o->port ? o->port : ECHO_SRV_DEF_PORT;
	char err[128];
	size_t i;

	if (o->srv.nlisten == 0) {
		if (echo_parse_listen("127.0.0.1", 0, &o->srv.listen[0], err,
				      sizeof(err)) == 0)
			o->srv.nlisten++;
		if (echo_parse_listen("::1", 0, &o->srv.listen[o->srv.nlisten],
				      err, sizeof(err)) == 0)
			o->srv.nlisten++;
	}
	for (i = 0; i < o->srv.nlisten; i++)
		if (sock_port(&o->srv.listen[i]) == 0)
			sock_set_port(&o->srv.listen[i], port);
}

/* Room for every connection the caps allow, or a clear error. */
static int echo_serve_fd_limit(size_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need) {
		fprintf(stderr,
			"echolot echo: --max-conns needs %zu descriptors, the "
			"limit is %llu (ulimit -n)\n",
			need, (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

static int echo_serve_drop(const struct echo_opts *o)
{
	char err[256];
	const char *user = o->user;

	/* Only root can become another user; anyone else keeps being who
	 * they are, minus every capability. */
	if (!user && geteuid() == 0)
		user = "nobody";
	if (priv_drop(user, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "echolot echo: %s\n", err);
		return -1;
	}
	return 0;
}

static void echo_serve_banner(const struct echo_srv *s)
{
	char name[80];
	size_t i;

	fprintf(stderr, "echolot echo: serving");
	for (i = 0; i < s->cfg.nlisten; i++)
		fprintf(stderr, " %s",
			echo_addr_str(
				(const struct sockaddr *)&s->cfg.listen[i].ss,
				name, sizeof(name)));
	fprintf(stderr, " (%s%s%s) as uid %u\n", s->cfg.tcp ? "tcp" : "",
		s->cfg.tcp && s->cfg.udp ? ", " : "", s->cfg.udp ? "udp" : "",
		(unsigned)geteuid());
	fflush(stderr);
}

static int echo_serve(struct echo_opts *o)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGUSR1};
	struct echo_serve_ctx ctx;
	struct loop l;
	char err[256];
	size_t nfds;
	int rc;

	echo_serve_addresses(o);
	o->srv.log = stderr;
	memset(&ctx, 0, sizeof(ctx));
	ctx.json = o->json;
	if (echo_srv_open(&ctx.srv, &o->srv, err, sizeof(err)) < 0) {
		fprintf(stderr, "echolot echo: %s\n", err);
		return 2;
	}
	nfds = o->srv.max_conns + 2 * o->srv.nlisten + 32;
	if (echo_serve_drop(o) < 0 || echo_serve_fd_limit(nfds) < 0) {
		echo_srv_close(&ctx.srv);
		return 2;
	}
	if (loop_init(&l, 8, nfds) < 0) {
		fprintf(stderr, "echolot echo: event loop: %s\n",
			strerror(errno));
		echo_srv_close(&ctx.srv);
		return 2;
	}
	if (loop_signals(&l, sigs, 3, echo_serve_signal, &ctx) < 0 ||
	    echo_srv_start(&ctx.srv, &l, err, sizeof(err)) < 0) {
		fprintf(stderr, "echolot echo: %s\n",
			err[0] ? err : strerror(errno));
		echo_srv_close(&ctx.srv);
		loop_free(&l);
		return 2;
	}
	echo_serve_banner(&ctx.srv);
	rc = loop_run(&l) < 0 ? 2 : 0;
	if (rc)
		fprintf(stderr, "echolot echo: event loop: %s\n",
			strerror(errno));
	echo_srv_close(&ctx.srv);
	echo_write_counters(&ctx.srv, ctx.json);
	loop_free(&l);
	return rc;
}

/* ================================================================ client */

struct echo_client_ctx {
	struct echo_opts *o;
	char peer[80];
	const char *proto;
};

static double echo_ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* One line per event, ping style. */
static void echo_client_event(void *arg, const struct echo_cli_ev *ev)
{
	struct echo_client_ctx *ctx = arg;

	if (ctx->o->quiet || ctx->o->json)
		return;
	switch (ev->kind) {
	case ECHO_EV_CONNECTED:
		printf("connected to %s (tcp) in %.3f ms\n", ctx->peer,
		       echo_ms(ev->rtt_ns));
		break;
	case ECHO_EV_REPLY:
		if (ev->rtt_ns < 0)
			printf("%zu bytes from %s (%s): seq=%llu\n", ev->len,
			       ctx->peer, ctx->proto,
			       (unsigned long long)ev->seq);
		else
			printf("%zu bytes from %s (%s): seq=%llu time=%.3f "
			       "ms\n",
			       ev->len, ctx->peer, ctx->proto,
			       (unsigned long long)ev->seq,
			       echo_ms(ev->rtt_ns));
		break;
	case ECHO_EV_DUP:
		printf("%zu bytes from %s (%s): seq=%llu time=%.3f ms (DUP!)\n",
		       ev->len, ctx->peer, ctx->proto,
		       (unsigned long long)ev->seq, echo_ms(ev->rtt_ns));
		break;
	case ECHO_EV_MISMATCH:
		if (ev->short_reply)
			printf("seq=%llu: MISMATCH: %zu bytes back for %zu "
			       "sent, first difference at byte %zu\n",
			       (unsigned long long)ev->seq, ev->len,
			       ctx->o->cli.size, ev->offset);
		else
			printf("seq=%llu: MISMATCH at byte %zu: got 0x%02x, "
			       "sent 0x%02x\n",
			       (unsigned long long)ev->seq, ev->offset, ev->got,
			       ev->want);
		break;
	case ECHO_EV_TIMEOUT:
		printf("seq=%llu: no reply within %gs\n",
		       (unsigned long long)ev->seq, ctx->o->cli.timeout);
		break;
	case ECHO_EV_ICMP:
		printf("seq=%llu: %s (ICMP error)\n",
		       (unsigned long long)ev->seq, strerror(ev->err));
		break;
	case ECHO_EV_CLOSED:
		printf("seq=%llu: the server closed the connection after %zu "
		       "of %zu bytes\n",
		       (unsigned long long)ev->seq, ev->len, ctx->o->cli.size);
		break;
	}
	fflush(stdout);
}

static void echo_client_text(const struct echo_client_ctx *ctx,
			     const struct echo_cli_result *r,
			     const struct stats_summary *sum)
{
	printf("\n--- %s echo statistics (%s) ---\n", ctx->o->hosts[0],
	       ctx->proto);
	stats_render_nping(stdout, sum, STATS_NPING_TIMES | STATS_NPING_EXTRA);
	printf("Intact: %llu of %llu | Mismatched: %llu | Timed out: %llu",
	       (unsigned long long)r->intact, (unsigned long long)r->sent,
	       (unsigned long long)r->mismatches,
	       (unsigned long long)r->timeouts);
	if (r->have_mismatch)
		printf(" | First mismatch: seq=%llu byte %zu",
		       (unsigned long long)r->mm_seq, r->mm_offset);
	printf("\n");
	if (r->error)
		printf("%s\n", r->errmsg);
}

static void echo_client_json(const struct echo_client_ctx *ctx,
			     const struct echo_cli_result *r,
			     const struct stats_summary *sum, int status)
{
	struct json_writer w;

	json_init(&w, stdout, JSON_NDJSON);
	json_begin_object(&w);
	json_kv_int(&w, "version", 1);
	json_kv_string(&w, "type", "echo");
	json_kv_string(&w, "target", ctx->o->hosts[0]);
	json_kv_string(&w, "address", ctx->peer);
	json_kv_string(&w, "protocol", ctx->proto);
	json_kv_uint(&w, "size", ctx->o->cli.size);
	json_kv_uint(&w, "requests", r->sent);
	json_kv_uint(&w, "intact", r->intact);
	json_kv_uint(&w, "mismatched", r->mismatches);
	json_kv_uint(&w, "timed_out", r->timeouts);
	if (r->have_mismatch) {
		json_key(&w, "first_mismatch");
		json_begin_object(&w);
		json_kv_uint(&w, "seq", r->mm_seq);
		json_kv_uint(&w, "offset", r->mm_offset);
		json_end_object(&w);
	} else {
		json_kv_null(&w, "first_mismatch");
	}
	if (r->connected)
		json_kv_double(&w, "connect_ms", echo_ms(r->connect_ns), 3);
	json_kv_string(&w, "error", r->error ? r->errmsg : NULL);
	stats_json_fields(&w, sum);
	json_kv_int(&w, "exit", status);
	json_end_object(&w);
	if (json_status(&w) < 0)
		fprintf(stderr, "echolot echo: cannot write JSON\n");
}

static void echo_client_signal(struct loop *l, int signo, void *arg)
{
	(void)signo;
	(void)arg;
	loop_stop(l, 0);
}

static int echo_client_cfg(struct echo_opts *o, struct echo_client_ctx *ctx)
{
	char err[256];

	if (sock_resolve(o->hosts[0], o->family, false, &o->cli.dst, err,
			 sizeof(err)) < 0) {
		fprintf(stderr, "echolot echo: %s\n", err);
		return 2;
	}
	sock_set_port(&o->cli.dst, o->port ? o->port : 7);
	if (o->cli.udp && o->cli.size > 65507)
		return echo_usage_error("-s: %s", "a UDP payload is at most "
						  "65507 bytes");
	o->cli.timeout = o->timeout;
	if (!o->cli.payload.plen) {
		o->cli.payload.random = true;
		o->cli.payload.seed = (uint64_t)sock_realtime_ns() ^
				      ((uint64_t)getpid() << 32);
	}
	echo_addr_str((const struct sockaddr *)&o->cli.dst.ss, ctx->peer,
		      sizeof(ctx->peer));
	ctx->proto = o->cli.udp ? "udp" : "tcp";
	ctx->o = o;
	return 0;
}

static int echo_client(struct echo_opts *o)
{
	static const int sigs[] = {SIGINT, SIGTERM};
	struct echo_client_ctx ctx;
	struct stats_summary sum;
	struct echo_cli *c;
	struct loop l;
	int rc;

	rc = echo_client_cfg(o, &ctx);
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c || loop_init(&l, 8, 64) < 0) {
		fprintf(stderr, "echolot echo: out of memory\n");
		free(c);
		return 2;
	}
	if (loop_signals(&l, sigs, 2, echo_client_signal, NULL) < 0 ||
	    echo_cli_start(c, &l, &o->cli, echo_client_event, &ctx) < 0) {
		fprintf(stderr, "echolot echo: %s\n",
			c->res.errmsg[0] ? c->res.errmsg : strerror(errno));
		echo_cli_finish(c);
		loop_free(&l);
		free(c);
		return 2;
	}
	if (loop_run(&l) < 0)
		fprintf(stderr, "echolot echo: event loop: %s\n",
			strerror(errno));
	echo_cli_finish(c);
	rc = echo_cli_status(&c->res);
	stats_summarize(&c->res.st, &sum);
	if (o->json)
		echo_client_json(&ctx, &c->res, &sum, rc);
	else
		echo_client_text(&ctx, &c->res, &sum);
	loop_free(&l);
	free(c);
	return fflush(stdout) == 0 ? rc : 2;
}

/* ================================================================= check */

static void echo_check_text_refl(const struct echo_reflector *rf)
{
	size_t i;

	printf("  udp echo as a reflector:\n");
	for (i = 0; i < ECHO_REFL_PORTS; i++)
		printf("    from source port %-4u %s\n", rf->src_port[i],
		       rf->from_port[i].note);
	printf("    zero-length datagram   %s\n", rf->empty.note);
	printf("    %d-byte datagram     %s%s\n", ECHO_BIG_DATAGRAM,
	       rf->big.note, rf->truncates ? " (TRUNCATED)" : "");
	printf("    reply/request bytes    %.2f\n", rf->byte_ratio);
	printf("    replies/s              %.0f (%llu of %llu answered over "
	       "%.1fs)\n",
	       rf->replies_per_s, (unsigned long long)rf->rate_back,
	       (unsigned long long)rf->rate_sent, rf->rate_secs);
}

static void echo_check_advice(const struct echo_host_report *rep)
{
	if (!rep->exposed)
		return;
	printf("  advice: disable echo and chargen where they run (xinetd: "
	       "'disable = yes' in /etc/xinetd.d/echo and chargen, inetd: "
	       "comment out their lines);\n"
	       "          block ports 7 and 19, TCP and UDP, at the "
	       "perimeter; filter spoofed sources at the edge (BCP 38);\n"
	       "          if an echo service is needed, 'echolot echo "
	       "--serve' refuses service source ports and rate-limits "
	       "replies\n");
}

static void echo_check_text(const struct echo_host_report *rep)
{
	size_t i;

	printf("%s (%s)\n", rep->host, rep->addr);
	for (i = 0; i < 4; i++) {
		const struct echo_port_result *r = &rep->port[i];
		char name[16];

		snprintf(name, sizeof(name), "%s/%u", r->udp ? "udp" : "tcp",
			 (unsigned)r->port);
		printf("  %-9s %-8s %-14s %s", name,
		       r->svc == ECHO_SVC_ECHO ? "echo" : "chargen",
		       echo_state_name(r->state), r->evidence);
		if (r->sample_len) {
			fputs(": ", stdout);
			char text[4 * sizeof(r->sample) + 3];

			echo_sample_text(r->sample, r->sample_len, text,
					 sizeof(text));
			fputs(text, stdout);
		}
		putchar('\n');
	}
	if (rep->refl.tested)
		echo_check_text_refl(&rep->refl);
	printf("  risk: %s - %s\n", echo_risk_name(rep->risk), rep->reason);
	echo_check_advice(rep);
}

static void echo_json_test(struct json_writer *w, const char *key,
			   const struct echo_refl_test *t)
{
	json_key(w, key);
	json_begin_object(w);
	if (t->answered < 0)
		json_kv_null(w, "answered");
	else
		json_kv_bool(w, "answered", t->answered == 1);
	json_kv_uint(w, "sent", t->sent);
	json_kv_uint(w, "back", t->back);
	json_kv_string(w, "note", t->note);
	json_end_object(w);
}

static void echo_check_json_refl(struct json_writer *w,
				 const struct echo_reflector *rf)
{
	char key[32];
	size_t i;

	json_key(w, "reflector");
	if (!rf->tested) {
		json_null(w);
		return;
	}
	json_begin_object(w);
	for (i = 0; i < ECHO_REFL_PORTS; i++) {
		snprintf(key, sizeof(key), "from_port_%u", rf->src_port[i]);
		echo_json_test(w, key, &rf->from_port[i]);
	}
	echo_json_test(w, "zero_length", &rf->empty);
	echo_json_test(w, "big_datagram", &rf->big);
	json_kv_bool(w, "truncates", rf->truncates);
	json_kv_double(w, "byte_ratio", rf->byte_ratio, 3);
	json_kv_uint(w, "rate_sent", rf->rate_sent);
	json_kv_uint(w, "rate_answered", rf->rate_back);
	json_kv_double(w, "replies_per_s", rf->replies_per_s, 1);
	json_end_object(w);
}

static void echo_check_json(const struct echo_host_report *rep)
{
	struct json_writer w;
	size_t i;

	json_init(&w, stdout, JSON_NDJSON);
	json_begin_object(&w);
	json_kv_int(&w, "version", 1);
	json_kv_string(&w, "type", "echo-check");
	json_kv_string(&w, "host", rep->host);
	json_kv_string(&w, "address", rep->addr);
	json_key(&w, "ports");
	json_begin_array(&w);
	for (i = 0; i < 4; i++) {
		const struct echo_port_result *r = &rep->port[i];

		json_begin_object(&w);
		json_kv_string(&w, "protocol", r->udp ? "udp" : "tcp");
		json_kv_uint(&w, "port", r->port);
		json_kv_string(&w, "service",
			       r->svc == ECHO_SVC_ECHO ? "echo" : "chargen");
		json_kv_string(&w, "state", echo_state_name(r->state));
		json_kv_string(&w, "evidence", r->evidence);
		json_kv_uint(&w, "bytes_sent", r->bytes_sent);
		json_kv_uint(&w, "bytes_back", r->bytes_back);
		json_key(&w, "sample");
		json_string_len(&w, (const char *)r->sample, r->sample_len);
		json_end_object(&w);
	}
	json_end_array(&w);
	echo_check_json_refl(&w, &rep->refl);
	json_kv_double(&w, "chargen_ratio", rep->chargen_ratio, 2);
	json_kv_string(&w, "risk", echo_risk_name(rep->risk));
	json_kv_string(&w, "reason", rep->reason);
	json_kv_bool(&w, "exposed", rep->exposed);
	json_end_object(&w);
	if (json_status(&w) < 0)
		fprintf(stderr, "echolot echo: cannot write JSON\n");
}

static int echo_check_run(struct echo_opts *o)
{
	struct echo_check_cfg cfg = {
		.family = o->family,
		.echo_port = o->port ? o->port : 7,
		.chargen_port = o->chargen_port,
		.timeout = o->timeout,
		.rate_window = 1.0,
	};
	struct echo_host_report rep;
	bool exposed = false;
	char err[256];
	size_t i;

	/* Resolve every host first: a typo is a usage error, not a finding. */
	for (i = 0; i < o->nhosts; i++) {
		struct sock_addr a;

		if (sock_resolve(o->hosts[i], o->family, false, &a, err,
				 sizeof(err)) < 0) {
			fprintf(stderr, "echolot echo: %s\n", err);
			return 2;
		}
	}
	for (i = 0; i < o->nhosts; i++) {
		if (echo_check_host(&cfg, o->hosts[i], &rep, err, sizeof(err)) <
		    0) {
			fprintf(stderr, "echolot echo: %s\n", err);
			return 2;
		}
		if (o->json)
			echo_check_json(&rep);
		else
			echo_check_text(&rep);
		fflush(stdout);
		exposed |= rep.exposed;
	}
	return exposed ? 1 : 0;
}

/* ================================================================= main */

static void echo_defaults(struct echo_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout = 2.0;
	o->cli.count = 5;
	o->cli.size = 64;
	o->cli.interval = 1.0;
	echo_srv_cfg_default(&o->srv);
	o->chargen_port = 19;
}

/* The entry point cmd/commands.c lists (CMD_DECLARE there). */
int cmd_echo_main(int argc, char **argv);

int cmd_echo_main(int argc, char **argv)
{
	struct echo_opts *o = calloc(1, sizeof(*o));
	int rc;

	if (!o) {
		fprintf(stderr, "echolot echo: out of memory\n");
		return 2;
	}
	echo_defaults(o);
	rc = cmd_parse(&cmd_echo_opts, argc, argv, echo_on_opt, o);
	if (rc == CMD_CONTINUE)
		rc = echo_check_modes(o);
	else
		goto out;
	if (rc)
		goto out;
	if (o->given & F(O_SERVE))
		rc = echo_serve(o);
	else if (o->given & F(O_CHECK))
		rc = echo_check_run(o);
	else
		rc = echo_client(o);
out:
	free(o);
	return rc;
}
