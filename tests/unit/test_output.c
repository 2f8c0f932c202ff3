/*
 * test_output - the JSON/NDJSON writer, Nagios thresholds and line,
 * timestamps and the atomic OpenMetrics file.
 */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

/* ----------------------------------------------------------------- JSON */

UNIT_TEST(test_json_nesting)
{
	struct unit_capture c;
	struct json_writer w;

	unit_cap_open(&c);
	json_init(&w, c.f, 0);
	json_begin_object(&w);
	json_kv_string(&w, "target", "127.0.0.1");
	json_key(&w, "rtts");
	json_begin_array(&w);
	json_double(&w, 0.0451, 3);
	json_double(&w, 12.5, 3);
	json_null(&w);
	json_begin_object(&w);
	json_end_object(&w);
	json_begin_array(&w);
	json_end_array(&w);
	json_end_array(&w);
	json_kv_int(&w, "neg", -42);
	json_kv_uint(&w, "big", 18446744073709551615ULL);
	json_kv_bool(&w, "up", true);
	json_kv_bool(&w, "down", false);
	json_kv_null(&w, "none");
	json_kv_double(&w, "nan", NAN, 3);
	json_kv_double(&w, "inf", INFINITY, 3);
	json_kv_double(&w, "p0", 2.5, 0);
	json_kv_double(&w, "p6", -0.0000125, 6);
	CHECK_EQ(json_end_object(&w), 0);
	CHECK_EQ(json_status(&w), 0);
	CHECK_STR(
		unit_cap_text(&c),
		"{\"target\":\"127.0.0.1\",\"rtts\":[0.045,12.500,null,{},[]],"
		"\"neg\":-42,\"big\":18446744073709551615,\"up\":true,"
		"\"down\":false,\"none\":null,\"nan\":null,\"inf\":null,"
		"\"p0\":2,\"p6\":-0.000013}\n");
	unit_cap_close(&c);
}

UNIT_TEST(test_ndjson_lines)
{
	struct unit_capture c;
	struct json_writer w;
	int i;

	unit_cap_open(&c);
	json_init(&w, c.f, JSON_NDJSON);
	for (i = 1; i <= 3; i++) {
		json_begin_object(&w);
		json_kv_string(&w, "type", "reply");
		json_kv_int(&w, "seq", i);
		json_end_object(&w);
		/* each record is out as soon as it is complete */
		CHECK(c.len > 0 && c.buf[c.len - 1] == '\n');
	}
	json_string(&w, "top-level string");
	CHECK_EQ(json_status(&w), 0);
	CHECK_STR(unit_cap_text(&c), "{\"type\":\"reply\",\"seq\":1}\n"
				"{\"type\":\"reply\",\"seq\":2}\n"
				"{\"type\":\"reply\",\"seq\":3}\n"
				"\"top-level string\"\n");
	unit_cap_close(&c);
}

static void check_escaped(struct unit *u, const char *in, size_t len,
			  const char *want)
{
	struct unit_capture c;
	struct json_writer w;

	unit_cap_open(&c);
	json_init(&w, c.f, 0);
	CHECK_EQ(json_string_len(&w, in, len), 0);
	CHECK_STR(unit_cap_text(&c), want);
	unit_cap_close(&c);
}

