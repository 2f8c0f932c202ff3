/*
 * output - the writers every subcommand renders its results through:
 * a streaming JSON / NDJSON writer, the Nagios plugin line with its
 * threshold parser, ping -D style timestamps, and an OpenMetrics textfile
 * writer that replaces its file atomically.
 *
 * Nothing here prints on its own or knows about probes: lib/stats (and
 * cmd/) turn their results into calls of these functions. Every writer
 * takes a FILE * (or a caller buffer) and returns < 0 on error.
 */
#ifndef ECHOLOT_OUTPUT_H
#define ECHOLOT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------ JSON */

/* Containers nest at most this deep; deeper begins fail with -1. */
#define JSON_MAX_DEPTH 32

/* json_init flags */
#define JSON_NDJSON 0x1 /* newline (and fflush) after each top-level value */

/* Default digits after the point for json_double (figures in ms). */
#define JSON_DEFAULT_PRECISION 3

struct json_writer {
	FILE *f;
	unsigned flags;
	int depth;		     /* open containers */
	bool first[JSON_MAX_DEPTH];  /* no member written yet at depth i */
	bool is_obj[JSON_MAX_DEPTH]; /* container at depth i is an object */
	bool after_key;		     /* a key was written, value expected */
	int err;		     /* sticky: first error (< 0), or 0 */
};

/*
 * The writer puts commas and colons where they belong; callers only say
 * what comes next. Inside an object every value must follow json_key (or
 * use the json_kv_* shorthands). A misuse (value without key in an object,
 * key in an array, end without begin) is an error, not a malformed
 * document. Errors are sticky: after the first, every call returns it.
 */
void json_init(struct json_writer *w, FILE *f, unsigned flags);
int json_begin_object(struct json_writer *w);
int json_end_object(struct json_writer *w);
int json_begin_array(struct json_writer *w);
int json_end_array(struct json_writer *w);
int json_key(struct json_writer *w, const char *key);

/* Strings are escaped per RFC 8259: quote, backslash and every control
 * character (< 0x20, and 0x7f) escaped, \n \t \r \b \f by name, the rest
 * as \u00XX; bytes >= 0x80 pass through unchanged (UTF-8 stays UTF-8).
 * A NULL string writes null. */
int json_string(struct json_writer *w, const char *s);
int json_string_len(struct json_writer *w, const char *s, size_t len);
int json_int(struct json_writer *w, int64_t v);
int json_uint(struct json_writer *w, uint64_t v);
/* Fixed precision ("%.*f"); NaN and infinities are not JSON: null. */
int json_double(struct json_writer *w, double v, int precision);
int json_bool(struct json_writer *w, bool v);
int json_null(struct json_writer *w);

/* key + value in one call */
int json_kv_string(struct json_writer *w, const char *key, const char *s);
int json_kv_int(struct json_writer *w, const char *key, int64_t v);
int json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
int json_kv_double(struct json_writer *w, const char *key, double v,
		   int precision);
int json_kv_bool(struct json_writer *w, const char *key, bool v);
int json_kv_null(struct json_writer *w, const char *key);

/* 0 when everything so far was written and well-formed, else < 0. */
int json_status(const struct json_writer *w);

/* --------------------------------------------------------------- Nagios */

/* Plugin return codes, as the Nagios plugin guidelines define them. */
enum out_state {
	OUT_OK = 0,
	OUT_WARNING = 1,
	OUT_CRITICAL = 2,
	OUT_UNKNOWN = 3,
};

/* "OK", "WARNING", "CRITICAL", "UNKNOWN" */
const char *out_state_name(int state);

struct out_threshold {
	bool set;
	double rtt_ms;	 /* round trip average, ms */
	double loss_pct; /* packet loss, percent */
};

struct out_check {
	struct out_threshold warn, crit;
};

/* check_icmp's defaults: warn 200 ms or 40 %, crit 500 ms or 80 %. */
void out_check_defaults(struct out_check *c);

/*
 * Parses one or more whitespace-separated specs "warn=RTT_MS,LOSS%" /
 * "crit=RTT_MS,LOSS%" (the '%' is optional; e.g. "warn=200,10%
 * crit=500,20%") into c, keeping what earlier calls set. Values must be
 * finite and >= 0, loss <= 100, and warn must not exceed crit once both
 * are set. Returns 0, or -1 with a one-line reason in err.
 */
