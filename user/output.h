/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output of the mptrace CLI: tables (and later trees) through
 * libsmartcols, in human, raw or JSON form; errors to stderr or, in JSON
 * mode, as {"error": "..."} on stdout.
 */
#ifndef MPT_OUTPUT_H
#define MPT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <libsmartcols.h>

/* Exit codes of every command. */
enum {
	MPT_EXIT_OK	= 0,
	MPT_EXIT_FAIL	= 1,
	MPT_EXIT_USAGE	= 2,
};

/* Options common to every command. */
struct mpt_opts {
	bool json;
	bool raw;
	bool noheadings;
	const char *columns;	/* -o LIST, or NULL for the defaults */
	bool all_columns;	/* --output-all */
};

/* A column a command can show, in the style of util-linux's tools. */
struct mpt_column {
	const char *name;
	double whint;
	int flags;		/* SCOLS_FL_* */
	int json_type;		/* SCOLS_JSON_* */
	bool deflt;		/* shown without -o */
	const char *help;
};

extern struct mpt_opts mpt_opts;
extern const char *mpt_cmd_name;

void mpt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int mpt_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The JSON key of column @name, into @buf: lower case, '-' as '_'
 * (PUT-WAIT is "put_wait"), as every JSON the CLI prints spells its keys.
 */
void mpt_json_key(const char *name, char *buf, size_t len);
/*
 * A table of the columns @cols chosen by the common options; on a bad
 * column name, prints the error and returns NULL.  @ids receives, for
 * each table column, its index in @cols; *@nids their count.
 */
struct libscols_table *mpt_table_new(const char *name,
				     const struct mpt_column *cols,
				     size_t ncols, int *ids, size_t *nids);
/* Print @tb and free it: MPT_EXIT_OK, or MPT_EXIT_FAIL with the error said. */
int mpt_table_print(struct libscols_table *tb);
/*
 * The same for the last thing a command does before it exits: stdout is
 * written without stdio's locking (the CLI has one thread), and @tb is
 * left to the exit instead of being taken apart cell by cell.
 */
int mpt_table_print_last(struct libscols_table *tb);
void mpt_list_columns(const struct mpt_column *cols, size_t ncols);
void mpt_json_string(FILE *f, const char *s);
/*
 * @s for a table cell: as it is, but in JSON output with each byte that
 * is not UTF-8 replaced by U+FFFD (libsmartcols writes bytes as they
 * are), in @buf (of @len bytes) then.
 */
const char *mpt_cell_text(const char *s, char *buf, size_t len);
/*
 * Option @opt of command @cmd takes a number from 1 to @max: parse @s into
 * *@out, or print a usage error and return 2.
 */
int mpt_parse_num(const char *cmd, const char *opt, const char *s, long max,
		  long *out);

/* --timeout S of command @cmd: seconds (fractions allowed) into *@ns. */
int mpt_parse_seconds(const char *cmd, const char *s, long long *ns);
/* --mode M of command @cmd: octal permission bits. */
int mpt_parse_mode(const char *cmd, const char *s, unsigned int *mode);

/* Seconds from CLOCK_BOOTTIME @boottime_ns (as the module stamps) to now. */
double mpt_since_s(uint64_t boottime_ns);

/* Write column @col of @row into @buf. */
typedef void (*mpt_cell_fn)(const void *row, int col, char *buf, size_t len);

/*
 * The "ls" subcommand @cmd of a kind of object: the common options, then
 * a table named @table (the array of its JSON) of the rows @fetch returns
 * (a malloc'ed array of @rowsize-byte rows, or a negative errno).
 * Returns the exit code.
 */
int mpt_ls(int argc, char **argv, const char *cmd, const char *table,
	   const struct mpt_column *cols, size_t ncols, void (*usage)(FILE *),
	   int (*fetch)(void **rows, size_t *n), size_t rowsize,
	   mpt_cell_fn cell);
/* Every column of @row as "key": value pairs of a JSON object's body. */
void mpt_json_fields(const struct mpt_column *cols, size_t ncols,
		     const void *row, mpt_cell_fn cell);

#endif /* MPT_OUTPUT_H */