UNIT_TEST(test_json_escaping)
{
	char all[32];
	int i;

	check_escaped(u, "say \"hi\" \\ /", 12, "\"say \\\"hi\\\" \\\\ /\"\n");
	check_escaped(u, "a\nb\tc\rd\be\ff", 11, "\"a\\nb\\tc\\rd\\be\\ff\"\n");
	/* every other control character as \u00XX, and DEL */
	for (i = 0; i < 32; i++)
		all[i] = (char)i;
	check_escaped(u, all, 32,
		      "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006"
		      "\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010"
		      "\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
		      "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e"
		      "\\u001f\"\n");
	check_escaped(u, "\x7f", 1, "\"\\u007f\"\n");
	/* valid UTF-8 passes through byte for byte: é € 😀 */
	check_escaped(u, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		      "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n");
	/* bytes that are not UTF-8 become U+FFFD, one per bad byte:
	 * stray continuation, 0xff, overlong NUL, a surrogate, a sequence
	 * cut short, above U+10FFFF */
	check_escaped(u, "\x80", 1, "\"\\ufffd\"\n");
	check_escaped(u,
		      "a\xff"
		      "b",
		      3, "\"a\\ufffdb\"\n");
	check_escaped(u, "\xc0\x80", 2, "\"\\ufffd\\ufffd\"\n");
	check_escaped(u, "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"\n");
	check_escaped(u, "\xe2\x82", 2, "\"\\ufffd\\ufffd\"\n");
	check_escaped(u, "\xf4\x90\x80\x80", 4,
		      "\"\\ufffd\\ufffd\\ufffd\\ufffd\"\n");
	check_escaped(u, "", 0, "\"\"\n");
}

/* xorshift64*, deterministic */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Appends the UTF-8 encoding of cp. */
static size_t put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A JSON string decoder written for this test (not the writer run
 * backwards): named escapes and \uXXXX (BMP only, which is all the
 * writer emits) back to UTF-8. Returns the length, or -1 when the text
 * is not one well-formed JSON string with raw bytes >= 0x20. */
static long json_decode(const char *in, size_t len, char *out)
{
	size_t i = 1, o = 0;

	if (len < 2 || in[0] != '"' || in[len - 1] != '"')
		return -1;
	while (i < len - 1) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c == '"' || c == 0x7f)
			return -1;
		if (c != '\\') {
			out[o++] = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= len - 1)
			return -1;
		switch (in[i + 1]) {
		case '"':
			out[o++] = '"';
			break;
		case '\\':
			out[o++] = '\\';
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'u': {
			char hex[5] = {0};

			if (i + 6 > len - 1)
				return -1;
			memcpy(hex, in + i + 2, 4);
			o += put_utf8(out + o, strtoul(hex, NULL, 16));
			i += 4;
			break;
		}
		default:
			return -1;
		}
		i += 2;
	}
	return (long)o;
}

/*
 * Random strings of ASCII, control characters, valid UTF-8 of every
 * length and invalid bytes: the output must be a well-formed JSON string
 * that decodes to the input, with each invalid byte as U+FFFD. The
 * generator knows which bytes are valid, so the expectation is built
 * alongside the input.
 */
UNIT_TEST(test_json_escaping_random)
{
	static char in[512], want[2048], got[4096];
	uint64_t seed = 1234;
	int round, bad = 0;

	for (round = 0; round < 20000; round++) {
		size_t n = 0, w = 0, k, parts = rng_next(&seed) % 40;
		struct unit_capture c;
		struct json_writer jw;
		long dl;

		for (k = 0; k < parts; k++) {
			uint64_t r = rng_next(&seed);
			unsigned long cp;
			size_t l;

			switch (r % 5) {
			case 0: /* any ASCII, controls included */
				in[n++] = (char)(r >> 8 & 0x7f);
				want[w++] = in[n - 1];
				break;
			case 1: /* 2-, 3-, 4-byte characters, no surrogates */
				cp = 0x80 + (unsigned long)(r >> 8) % 0x10ff80;
				if (cp >= 0xd800 && cp <= 0xdfff)
					cp = 0xe000;
				l = put_utf8(in + n, cp);
				memcpy(want + w, in + n, l);
				n += l, w += l;
				break;
			case 2: /* a lone byte that cannot start UTF-8 here */
				in[n++] = (char)(0x80 | (r >> 8 & 0x3f));
				w += put_utf8(want + w, 0xfffd);
				break;
			case 3: /* 0xf8-0xff, 0xc0, 0xc1: never valid */
				in[n++] = (char)((r >> 8) % 2
							 ? 0xc0
							 : 0xf8 | (r >> 9 & 7));
				w += put_utf8(want + w, 0xfffd);
				break;
			default: /* a 3-byte lead cut short by ASCII */
				in[n++] = (char)0xe2;
				in[n++] = 'x';
				w += put_utf8(want + w, 0xfffd);
				want[w++] = 'x';
				break;
			}
		}
		unit_cap_open(&c);
		json_init(&jw, c.f, 0);
		json_string_len(&jw, in, n);
		unit_cap_text(&c);
		/* drop the newline after the top-level value */
		dl = c.len > 0 ? json_decode(c.buf, c.len - 1, got) : -1;
		if (dl != (long)w || memcmp(got, want, w) != 0)
			bad++;
		unit_cap_close(&c);
	}
	CHECK_EQ(bad, 0);
}

