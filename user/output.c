// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libmptrace.h"
#include "mptrace.h"
#include "output.h"

struct mpt_opts mpt_opts;
const char *mpt_cmd_name = "mptrace";

/*
 * The bytes of the valid UTF-8 character at @s (1 for ASCII), or 0: a
 * stray byte, a sequence cut short, overlong, a surrogate, past U+10FFFF.
 */
static size_t utf8_char(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* a NUL ends the look here too */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/*
 * JSON has to escape what a string may hold: quotes, backslashes,
 * controls; and is Unicode: a byte that is not UTF-8 (a command name the
 * kernel cut inside a character, one set to anything with PR_SET_NAME)
 * becomes U+FFFD.
 */
void mpt_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	while (*p) {
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p++);
		} else if ((n = utf8_char(p))) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
	fputc('"', f);
}

const char *mpt_cell_text(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, used = 0;

	if (!mpt_opts.json)
		return s;
	while (*p && (n = utf8_char(p)))
		p += n;
	if (!*p)
		return s;	/* all of it UTF-8 already */
	for (p = (const unsigned char *)s; *p; p += n ? n : 1) {
		n = utf8_char(p);
		if (used + (n ? n : 3) >= len)
			break;
		if (n)
			memcpy(buf + used, p, n);
		else
			memcpy(buf + used, "\xef\xbf\xbd", 3);
		used += n ? n : 3;
	}
	buf[used] = '\0';
	return buf;
}

static void mpt_verr(const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* Not where the output itself could not go. */
	if (mpt_opts.json && !ferror(stdout)) {
		fputs("{\"error\": ", stdout);
		mpt_json_string(stdout, buf);
		fputs("}\n", stdout);
		fflush(stdout);
	} else {
		fprintf(stderr, "%s: %s\n", mpt_cmd_name, buf);
	}
}

void mpt_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mpt_verr(fmt, ap);
	va_end(ap);
}

int mpt_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mpt_verr(fmt, ap);
	va_end(ap);
	if (!mpt_opts.json)
		fprintf(stderr, "Try '%s --help'.\n", mpt_cmd_name);
	return MPT_EXIT_USAGE;
}

static int column_id(const char *name, size_t len,
		     const struct mpt_column *cols, size_t ncols)
{
	size_t i;

	for (i = 0; i < ncols; i++)
		if (strlen(cols[i].name) == len &&
		    !strncasecmp(cols[i].name, name, len))
			return i;
	return -1;
}

/* -o LIST: comma-separated names; "+LIST" adds to the defaults. */
static int parse_columns(const char *list, const struct mpt_column *cols,
			 size_t ncols, int *ids, size_t *nids)
{
	const char *p = list;
	size_t i;

	*nids = 0;
	if (*p == '+') {
		for (i = 0; i < ncols; i++)
			if (cols[i].deflt)
				ids[(*nids)++] = i;
		p++;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		int id = column_id(p, len, cols, ncols);

		if (id < 0) {
			mpt_usage_err("unknown column '%.*s' (-H lists them)",
				      (int)len, p);
			return -1;
		}
		if (*nids == ncols) {
			mpt_usage_err("too many columns in '%s'", list);
			return -1;
		}
		ids[(*nids)++] = id;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!*nids) {
		mpt_usage_err("no column given to -o");
		return -1;
	}
	return 0;
}

void mpt_json_key(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = name[i] == '-' ? '_' : tolower((unsigned char)name[i]);
	buf[i] = '\0';
}

struct libscols_table *mpt_table_new(const char *name,
				     const struct mpt_column *cols,
				     size_t ncols, int *ids, size_t *nids)
{
	struct libscols_table *tb;
	size_t i;

	if (mpt_opts.columns) {
		if (parse_columns(mpt_opts.columns, cols, ncols, ids, nids))
			return NULL;
	} else {
		*nids = 0;
		for (i = 0; i < ncols; i++)
			if (cols[i].deflt || mpt_opts.all_columns)
				ids[(*nids)++] = i;
	}

	tb = scols_new_table();
	if (!tb) {
		mpt_err("out of memory");
		return NULL;
	}
	scols_table_set_name(tb, name);
	scols_table_enable_json(tb, mpt_opts.json);
	scols_table_enable_raw(tb, mpt_opts.raw);
	scols_table_enable_noheadings(tb, mpt_opts.noheadings);

	for (i = 0; i < *nids; i++) {
		const struct mpt_column *c = &cols[ids[i]];
		struct libscols_column *cl;
		char key[64];

		/* libsmartcols makes the JSON key of the column's name. */
		mpt_json_key(c->name, key, sizeof(key));
		cl = scols_table_new_column(tb, mpt_opts.json ? key : c->name,
					    c->whint, c->flags);
		if (!cl) {
			scols_unref_table(tb);
			mpt_err("out of memory");
			return NULL;
		}
		scols_column_set_json_type(cl, c->json_type);
	}
	return tb;
}

