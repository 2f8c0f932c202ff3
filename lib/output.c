/*
 * output - JSON/NDJSON, Nagios, timestamps, OpenMetrics.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ JSON */

#define JSON_ERR_IO (-1)
#define JSON_ERR_USAGE (-2)

void json_init(struct json_writer *w, FILE *f, unsigned flags)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->flags = flags;
}

int json_status(const struct json_writer *w)
{
	return w->err;
}

static int json_fail(struct json_writer *w, int err)
{
	if (w->err == 0)
		w->err = err;
	return w->err;
}

static int json_put(struct json_writer *w, const char *s, size_t n)
{
	if (n > 0 && fwrite(s, 1, n, w->f) != n)
		return json_fail(w, JSON_ERR_IO);
	return 0;
}

static int json_puts(struct json_writer *w, const char *s)
{
	return json_put(w, s, strlen(s));
}

/* Places a value: a comma between array elements, and in an object only
 * right after a key. */
static int json_before_value(struct json_writer *w)
{
	int d = w->depth - 1;

	if (w->err)
		return w->err;
	if (d < 0)
		return 0;
	if (w->is_obj[d]) {
		if (!w->after_key)
			return json_fail(w, JSON_ERR_USAGE);
		w->after_key = false;
		return 0;
	}
	if (!w->first[d] && json_puts(w, ",") < 0)
		return w->err;
	w->first[d] = false;
	return 0;
}

/* A top-level value is complete: one per line (NDJSON), flushed so a
 * reader sees each record as it happens. */
static int json_after_value(struct json_writer *w)
{
	if (w->err || w->depth > 0)
		return w->err;
	if (json_puts(w, "\n") < 0)
		return w->err;
	if ((w->flags & JSON_NDJSON) && fflush(w->f) != 0)
		return json_fail(w, JSON_ERR_IO);
	return 0;
}

static int json_begin(struct json_writer *w, bool obj)
{
	if (json_before_value(w) < 0)
		return w->err;
	if (w->depth >= JSON_MAX_DEPTH)
		return json_fail(w, JSON_ERR_USAGE);
	if (json_puts(w, obj ? "{" : "[") < 0)
		return w->err;
	w->first[w->depth] = true;
	w->is_obj[w->depth] = obj;
	w->depth++;
	return 0;
}

static int json_end(struct json_writer *w, bool obj)
{
	if (w->err)
		return w->err;
	if (w->depth == 0 || w->is_obj[w->depth - 1] != obj || w->after_key)
		return json_fail(w, JSON_ERR_USAGE);
	w->depth--;
	if (json_puts(w, obj ? "}" : "]") < 0)
		return w->err;
	return json_after_value(w);
}

int json_begin_object(struct json_writer *w)
{
	return json_begin(w, true);
}

int json_end_object(struct json_writer *w)
{
	return json_end(w, true);
}

int json_begin_array(struct json_writer *w)
{
	return json_begin(w, false);
}

int json_end_array(struct json_writer *w)
{
	return json_end(w, false);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* Escapes one byte that cannot go out as it is; 0 when it can. */
static const char *json_escape_of(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		break;
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(tmp, 8, "\\u%04x", c);
		return tmp;
	}
	return NULL;
}

static int json_quoted(struct json_writer *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	char tmp[8];

	if (json_puts(w, "\"") < 0)
		return w->err;
	while (i < len) {
		const char *esc = NULL;
		size_t n = 1;

		if (p[i] >= 0x80) {
			n = utf8_len(p + i, len - i);
			/* Bytes from the wire may not be UTF-8; a JSON
			 * document must be. */
			if (n == 0) {
				esc = "\\ufffd";
				n = 1;
			}
		} else {
			esc = json_escape_of(p[i], tmp);
		}
		if (esc) {
			json_put(w, s + i - run, run);
			json_puts(w, esc);
			run = 0;
		} else {
			run += n;
		}
		i += n;
	}
	json_put(w, s + i - run, run);
	json_puts(w, "\"");
	return w->err;
}