UNIT_TEST(test_json_key_escaping_and_null_string)
{
	struct unit_capture c;
	struct json_writer w;

	unit_cap_open(&c);
	json_init(&w, c.f, 0);
	json_begin_object(&w);
	json_kv_string(&w, "we\"ird\n", NULL);
	json_end_object(&w);
	CHECK_STR(unit_cap_text(&c), "{\"we\\\"ird\\n\":null}\n");
	unit_cap_close(&c);
}

/* Misuse is reported and nothing malformed follows. */
UNIT_TEST(test_json_misuse)
{
	struct unit_capture c;
	struct json_writer w;
	int i;

	unit_cap_open(&c);
	json_init(&w, c.f, 0);
	json_begin_object(&w);
	CHECK(json_int(&w, 1) < 0); /* value without key in an object */
	CHECK(json_status(&w) < 0);
	CHECK(json_kv_int(&w, "k", 1) < 0); /* sticky */
	unit_cap_close(&c);

	unit_cap_open(&c);
	json_init(&w, c.f, 0);
	json_begin_array(&w);
	CHECK(json_key(&w, "k") < 0); /* key in an array */
	unit_cap_close(&c);

	unit_cap_open(&c);
	json_init(&w, c.f, 0);
	json_begin_array(&w);
	CHECK(json_end_object(&w) < 0); /* wrong closer */
	unit_cap_close(&c);

	unit_cap_open(&c);
	json_init(&w, c.f, 0);
	CHECK(json_end_array(&w) < 0); /* nothing open */
	unit_cap_close(&c);

	unit_cap_open(&c);
	json_init(&w, c.f, 0);
	json_begin_object(&w);
	json_key(&w, "k");
	CHECK(json_end_object(&w) < 0); /* key without value */
	unit_cap_close(&c);

	unit_cap_open(&c);
	json_init(&w, c.f, 0);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		CHECK_EQ(json_begin_array(&w), 0);
	CHECK(json_begin_array(&w) < 0); /* too deep */
	unit_cap_close(&c);
}

/* A full disk is an error the caller sees. */
UNIT_TEST(test_json_io_error)
{
	struct json_writer w;
	FILE *f = fopen("/dev/full", "w");
	int i, r = 0;

	CHECK(f != NULL);
	if (!f)
		return;
	json_init(&w, f, JSON_NDJSON);
	for (i = 0; i < 3 && r == 0; i++) {
		json_begin_object(&w);
		json_kv_int(&w, "seq", i);
		r = json_end_object(&w);
	}
	CHECK(r < 0);
	CHECK(json_status(&w) < 0);
	fclose(f);
}

/* --------------------------------------------------------------- Nagios */

static bool same_threshold(const struct out_threshold *a,
			   const struct out_threshold *b)
{
	return a->set == b->set && a->rtt_ms == b->rtt_ms &&
	       a->loss_pct == b->loss_pct;
}