int mpt_parse_num(const char *cmd, const char *opt, const char *s, long max,
		  long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	/* Digits only: strtol() would take " 12" and "+12" too. */
	if (!isdigit((unsigned char)*s) || errno || *end || *out <= 0 ||
	    *out > max)
		return mpt_usage_err("%s: %s needs a number from 1 to %ld, not '%s'",
				     cmd, opt, max, s);
	return 0;
}

int mpt_table_print(struct libscols_table *tb)
{
	int ret = scols_print_table(tb);

	scols_unref_table(tb);
	if (ret) {
		mpt_err("cannot print the table");
		return MPT_EXIT_FAIL;
	}
	return MPT_EXIT_OK;
}

int mpt_table_print_last(struct libscols_table *tb)
{
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	if (scols_print_table(tb)) {
		mpt_err("cannot print the table");
		return MPT_EXIT_FAIL;
	}
	return MPT_EXIT_OK;
}

void mpt_list_columns(const struct mpt_column *cols, size_t ncols)
{
	size_t i;

	for (i = 0; i < ncols; i++)
		printf("%12s  %s%s\n", cols[i].name, cols[i].help,
		       cols[i].deflt ? "" : " (not shown by default)");
}

int mpt_parse_seconds(const char *cmd, const char *s, long long *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* Decimal digits and a point: not " 1", "+1", "1e3" nor "0x1p3". */
	if (!*s || s[strspn(s, "0123456789.")] || errno || *end || v > 1e9)
		return mpt_usage_err("%s: --timeout needs seconds (e.g. 2 or 0.5), not '%s'",
				     cmd, s);
	*ns = (long long)(v * 1e9);
	return 0;
}

int mpt_parse_mode(const char *cmd, const char *s, unsigned int *mode)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 8);
	/* Octal digits only: not "-0", "+600" nor " 600". */
	if (!*s || s[strspn(s, "01234567")] || errno || *end || v > 0777)
		return mpt_usage_err("%s: --mode needs octal permission bits from 0 to 0777, not '%s'",
				     cmd, s);
	*mode = v;
	return 0;
}

/* A row's cells, as mpt_ls() and mpt_json_fields() take them. */
int mpt_ls(int argc, char **argv, const char *cmd, const char *table,
	   const struct mpt_column *cols, size_t ncols, void (*usage)(FILE *),
	   int (*fetch)(void **rows, size_t *n), size_t rowsize,
	   mpt_cell_fn cell)
{
	static const struct option longopts[] = {
		MPT_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct libscols_table *tb;
	size_t nids, n, i, j;
	char buf[128];
	void *rows;
	int *ids, c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, MPT_COMMON_SHORTOPTS "h",
				longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return MPT_EXIT_OK;
		}
		ret = mpt_common_opt(c, cols, ncols);
		if (ret == 1)
			return MPT_EXIT_OK;
		if (ret < 0)
			return mpt_option_err(cmd, MPT_COMMON_SHORTOPTS "h",
					      longopts, argv);
	}
	if (optind < argc)
		return mpt_usage_err("%s: unexpected argument '%s'", cmd,
				     argv[optind]);
	ids = calloc(ncols, sizeof(*ids));
	tb = ids ? mpt_table_new(table, cols, ncols, ids, &nids) : NULL;
	if (!tb) {
		free(ids);
		return MPT_EXIT_USAGE;
	}
	ret = fetch(&rows, &n);
	if (ret) {
		mpt_err("%s: %s", cmd, mpt_strerror(ret));
		n = 0;
		rows = NULL;
	}
	for (i = 0; i < n && !ret; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		for (j = 0; ln && j < nids; j++) {
			cell((char *)rows + i * rowsize, ids[j], buf,
			     sizeof(buf));
			if (scols_line_set_data(ln, j, buf))
				ln = NULL;
		}
		if (!ln) {
			mpt_err("out of memory");
			ret = -ENOMEM;
		}
	}
	free(rows);
	free(ids);
	if (ret) {
		scols_unref_table(tb);
		return MPT_EXIT_FAIL;
	}
	return mpt_table_print(tb);
}

void mpt_json_fields(const struct mpt_column *cols, size_t ncols,
		     const void *row, mpt_cell_fn cell)
{
	char buf[128], key[64];
	size_t i;

	for (i = 0; i < ncols; i++) {
		cell(row, i, buf, sizeof(buf));
		mpt_json_key(cols[i].name, key, sizeof(key));
		printf("%s\"%s\": ", i ? ", " : "", key);
		if (cols[i].json_type == SCOLS_JSON_NUMBER)
			printf("%s", buf);
		else
			mpt_json_string(stdout, buf);
	}
}

double mpt_since_s(uint64_t boottime_ns)
{
	struct timespec now;

	clock_gettime(CLOCK_BOOTTIME, &now);
	return ((double)now.tv_sec * 1e9 + now.tv_nsec -
		(double)boottime_ns) / 1e9;
}
