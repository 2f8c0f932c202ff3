/*
 * complete - command-line completion from the option tables (lib/opts).
 *
 * The interactive shell completes with these functions, and the generated
 * bash/zsh/fish files encode the same decisions, so all of them offer what
 * the parser accepts. Nothing here prints or reads files: candidates go to a
 * caller-supplied callback, and host lists are parsed from caller buffers.
 */
#ifndef ECHOLOT_COMPLETE_H
#define ECHOLOT_COMPLETE_H

#include <stddef.h>

#include "opts.h"

/* What the word under the cursor is. */
enum compl_what {
	COMPL_NOTHING, /* nothing sensible to offer (after "--help" ...) */
	COMPL_COMMAND, /* the first word: a subcommand or a builtin */
	COMPL_OPTION,  /* a word starting with '-' */
	COMPL_VALUE,   /* the value of an option (def) */
	COMPL_ARG,     /* a positional argument */
};

struct compl_spot {
	enum compl_what what;
	const struct opts_cmd *cmd; /* the subcommand, NULL for COMMAND */
	const struct opts_def *def; /* COMPL_VALUE: whose value */
	enum opts_kind kind;	    /* VALUE/ARG: what the value is */
	const char *prefix;	    /* the text typed so far of the value
				       (after "--name=" for that form) */
};

/* Called once per candidate; cand is valid only during the call. */
typedef void (*compl_add_fn)(void *ctx, const char *cand);

/* Finds the subcommand's table by name; cmds[] has ncmds entries. */
const struct opts_cmd *compl_find_cmd(const struct opts_cmd *const *cmds,
				      size_t ncmds, const char *name);

/*
 * Classifies the last of words[0..nwords-1] (the word being completed; it
 * may be ""), words[0] being the subcommand. nwords >= 1.
 */
void compl_locate(const struct opts_cmd *const *cmds, size_t ncmds,
		  char *const *words, int nwords, struct compl_spot *spot);

/*
 * Adds the candidates that the tables alone know for spot: subcommand names
 * (plus extra[], e.g. the shell's builtins, NULL-terminated or NULL),
 * options ("--count", and "-c" when the prefix is a single "-"), enum
 * values. Host, file and free-form values are left to the caller. Returns
 * the number added.
 */
size_t compl_candidates(const struct opts_cmd *const *cmds, size_t ncmds,
			const char *const *extra, const struct compl_spot *spot,
			compl_add_fn add, void *ctx);

/*
 * Adds every host name and address in an /etc/hosts-format buffer that
 * starts with prefix. Comments and malformed lines are skipped; never reads
 * past len. Returns the number added.
 */
size_t compl_hosts_parse(const char *buf, size_t len, const char *prefix,
			 compl_add_fn add, void *ctx);

/*
 * Adds the host-kind words of one command line already split into argv
 * (argv[0] the subcommand): its host positional arguments and the values of
 * its host-kind options, as the parser sees them. For the shell's history.
 */
size_t compl_hosts_in_argv(const struct opts_cmd *cmd, int argc, char **argv,
			   const char *prefix, compl_add_fn add, void *ctx);

#endif
