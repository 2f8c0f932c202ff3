/*
 * output - JSON/NDJSON, Nagios, timestamps, OpenMetrics.
 * (Skeleton: the API is final, the bodies follow.)
 */
#include "output.h"

#include <string.h>

void json_init(struct json_writer *w, FILE *f, unsigned flags)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->flags = flags;
}

int json_begin_object(struct json_writer *w) { (void)w; return -1; }
int json_end_object(struct json_writer *w) { (void)w; return -1; }
int json_begin_array(struct json_writer *w) { (void)w; return -1; }
int json_end_array(struct json_writer *w) { (void)w; return -1; }
int json_key(struct json_writer *w, const char *key) { (void)w, (void)key; return -1; }
int json_string(struct json_writer *w, const char *s) { (void)w, (void)s; return -1; }
int json_string_len(struct json_writer *w, const char *s, size_t len) { (void)w, (void)s, (void)len; return -1; }
int json_int(struct json_writer *w, int64_t v) { (void)w, (void)v; return -1; }
int json_uint(struct json_writer *w, uint64_t v) { (void)w, (void)v; return -1; }
int json_double(struct json_writer *w, double v, int precision) { (void)w, (void)v, (void)precision; return -1; }
int json_bool(struct json_writer *w, bool v) { (void)w, (void)v; return -1; }
int json_null(struct json_writer *w) { (void)w; return -1; }
int json_kv_string(struct json_writer *w, const char *key, const char *s) { (void)w, (void)key, (void)s; return -1; }
int json_kv_int(struct json_writer *w, const char *key, int64_t v) { (void)w, (void)key, (void)v; return -1; }
int json_kv_uint(struct json_writer *w, const char *key, uint64_t v) { (void)w, (void)key, (void)v; return -1; }
int json_kv_double(struct json_writer *w, const char *key, double v, int precision) { (void)w, (void)key, (void)v, (void)precision; return -1; }
int json_kv_bool(struct json_writer *w, const char *key, bool v) { (void)w, (void)key, (void)v; return -1; }
int json_kv_null(struct json_writer *w, const char *key) { (void)w, (void)key; return -1; }
int json_status(const struct json_writer *w) { return w->err; }

const char *out_state_name(int state) { (void)state; return "UNKNOWN"; }
int out_check_parse(struct out_check *c, const char *spec, char *err, size_t errlen) { (void)c, (void)spec, (void)err, (void)errlen; return -1; }
int out_check_eval(const struct out_check *c, uint64_t sent, bool have_rtt, double rta_ms, double loss_pct) { (void)c, (void)sent, (void)have_rtt, (void)rta_ms, (void)loss_pct; return OUT_UNKNOWN; }
int out_nagios_line(FILE *f, const struct out_nagios *n, const struct out_check *c, int state) { (void)f, (void)n, (void)c, (void)state; return -1; }
int out_ts_parse(const char *name, enum out_ts_format *fmt) { (void)name, (void)fmt; return -1; }
int out_timestamp(char *buf, size_t len, enum out_ts_format fmt, int64_t realtime_ns, int64_t rel_ns) { (void)buf, (void)len, (void)fmt, (void)realtime_ns, (void)rel_ns; return -1; }
int out_metrics_open(struct out_metrics *m, const char *path) { (void)m, (void)path; return -1; }
int out_metrics_family(struct out_metrics *m, const char *name, const char *type, const char *unit, const char *help) { (void)m, (void)name, (void)type, (void)unit, (void)help; return -1; }
int out_metrics_sample(struct out_metrics *m, const char *name, const struct out_label *labels, size_t nlabels, double value) { (void)m, (void)name, (void)labels, (void)nlabels, (void)value; return -1; }
int out_metrics_commit(struct out_metrics *m) { (void)m; return -1; }
void out_metrics_abort(struct out_metrics *m) { (void)m; }
