/*
 * dynlib - loads a shared library at run time and resolves a table of its
 * functions. libpcap and libcrypto bring a dozen more libraries with them
 * (dbus, systemd, gcrypt, lz4, zstd, lzma): linked into the binary, every
 * `echolot ping` paid about 2 ms and 3.5 MB to load them. Loaded this
 * way, only nep-client and nep-server pay, when they open a capture or
 * their crypto.
 */
#ifndef ECHOLOT_DYNLIB_H
#define ECHOLOT_DYNLIB_H

#include <stddef.h>

/* One function to resolve: its name, and where its pointer goes in the
 * caller's table (offsetof a member of the table's struct). */
struct dynlib_sym {
	const char *name;
	size_t off;
};

/* An entry for member `fn` of struct type `type`, named like it. */
/* clang-format off */
#define DYNLIB_SYM(type, fn) { #fn, offsetof(type, fn) }
/* clang-format on */

/*
 * Opens the first of the NULL-terminated sonames that loads and stores the
 * address of each of the n symbols at table + off. Returns the handle, or
 * NULL with "cannot load SONAME: reason" in err (SONAME is the first of the
 * list when none loads: the one configure found).
 */
void *dynlib_open(const char *const *sonames, const struct dynlib_sym *syms,
		  size_t n, void *table, char *err, size_t errlen);

void dynlib_close(void *handle);

/*
 * The usual holder of a library: a table struct whose FIRST member is the
 * handle (`void *dl`), the function pointers after it. dynlib_table_open
 * allocates it zeroed (size bytes) and loads the library into it; NULL
 * with the reason in err. dynlib_table_close unloads and frees it (NULL
 * is fine).
 */
void *dynlib_table_open(const char *const *sonames,
			const struct dynlib_sym *syms, size_t n, size_t size,
			char *err, size_t errlen);
void dynlib_table_close(void *table);

#endif