UNIT_TEST(test_check_parse)
{
	struct out_check c = {{false, 0, 0}, {false, 0, 0}};
	char err[160];

	CHECK_EQ(out_check_parse(&c, "warn=200,10%", err, sizeof(err)), 0);
	CHECK(c.warn.set && !c.crit.set);
	CHECK_NEAR(c.warn.rtt_ms, 200, 0);
	CHECK_NEAR(c.warn.loss_pct, 10, 0);
	CHECK_EQ(out_check_parse(&c, "  crit=500.5,20  ", err, sizeof(err)), 0);
	CHECK(c.crit.set);
	CHECK_NEAR(c.crit.rtt_ms, 500.5, 0);
	CHECK_NEAR(c.crit.loss_pct, 20, 0);
	CHECK_EQ(out_check_parse(&c, "warn=0,0% crit=0,100%", err, sizeof(err)),
		 0);
	CHECK_NEAR(c.crit.loss_pct, 100, 0);

	static const char *bad[] = {
		"",	     "   ",	      "warn=",	       "warn=200",
		"warn=,10%", "warn=200,",     "warn=200,10%x", "warn=200;10%",
		"warn=-1,5", "warn=200,101%", "warn=nan,5",    "warn=inf,5",
		"foo=1,2",   "warn200,10%",   "crit=1,2 bad",  "warn=1e999,5",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct out_check before = c;

		err[0] = '\0';
		CHECK_EQ(out_check_parse(&c, bad[i], err, sizeof(err)), -1);
		CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
		/* a failed parse leaves what was set alone (field by field:
		 * memcmp would read the structs' uninitialised padding) */
		CHECK(same_threshold(&before.warn, &c.warn));
		CHECK(same_threshold(&before.crit, &c.crit));
	}
	/* warn above crit, in one spec or across two calls */
	memset(&c, 0, sizeof(c));
	CHECK_EQ(out_check_parse(&c, "warn=600,10% crit=500,20%", err,
				 sizeof(err)),
		 -1);
	CHECK(strstr(err, "exceeds") != NULL);
	CHECK_EQ(out_check_parse(&c, "crit=500,20%", err, sizeof(err)), 0);
	CHECK_EQ(out_check_parse(&c, "warn=200,30%", err, sizeof(err)), -1);
}

/* Random specs from the characters that matter: never a crash (the asan
 * suite runs this too), and what is accepted is always in range. */
UNIT_TEST(test_check_parse_random)
{
	static const char alpha[] = "warncit=0123456789.,%- e\t+xnfNA";
	uint64_t seed = 77;
	int round, accepted = 0, bad = 0;

	for (round = 0; round < 50000; round++) {
		struct out_check c;
		char spec[48], err[160];
		size_t n = rng_next(&seed) % (sizeof(spec) - 6), i;

		/* most inputs start like a spec, so the number parsing gets
		 * exercised, not only the prefix check */
		memcpy(spec, rng_next(&seed) % 2 ? "warn=" : "crit=", 5);
		for (i = 5; i < n + 5; i++)
			spec[i] = alpha[rng_next(&seed) % (sizeof(alpha) - 1)];
		spec[n + 5] = '\0';
		memset(&c, 0, sizeof(c));
		err[0] = '\0';
		if (out_check_parse(&c, spec, err, sizeof(err)) == 0) {
			const struct out_threshold *t[2] = {&c.warn, &c.crit};

			accepted++;
			for (i = 0; i < 2; i++)
				if (t[i]->set && (!(t[i]->rtt_ms >= 0) ||
						  !isfinite(t[i]->rtt_ms) ||
						  !(t[i]->loss_pct >= 0) ||
						  t[i]->loss_pct > 100))
					bad++;
		} else if (err[0] == '\0' || strchr(err, '\n')) {
			bad++;
		}
	}
	CHECK_EQ(bad, 0);
	CHECK(accepted > 0);
}

