/*
 * gen - documents generated from the option tables at build time.
 *
 *   echolot --generate options        every subcommand's options, as TSV:
 *     command SUB ARGKIND USAGE SUMMARY
 *     option SUB SHORT LONG KIND METAVAR VALUES HELP FLAGS
 *   echolot --generate bash|zsh|fish  the completion file for that shell
 *   echolot --generate man [SUB] <IN  IN with its marker lines filled in
 *
 * The option is deliberately missing from `echolot --help`: users never need
 * it; Makefile.am and the tests do (see man/README).
 */
#ifndef ECHOLOT_GEN_H
#define ECHOLOT_GEN_H

/* argv[0] is "--generate". Returns the exit status. */
int gen_main(int argc, char **argv);

#endif