int json_key(struct json_writer *w, const char *key)
{
	int d = w->depth - 1;

	if (w->err)
		return w->err;
	if (d < 0 || !w->is_obj[d] || w->after_key || !key)
		return json_fail(w, JSON_ERR_USAGE);
	if (!w->first[d] && json_puts(w, ",") < 0)
		return w->err;
	w->first[d] = false;
	if (json_quoted(w, key, strlen(key)) < 0 || json_puts(w, ":") < 0)
		return w->err;
	w->after_key = true;
	return 0;
}

int json_string_len(struct json_writer *w, const char *s, size_t len)
{
	if (!s)
		return json_null(w);
	if (json_before_value(w) < 0 || json_quoted(w, s, len) < 0)
		return w->err;
	return json_after_value(w);
}

int json_string(struct json_writer *w, const char *s)
{
	return json_string_len(w, s, s ? strlen(s) : 0);
}

static int json_raw_value(struct json_writer *w, const char *text)
{
	if (json_before_value(w) < 0 || json_puts(w, text) < 0)
		return w->err;
	return json_after_value(w);
}

int json_int(struct json_writer *w, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return json_raw_value(w, buf);
}

int json_uint(struct json_writer *w, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return json_raw_value(w, buf);
}

int json_double(struct json_writer *w, double v, int precision)
{
	char buf[512];

	if (!isfinite(v))
		return json_null(w);
	if (precision < 0)
		precision = 0;
	if (precision > 17)
		precision = 17;
	/* %f of a huge double is long; 512 bytes hold 1e308 with 17
	 * decimals. */
	snprintf(buf, sizeof(buf), "%.*f", precision, v);
	return json_raw_value(w, buf);
}

int json_bool(struct json_writer *w, bool v)
{
	return json_raw_value(w, v ? "true" : "false");
}

int json_null(struct json_writer *w)
{
	return json_raw_value(w, "null");
}

int json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	return json_key(w, key) < 0 ? w->err : json_string(w, s);
}

int json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
	return json_key(w, key) < 0 ? w->err : json_int(w, v);
}

int json_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
	return json_key(w, key) < 0 ? w->err : json_uint(w, v);
}

int json_kv_double(struct json_writer *w, const char *key, double v,
		   int precision)
{
	return json_key(w, key) < 0 ? w->err : json_double(w, v, precision);
}

int json_kv_bool(struct json_writer *w, const char *key, bool v)
{
	return json_key(w, key) < 0 ? w->err : json_bool(w, v);
}

int json_kv_null(struct json_writer *w, const char *key)
{
	return json_key(w, key) < 0 ? w->err : json_null(w);
}

/* --------------------------------------------------------------- Nagios */

const char *out_state_name(int state)
{
	switch (state) {
	case OUT_OK:
		return "OK";
	case OUT_WARNING:
		return "WARNING";
	case OUT_CRITICAL:
		return "CRITICAL";
	default:
		return "UNKNOWN";
	}
}

void out_check_defaults(struct out_check *c)
{
	c->warn = (struct out_threshold){true, 200.0, 40.0};
	c->crit = (struct out_threshold){true, 500.0, 80.0};
}

static void set_err(char *err, size_t errlen, const char *what, const char *tok,
		    size_t toklen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s '%.*s'", what, (int)toklen, tok);
}

/* "RTT_MS,LOSS[%]" exactly, nothing after it. */
static int parse_pair(const char *s, size_t len, struct out_threshold *t)
{
	char buf[64], *end;
	double rtt, loss;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	rtt = strtod(buf, &end);
	if (end == buf || *end != ',' || errno)
		return -1;
	s = end + 1;
	loss = strtod(s, &end);
	if (end == s || errno)
		return -1;
	if (*end == '%')
		end++;
	if (*end != '\0' || !isfinite(rtt) || !isfinite(loss) || rtt < 0 ||
	    loss < 0 || loss > 100)
		return -1;
	t->set = true;
	t->rtt_ms = rtt;
	t->loss_pct = loss;
	return 0;
}