int out_check_parse(struct out_check *c, const char *spec, char *err,
		    size_t errlen);

/*
 * The state for the figures, like check_icmp: CRITICAL when rta >= crit
 * rtt or loss >= crit loss, else WARNING for the warn pair, else OK.
 * have_rtt false (no reply) judges loss alone. sent == 0 (nothing
 * measured) is UNKNOWN. c may be NULL (no thresholds).
 */
int out_check_eval(const struct out_check *c, uint64_t sent, bool have_rtt,
		   double rta_ms, double loss_pct);

struct out_nagios {
	const char *service; /* "PING" */
	const char *host;    /* as the user wrote it */
	bool have_rtt;	     /* false: rta/rtmin/rtmax are "U" (undetermined) */
	double rta_ms, rtmin_ms, rtmax_ms;
	double loss_pct;
};

/*
 * One line, then '\n':
 *   PING OK - 127.0.0.1 rta 0.045ms lost 0%|rta=0.045ms;200.000;500.000;0;
 *   pl=0%;10;20;0;100 rtmin=0.031ms;;;0; rtmax=0.061ms;;;0;
 * (one line; perfdata per the plugin guidelines: label=value[UOM];warn;
 * crit;min;max, empty fields for unset thresholds). Returns < 0 on error.
 */
int out_nagios_line(FILE *f, const struct out_nagios *n,
		    const struct out_check *c, int state);

/* ----------------------------------------------------------- timestamps */

enum out_ts_format {
	OUT_TS_EPOCH, /* [1700000000.123456]  as iputils ping -D */
	OUT_TS_ISO,   /* [2023-11-14T22:13:20.123456+00:00] local time */
	OUT_TS_REL,   /* [+1.234567]  seconds since the run started */
};

/* Parses "epoch", "iso", "rel"; -1 for anything else. */
int out_ts_parse(const char *name, enum out_ts_format *fmt);

/*
 * Writes the bracketed stamp (no trailing space) into buf, snprintf-style:
 * returns the length it needs, or < 0 on error. realtime_ns is
 * CLOCK_REALTIME (epoch, iso); rel_ns is the time since the start (rel).
 */
int out_timestamp(char *buf, size_t len, enum out_ts_format fmt,
		  int64_t realtime_ns, int64_t rel_ns);

/* ---------------------------------------------------------- OpenMetrics */

struct out_label {
	const char *name;
	const char *value;
};

struct out_metrics {
	FILE *f;
	char *path; /* final name (owned) */
	char *tmp;  /* temporary file in the same directory (owned) */
	int err;    /* sticky first error */
};

/*
 * Opens a temporary file next to path (so the rename stays within one
 * file system). Nothing is visible at path until out_metrics_commit.
 * Returns 0 or -1 with errno.
 */
int out_metrics_open(struct out_metrics *m, const char *path);

/* "# TYPE name type", "# UNIT name unit" (unit may be NULL) and
 * "# HELP name help" (help escaped). type: "gauge", "counter" ... */
int out_metrics_family(struct out_metrics *m, const char *name,
		       const char *type, const char *unit, const char *help);

/* name{l1="v1",...} value. Label values are escaped (\\ \" \n); NaN is
 * written as NaN, infinities as +Inf/-Inf. Metric and label names must
 * be valid ([a-zA-Z_:][a-zA-Z0-9_:]*, no ':' in label names): else -1
 * with EINVAL, and the commit fails too, so no broken file replaces a
 * good one. */
int out_metrics_sample(struct out_metrics *m, const char *name,
		       const struct out_label *labels, size_t nlabels,
		       double value);

/* Writes "# EOF", flushes, fsyncs, closes, renames over path and frees.
 * On any error the temporary file is removed and path is left as it was.
 * Returns 0 or -1 with errno. */
int out_metrics_commit(struct out_metrics *m);

/* Gives up: closes and removes the temporary file, frees. */
void out_metrics_abort(struct out_metrics *m);

#endif
