/*
 * dynlib - dlopen a library and resolve a table of its functions.
 */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dlsym hands out functions as void *: POSIX requires the two pointer
 * kinds to have the same representation, and the table stores them by
 * copying the bytes. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
	       "function and object pointers differ in size");

static void dynlib_err(char *err, size_t errlen, const char *soname)
{
	const char *why = dlerror();

	if (err && errlen)
		snprintf(err, errlen, "cannot load %s: %s", soname,
			 why ? why : "unknown error");
}

void *dynlib_open(const char *const *sonames, const struct dynlib_sym *syms,
		  size_t n, void *table, char *err, size_t errlen)
{
	const char *name = NULL;
	void *h = NULL;
	size_t i;

	for (i = 0; sonames[i] && !h; i++) {
		name = sonames[i];
		h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
		/* Keep the reason of the first (configured) name: the
		 * fallbacks are only guesses. */
		if (!h && i == 0)
			dynlib_err(err, errlen, sonames[0]);
	}
	if (!h)
		return NULL;
	for (i = 0; i < n; i++) {
		void *p = dlsym(h, syms[i].name);

		if (!p) {
			/* dlerror names the missing symbol */
			dynlib_err(err, errlen, name);
			dlclose(h);
			return NULL;
		}
		memcpy((char *)table + syms[i].off, &p, sizeof(p));
	}
	return h;
}

void dynlib_close(void *handle)
{
	if (handle)
		dlclose(handle);
}

void *dynlib_table_open(const char *const *sonames,
			const struct dynlib_sym *syms, size_t n, size_t size,
			char *err, size_t errlen)
{
	void *table = calloc(1, size);
	void *h;

	if (!table) {
		if (err && errlen)
			snprintf(err, errlen, "cannot load %s: out of memory",
				 sonames[0]);
		return NULL;
	}
	h = dynlib_open(sonames, syms, n, table, err, errlen);
	if (!h) {
		free(table);
		return NULL;
	}
	memcpy(table, &h, sizeof(h)); /* the handle is the first member */
	return table;
}

void dynlib_table_close(void *table)
{
	void *h;

	if (!table)
		return;
	memcpy(&h, table, sizeof(h));
	dynlib_close(h);
	free(table);
}