static int parse_one(struct out_check *c, const char *tok, size_t len,
		     char *err, size_t errlen)
{
	struct out_threshold *t;

	if (len > 5 && memcmp(tok, "warn=", 5) == 0)
		t = &c->warn;
	else if (len > 5 && memcmp(tok, "crit=", 5) == 0)
		t = &c->crit;
	else {
		set_err(err, errlen,
			"threshold must be warn=RTT_MS,LOSS% or "
			"crit=RTT_MS,LOSS%, not",
			tok, len);
		return -1;
	}
	if (parse_pair(tok + 5, len - 5, t) < 0) {
		set_err(err, errlen,
			"bad threshold (RTT_MS,LOSS% with loss 0-100)", tok,
			len);
		return -1;
	}
	return 0;
}

int out_check_parse(struct out_check *c, const char *spec, char *err,
		    size_t errlen)
{
	struct out_check tmp = *c;
	const char *p = spec;
	bool any = false;

	while (*p) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n == 0)
			break;
		if (parse_one(&tmp, p, n, err, errlen) < 0)
			return -1;
		any = true;
		p += n;
	}
	if (!any) {
		set_err(err, errlen, "empty threshold", spec, strlen(spec));
		return -1;
	}
	if (tmp.warn.set && tmp.crit.set &&
	    (tmp.warn.rtt_ms > tmp.crit.rtt_ms ||
	     tmp.warn.loss_pct > tmp.crit.loss_pct)) {
		set_err(err, errlen, "warn threshold exceeds crit in", spec,
			strlen(spec));
		return -1;
	}
	*c = tmp;
	return 0;
}

static bool breaches(const struct out_threshold *t, bool have_rtt,
		     double rta_ms, double loss_pct)
{
	if (!t->set)
		return false;
	return (have_rtt && rta_ms >= t->rtt_ms) || loss_pct >= t->loss_pct;
}

int out_check_eval(const struct out_check *c, uint64_t sent, bool have_rtt,
		   double rta_ms, double loss_pct)
{
	if (sent == 0 || !isfinite(loss_pct) || (have_rtt && !isfinite(rta_ms)))
		return OUT_UNKNOWN;
	if (!c)
		return OUT_OK;
	if (breaches(&c->crit, have_rtt, rta_ms, loss_pct))
		return OUT_CRITICAL;
	if (breaches(&c->warn, have_rtt, rta_ms, loss_pct))
		return OUT_WARNING;
	return OUT_OK;
}

/* A percentage without useless zeros: 0, 12.5, 33.333. */
static void fmt_pct(char *buf, size_t len, double v)
{
	char *p;

	snprintf(buf, len, "%.3f", v);
	p = buf + strlen(buf) - 1;
	while (p > buf && *p == '0')
		*p-- = '\0';
	if (p > buf && *p == '.')
		*p = '\0';
}

static void fmt_ms(char *buf, size_t len, bool have, double v)
{
	if (have)
		snprintf(buf, len, "%.3fms", v);
	else
		snprintf(buf, len, "U");
}

/* The plugin output's text part ends at the first '|': a host name must
 * not end it early. */
static int put_sanitized(FILE *f, const char *s)
{
	for (; s && *s; s++)
		if (fputc(*s == '|' || *s == '\n' ? '_' : *s, f) == EOF)
			return -1;
	return 0;
}

int out_nagios_line(FILE *f, const struct out_nagios *n,
		    const struct out_check *c, int state)
{
	char rta[48], rtmin[48], rtmax[48], pl[32];
	char wr[32] = "", cr[32] = "", wl[32] = "", cl[32] = "";
	int r;

	fmt_ms(rta, sizeof(rta), n->have_rtt, n->rta_ms);
	fmt_ms(rtmin, sizeof(rtmin), n->have_rtt, n->rtmin_ms);
	fmt_ms(rtmax, sizeof(rtmax), n->have_rtt, n->rtmax_ms);
	fmt_pct(pl, sizeof(pl), n->loss_pct);
	if (c && c->warn.set) {
		snprintf(wr, sizeof(wr), "%.3f", c->warn.rtt_ms);
		fmt_pct(wl, sizeof(wl), c->warn.loss_pct);
	}
	if (c && c->crit.set) {
		snprintf(cr, sizeof(cr), "%.3f", c->crit.rtt_ms);
		fmt_pct(cl, sizeof(cl), c->crit.loss_pct);
	}
	if (put_sanitized(f, n->service ? n->service : "PING") < 0 ||
	    fprintf(f, " %s - ", out_state_name(state)) < 0 ||
	    put_sanitized(f, n->host) < 0)
		return -1;
	if (n->have_rtt && fprintf(f, " rta %s", rta) < 0)
		return -1;
	r = fprintf(f,
		    " lost %s%%|rta=%s;%s;%s;0; pl=%s%%;%s;%s;0;100 "
		    "rtmin=%s;;;0; rtmax=%s;;;0;\n",
		    pl, rta, wr, cr, pl, wl, cl, rtmin, rtmax);
	return r < 0 ? -1 : 0;
}