UNIT_TEST(test_check_boundaries)
{
	struct out_check c = {{false, 0, 0}, {false, 0, 0}};
	char err[128];

	CHECK_EQ(out_check_parse(&c, "warn=200,10% crit=500,20%", err,
				 sizeof(err)),
		 0);
	/* check_icmp compares with >=: the threshold itself alerts */
	CHECK_EQ(out_check_eval(&c, 5, true, 199.999, 0), OUT_OK);
	CHECK_EQ(out_check_eval(&c, 5, true, 200.0, 0), OUT_WARNING);
	CHECK_EQ(out_check_eval(&c, 5, true, 499.999, 0), OUT_WARNING);
	CHECK_EQ(out_check_eval(&c, 5, true, 500.0, 0), OUT_CRITICAL);
	CHECK_EQ(out_check_eval(&c, 5, true, 1, 9.999), OUT_OK);
	CHECK_EQ(out_check_eval(&c, 5, true, 1, 10.0), OUT_WARNING);
	CHECK_EQ(out_check_eval(&c, 5, true, 1, 19.999), OUT_WARNING);
	CHECK_EQ(out_check_eval(&c, 5, true, 1, 20.0), OUT_CRITICAL);
	/* either figure is enough */
	CHECK_EQ(out_check_eval(&c, 5, true, 600, 0), OUT_CRITICAL);
	CHECK_EQ(out_check_eval(&c, 5, true, 250, 25), OUT_CRITICAL);
	/* nothing came back: loss alone decides (no rtt to judge) */
	CHECK_EQ(out_check_eval(&c, 5, false, 0, 100), OUT_CRITICAL);
	/* nothing was measured */
	CHECK_EQ(out_check_eval(&c, 0, false, 0, 0), OUT_UNKNOWN);
	CHECK_EQ(out_check_eval(&c, 5, true, NAN, 0), OUT_UNKNOWN);
	/* only warn given */
	memset(&c, 0, sizeof(c));
	out_check_parse(&c, "warn=1,1", err, sizeof(err));
	CHECK_EQ(out_check_eval(&c, 5, true, 1000, 100), OUT_WARNING);
	/* none given */
	memset(&c, 0, sizeof(c));
	CHECK_EQ(out_check_eval(&c, 5, true, 1000, 100), OUT_OK);
	CHECK_EQ(out_check_eval(NULL, 5, true, 1000, 100), OUT_OK);
	CHECK_EQ(out_check_eval(NULL, 0, true, 1000, 100), OUT_UNKNOWN);
	/* check_icmp's defaults */
	out_check_defaults(&c);
	CHECK_EQ(out_check_eval(&c, 5, true, 199, 39), OUT_OK);
	CHECK_EQ(out_check_eval(&c, 5, true, 200, 0), OUT_WARNING);
	CHECK_EQ(out_check_eval(&c, 5, true, 1, 80), OUT_CRITICAL);
	CHECK_STR(out_state_name(OUT_OK), "OK");
	CHECK_STR(out_state_name(OUT_WARNING), "WARNING");
	CHECK_STR(out_state_name(OUT_CRITICAL), "CRITICAL");
	CHECK_STR(out_state_name(OUT_UNKNOWN), "UNKNOWN");
	CHECK_STR(out_state_name(7), "UNKNOWN");
}

UNIT_TEST(test_nagios_line)
{
	struct out_check c = {{false, 0, 0}, {false, 0, 0}};
	struct out_nagios n = {"PING", "127.0.0.1", true, 0.045,
			       0.031,  0.061,	    0};
	struct unit_capture cap;
	char err[128];

	out_check_parse(&c, "warn=200,10% crit=500,20%", err, sizeof(err));
	unit_cap_open(&cap);
	CHECK_EQ(out_nagios_line(cap.f, &n, &c, OUT_OK), 0);
	CHECK_STR(unit_cap_text(&cap),
		  "PING OK - 127.0.0.1 rta 0.045ms lost 0%|"
		  "rta=0.045ms;200.000;500.000;0; pl=0%;10;20;0;100 "
		  "rtmin=0.031ms;;;0; rtmax=0.061ms;;;0;\n");
	unit_cap_close(&cap);

	/* no reply: undetermined values are "U" (plugin guidelines), the
	 * text has no rta; fractional loss keeps its digits */
	n.have_rtt = false;
	n.loss_pct = 100;
	n.host = "host|with|bars";
	unit_cap_open(&cap);
	CHECK_EQ(out_nagios_line(cap.f, &n, &c, OUT_CRITICAL), 0);
	CHECK_STR(unit_cap_text(&cap),
		  "PING CRITICAL - host_with_bars lost 100%|"
		  "rta=U;200.000;500.000;0; pl=100%;10;20;0;100 "
		  "rtmin=U;;;0; rtmax=U;;;0;\n");
	unit_cap_close(&cap);

	/* no thresholds: empty warn/crit fields */
	memset(&c, 0, sizeof(c));
	n.have_rtt = true;
	n.loss_pct = 100.0 / 3;
	n.host = "::1";
	unit_cap_open(&cap);
	out_nagios_line(cap.f, &n, &c, OUT_OK);
	CHECK_STR(unit_cap_text(&cap), "PING OK - ::1 rta 0.045ms lost 33.333%|"
				  "rta=0.045ms;;;0; pl=33.333%;;;0;100 "
				  "rtmin=0.031ms;;;0; rtmax=0.061ms;;;0;\n");
	unit_cap_close(&cap);
}

