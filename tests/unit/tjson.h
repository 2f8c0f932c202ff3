/*
 * tjson.h - a small JSON reader for unit tests that check decoders against
 * recorded JSON (the NEP vectors). Test code only: it trusts its input to
 * be well-formed and small, and keeps the whole tree in memory.
 */
#ifndef ECHOLOT_TJSON_H
#define ECHOLOT_TJSON_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tjson_kind { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ };

struct tjson {
	enum tjson_kind kind;
	double num;      /* TJ_NUM, TJ_BOOL */
	char *str;       /* TJ_STR; key of an object member */
	char *key;       /* set on object members */
	struct tjson *kids;
	size_t nkids;
};

struct tjson_in {
	const char *p, *end;
	int bad;
};

static void tjson_ws(struct tjson_in *in)
{
	while (in->p < in->end && isspace((unsigned char)*in->p))
		in->p++;
}

static char *tjson_string(struct tjson_in *in)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap);

	in->p++; /* opening quote */
	while (in->p < in->end && *in->p != '"') {
		char c = *in->p++;

		if (c == '\\' && in->p < in->end) {
			c = *in->p++;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'u') {
				/* ASCII only in these files. */
				c = (char)strtol((char[]){ in->p[0], in->p[1],
							   in->p[2], in->p[3],
							   0 }, NULL, 16);
				in->p += 4;
			}
		}
		if (n + 2 > cap)
			s = realloc(s, cap *= 2);
		s[n++] = c;
	}
	s[n] = 0;
	if (in->p < in->end)
		in->p++;
	else
		in->bad = 1;
	return s;
}

static void tjson_value(struct tjson_in *in, struct tjson *v);

static void tjson_push(struct tjson *v, struct tjson *kid)
{
	v->kids = realloc(v->kids, (v->nkids + 1) * sizeof(*kid));
	v->kids[v->nkids++] = *kid;
}

static void tjson_list(struct tjson_in *in, struct tjson *v, char close,
		       int obj)
{
	in->p++;
	for (;;) {
		struct tjson kid;

		memset(&kid, 0, sizeof(kid));
		tjson_ws(in);
		if (in->p >= in->end) {
			in->bad = 1;
			return;
		}
		if (*in->p == close) {
			in->p++;
			return;
		}
		if (*in->p == ',') {
			in->p++;
			continue;
		}
		if (obj) {
			kid.key = tjson_string(in);
			tjson_ws(in);
			if (in->p < in->end && *in->p == ':')
				in->p++;
		}
		tjson_value(in, &kid);
		tjson_push(v, &kid);
		if (in->bad)
			return;
	}
}

static void tjson_value(struct tjson_in *in, struct tjson *v)
{
	char *key = v->key;

	memset(v, 0, sizeof(*v));
	v->key = key;
	tjson_ws(in);
	if (in->p >= in->end) {
		in->bad = 1;
		return;
	}
	switch (*in->p) {
	case '{': v->kind = TJ_OBJ; tjson_list(in, v, '}', 1); return;
	case '[': v->kind = TJ_ARR; tjson_list(in, v, ']', 0); return;
	case '"': v->kind = TJ_STR; v->str = tjson_string(in); return;
	case 't': v->kind = TJ_BOOL; v->num = 1; in->p += 4; return;
	case 'f': v->kind = TJ_BOOL; in->p += 5; return;
	case 'n': v->kind = TJ_NULL; in->p += 4; return;
	default: {
		char *e;

		v->kind = TJ_NUM;
		v->num = strtod(in->p, &e);
		if (e == in->p)
			in->bad = 1;
		in->p = e;
	}
	}
}

/* Parses a whole file; NULL when it cannot be read or parsed. */
static inline struct tjson *tjson_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct tjson_in in;
	struct tjson *v;
	char *text;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc((size_t)n + 1);
	if (fread(text, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	in.p = text;
	in.end = text + n;
	in.bad = 0;
	v = calloc(1, sizeof(*v));
	tjson_value(&in, v);
	free(text);
	if (in.bad) {
		free(v);
		return NULL;
	}
	return v;
}

static inline void tjson_free_kids(struct tjson *v)
{
	size_t i;

	for (i = 0; i < v->nkids; i++)
		tjson_free_kids(&v->kids[i]);
	free(v->kids);
	free(v->str);
	free(v->key);
}

static inline void tjson_free(struct tjson *v)
{
	if (v) {
		tjson_free_kids(v);
		free(v);
	}
}

/* Member of an object, or NULL. */
static inline const struct tjson *tjson_get(const struct tjson *v,
					    const char *key)
{
	size_t i;

	if (!v || v->kind != TJ_OBJ)
		return NULL;
	for (i = 0; i < v->nkids; i++)
		if (strcmp(v->kids[i].key, key) == 0)
			return &v->kids[i];
	return NULL;
}

static inline const struct tjson *tjson_at(const struct tjson *v, size_t i)
{
	if (!v || v->kind != TJ_ARR || i >= v->nkids)
		return NULL;
	return &v->kids[i];
}

static inline const char *tjson_str(const struct tjson *v)
{
	return v && v->kind == TJ_STR ? v->str : NULL;
}

static inline double tjson_num(const struct tjson *v)
{
	return v && (v->kind == TJ_NUM || v->kind == TJ_BOOL) ? v->num : -1;
}

/* Decodes a hex string into buf; returns the byte count or -1. */
static inline long tjson_hex(const struct tjson *v, unsigned char *buf,
			     size_t cap)
{
	const char *s = tjson_str(v);
	size_t n, i;

	if (!s || strlen(s) % 2 || strlen(s) / 2 > cap)
		return -1;
	n = strlen(s) / 2;
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		buf[i] = (unsigned char)b;
	}
	return (long)n;
}

#endif