/* ----------------------------------------------------------- timestamps */

int out_ts_parse(const char *name, enum out_ts_format *fmt)
{
	if (strcmp(name, "epoch") == 0)
		*fmt = OUT_TS_EPOCH;
	else if (strcmp(name, "iso") == 0)
		*fmt = OUT_TS_ISO;
	else if (strcmp(name, "rel") == 0)
		*fmt = OUT_TS_REL;
	else
		return -1;
	return 0;
}

/* Seconds and microseconds, rounding toward minus infinity so a negative
 * time still has 0 <= us < 10^6. */
static void split_us(int64_t ns, long long *sec, long *us)
{
	int64_t s = ns / 1000000000, rem = ns % 1000000000;

	if (rem < 0) {
		rem += 1000000000;
		s--;
	}
	*sec = s;
	*us = (long)(rem / 1000);
}

static int ts_iso(char *buf, size_t len, int64_t realtime_ns)
{
	long long sec;
	long us, off;
	time_t t;
	struct tm tm;
	char date[32];

	split_us(realtime_ns, &sec, &us);
	t = (time_t)sec;
	if (!localtime_r(&t, &tm) ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -1;
	off = tm.tm_gmtoff / 60;
	return snprintf(buf, len, "[%s.%06ld%c%02ld:%02ld]", date, us,
			off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

int out_timestamp(char *buf, size_t len, enum out_ts_format fmt,
		  int64_t realtime_ns, int64_t rel_ns)
{
	long long sec;
	long us;

	switch (fmt) {
	case OUT_TS_EPOCH:
		split_us(realtime_ns, &sec, &us);
		return snprintf(buf, len, "[%lld.%06ld]", sec, us);
	case OUT_TS_ISO:
		return ts_iso(buf, len, realtime_ns);
	case OUT_TS_REL:
		if (rel_ns < 0) {
			split_us(-rel_ns, &sec, &us);
			return snprintf(buf, len, "[-%lld.%06ld]", sec, us);
		}
		split_us(rel_ns, &sec, &us);
		return snprintf(buf, len, "[+%lld.%06ld]", sec, us);
	}
	return -1;
}

/* ---------------------------------------------------------- OpenMetrics */

static void metrics_free(struct out_metrics *m)
{
	free(m->path);
	free(m->tmp);
	m->path = m->tmp = NULL;
	m->f = NULL;
}

int out_metrics_open(struct out_metrics *m, const char *path)
{
	int fd, saved;
	size_t n = strlen(path);

	memset(m, 0, sizeof(*m));
	m->path = strdup(path);
	m->tmp = malloc(n + sizeof(".tmp.XXXXXX"));
	if (!m->path || !m->tmp) {
		metrics_free(m);
		errno = ENOMEM;
		return -1;
	}
	memcpy(m->tmp, path, n);
	memcpy(m->tmp + n, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	fd = mkstemp(m->tmp);
	if (fd < 0)
		goto fail;
	/* mkstemp makes 0600; the textfile collector runs as another user. */
	if (fchmod(fd, 0644) < 0 || !(m->f = fdopen(fd, "w"))) {
		saved = errno;
		close(fd);
		unlink(m->tmp);
		errno = saved;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	metrics_free(m);
	errno = saved;
	return -1;
}

static int metrics_check(struct out_metrics *m, int r)
{
	if (r < 0 && m->err == 0)
		m->err = errno ? errno : EIO;
	return r < 0 ? -1 : 0;
}

/* Escapes for HELP text and label values: backslash, newline and (in
 * label values) the double quote. */
static int put_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		int r;

		if (*s == '\\')
			r = fputs("\\\\", f);
		else if (*s == '\n')
			r = fputs("\\n", f);
		else if (quote && *s == '"')
			r = fputs("\\\"", f);
		else
			r = fputc(*s, f);
		if (r == EOF)
			return -1;
	}
	return 0;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; label names without ':'.
 * A bad name would make the collector reject the whole file. */
static bool metric_name_ok(const char *s, bool colon)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     c == '_' || (colon && c == ':');

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return i > 0;
}

static int metrics_einval(struct out_metrics *m)
{
	if (m->err == 0)
		m->err = EINVAL;
	errno = EINVAL;
	return -1;
}

int out_metrics_family(struct out_metrics *m, const char *name,
		       const char *type, const char *unit, const char *help)
{
	if (!m->f)
		return -1;
	if (!metric_name_ok(name, true) || !metric_name_ok(type, false) ||
	    (unit && !metric_name_ok(unit, false)))
		return metrics_einval(m);
	if (metrics_check(m, fprintf(m->f, "# TYPE %s %s\n", name, type)) < 0)
		return -1;
	if (unit &&
	    metrics_check(m, fprintf(m->f, "# UNIT %s %s\n", name, unit)) < 0)
		return -1;
	if (help) {
		if (metrics_check(m, fprintf(m->f, "# HELP %s ", name)) < 0 ||
		    metrics_check(m, put_escaped(m->f, help, false)) < 0 ||
		    metrics_check(m, fputc('\n', m->f) == EOF ? -1 : 0) < 0)
			return -1;
	}
	return 0;
}

static void fmt_metric(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.9g", v);
}

int out_metrics_sample(struct out_metrics *m, const char *name,
		       const struct out_label *labels, size_t nlabels,
		       double value)
{
	char num[64];
	size_t i;

	if (!m->f)
		return -1;
	if (!metric_name_ok(name, true))
		return metrics_einval(m);
	for (i = 0; i < nlabels; i++)
		if (!metric_name_ok(labels[i].name, false) || !labels[i].value)
			return metrics_einval(m);
	if (metrics_check(m, fputs(name, m->f) == EOF ? -1 : 0) < 0)
		return -1;
	for (i = 0; i < nlabels; i++) {
		if (metrics_check(m, fprintf(m->f, "%s%s=\"", i ? "," : "{",
					     labels[i].name)) < 0 ||
		    metrics_check(m, put_escaped(m->f, labels[i].value, true)) <
			    0 ||
		    metrics_check(m, fputc('"', m->f) == EOF ? -1 : 0) < 0)
			return -1;
	}
	fmt_metric(num, sizeof(num), value);
	return metrics_check(m,
			     fprintf(m->f, "%s %s\n", nlabels ? "}" : "", num));
}

int out_metrics_commit(struct out_metrics *m)
{
	int err = m->err;

	if (!m->f)
		return -1;
	if (!err && fputs("# EOF\n", m->f) == EOF)
		err = errno ? errno : EIO;
	if (!err && fflush(m->f) != 0)
		err = errno ? errno : EIO;
	/* The data must be on disk before the name points at it, or a crash
	 * leaves an empty file where the old one was. */
	if (!err && fsync(fileno(m->f)) != 0)
		err = errno;
	if (fclose(m->f) != 0 && !err)
		err = errno ? errno : EIO;
	m->f = NULL;
	if (!err && rename(m->tmp, m->path) != 0)
		err = errno;
	if (err)
		unlink(m->tmp);
	metrics_free(m);
	errno = err;
	return err ? -1 : 0;
}

void out_metrics_abort(struct out_metrics *m)
{
	if (m->f) {
		fclose(m->f);
		unlink(m->tmp);
	}
	metrics_free(m);
}