/* ----------------------------------------------------------- timestamps */

UNIT_TEST(test_timestamps)
{
	char buf[64];
	enum out_ts_format fmt;
	int n;

	/* iputils -D: seconds and microseconds, truncated */
	n = out_timestamp(buf, sizeof(buf), OUT_TS_EPOCH, 1700000000123456789LL,
			  0);
	CHECK_STR(buf, "[1700000000.123456]");
	CHECK_EQ(n, 19);
	out_timestamp(buf, sizeof(buf), OUT_TS_EPOCH, 1700000000000001000LL, 0);
	CHECK_STR(buf, "[1700000000.000001]");

	setenv("TZ", "UTC0", 1);
	tzset();
	out_timestamp(buf, sizeof(buf), OUT_TS_ISO, 1700000000123456789LL, 0);
	CHECK_STR(buf, "[2023-11-14T22:13:20.123456+00:00]");
	setenv("TZ", "IST-5:30", 1);
	tzset();
	out_timestamp(buf, sizeof(buf), OUT_TS_ISO, 1700000000123456789LL, 0);
	CHECK_STR(buf, "[2023-11-15T03:43:20.123456+05:30]");
	setenv("TZ", "EST5", 1);
	tzset();
	out_timestamp(buf, sizeof(buf), OUT_TS_ISO, 1700000000123456789LL, 0);
	CHECK_STR(buf, "[2023-11-14T17:13:20.123456-05:00]");

	out_timestamp(buf, sizeof(buf), OUT_TS_REL, 0, 1234567890LL);
	CHECK_STR(buf, "[+1.234567]");
	out_timestamp(buf, sizeof(buf), OUT_TS_REL, 0, 0);
	CHECK_STR(buf, "[+0.000000]");
	out_timestamp(buf, sizeof(buf), OUT_TS_REL, 0, -1500000LL);
	CHECK_STR(buf, "[-0.001500]");

	/* snprintf-style: the length needed, a terminated prefix */
	n = out_timestamp(buf, 8, OUT_TS_EPOCH, 1700000000123456789LL, 0);
	CHECK_EQ(n, 19);
	CHECK_STR(buf, "[170000");

	CHECK_EQ(out_ts_parse("epoch", &fmt), 0);
	CHECK_EQ(fmt, OUT_TS_EPOCH);
	CHECK_EQ(out_ts_parse("iso", &fmt), 0);
	CHECK_EQ(fmt, OUT_TS_ISO);
	CHECK_EQ(out_ts_parse("rel", &fmt), 0);
	CHECK_EQ(fmt, OUT_TS_REL);
	CHECK_EQ(out_ts_parse("ISO", &fmt), -1);
	CHECK_EQ(out_ts_parse("", &fmt), -1);
}

/* ---------------------------------------------------------- OpenMetrics */

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static size_t read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

UNIT_TEST(test_metrics_atomic)
{
	char dir[] = "/tmp/echolot-test-out.XXXXXX", path[128], text[1024];
	struct out_metrics m;
	struct out_label l[2] = {{"target", "a\"b\\c\nd"}, {"mode", "icmp"}};
	struct stat st;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ping.prom", dir);
	f = fopen(path, "w");
	fputs("old\n", f);
	fclose(f);

	CHECK_EQ(out_metrics_open(&m, path), 0);
	CHECK_EQ(out_metrics_family(&m, "echolot_rtt_seconds", "gauge",
				    "seconds", "Round trip\\time\nnext"),
		 0);
	CHECK_EQ(out_metrics_sample(&m, "echolot_rtt_seconds", l, 2, 0.000045),
		 0);
	CHECK_EQ(out_metrics_sample(&m, "echolot_rtt_seconds", NULL, 0, NAN),
		 0);
	CHECK_EQ(out_metrics_sample(&m, "echolot_up", NULL, 0, INFINITY), 0);
	CHECK_EQ(out_metrics_sample(&m, "echolot_sent", NULL, 0, 1e6), 0);
	/* until the commit, readers still see the old file, and the new
	 * one exists only under a temporary name next to it */
	read_file(path, text, sizeof(text));
	CHECK_STR(text, "old\n");
	CHECK_EQ(count_entries(dir), 2);
	CHECK_EQ(out_metrics_commit(&m), 0);
	read_file(path, text, sizeof(text));
	CHECK_STR(
		text,
		"# TYPE echolot_rtt_seconds gauge\n"
		"# UNIT echolot_rtt_seconds seconds\n"
		"# HELP echolot_rtt_seconds Round trip\\\\time\\nnext\n"
		"echolot_rtt_seconds{target=\"a\\\"b\\\\c\\nd\",mode=\"icmp\"}"
		" 4.5e-05\n"
		"echolot_rtt_seconds NaN\n"
		"echolot_up +Inf\n"
		"echolot_sent 1000000\n"
		"# EOF\n");
	CHECK_EQ(count_entries(dir), 1); /* no temporary file left */
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0644); /* readable by the collector */

	/* abort: the old file stays, the temporary file goes */
	CHECK_EQ(out_metrics_open(&m, path), 0);
	out_metrics_sample(&m, "x", NULL, 0, 1);
	out_metrics_abort(&m);
	read_file(path, text, sizeof(text));
	CHECK(strstr(text, "echolot_sent 1000000\n") != NULL);
	CHECK_EQ(count_entries(dir), 1);
	unlink(path);

	/* the rename fails (the name is a non-empty directory): an error,
	 * and no temporary file is left behind */
	CHECK_EQ(mkdir(path, 0755), 0);
	snprintf(text, sizeof(text), "%s/keep", path);
	f = fopen(text, "w");
	fclose(f);
	CHECK_EQ(out_metrics_open(&m, path), 0);
	out_metrics_sample(&m, "x", NULL, 0, 1);
	errno = 0;
	CHECK_EQ(out_metrics_commit(&m), -1);
	CHECK(errno != 0);
	CHECK_EQ(count_entries(dir), 1);
	unlink(text);
	rmdir(path);

	/* a bad name fails the sample and then the commit: the old file
	 * is never replaced by one the collector would reject */
	f = fopen(path, "w");
	fputs("good\n", f);
	fclose(f);
	CHECK_EQ(out_metrics_open(&m, path), 0);
	CHECK_EQ(out_metrics_sample(&m, "ok_name:x", NULL, 0, 1), 0);
	errno = 0;
	CHECK_EQ(out_metrics_sample(&m, "9bad", NULL, 0, 1), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(out_metrics_sample(&m, "bad-name", NULL, 0, 1), -1);
	CHECK_EQ(out_metrics_sample(&m, "x", &(struct out_label){"a:b", "v"}, 1,
				    1),
		 -1);
	CHECK_EQ(out_metrics_family(&m, "x y", "gauge", NULL, NULL), -1);
	CHECK_EQ(out_metrics_commit(&m), -1);
	read_file(path, text, sizeof(text));
	CHECK_STR(text, "good\n");
	CHECK_EQ(count_entries(dir), 1);
	unlink(path);

	/* a directory that does not exist: open fails with errno */
	CHECK_EQ(out_metrics_open(&m, "/nonexistent-echolot/x.prom"), -1);
	CHECK_EQ(errno, ENOENT);
	rmdir(dir);
}

UNIT_MAIN(UNIT_CASE(test_json_nesting), UNIT_CASE(test_ndjson_lines),
	  UNIT_CASE(test_json_escaping), UNIT_CASE(test_json_escaping_random),
	  UNIT_CASE(test_json_key_escaping_and_null_string),
	  UNIT_CASE(test_json_misuse), UNIT_CASE(test_json_io_error),
	  UNIT_CASE(test_check_parse), UNIT_CASE(test_check_parse_random),
	  UNIT_CASE(test_check_boundaries), UNIT_CASE(test_nagios_line),
	  UNIT_CASE(test_timestamps), UNIT_CASE(test_metrics_atomic))
