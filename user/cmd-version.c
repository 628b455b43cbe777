// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace version: the CLI's version and ABI, and the loaded module's,
 * read through the /dev/mptrace version ioctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "libmptrace.h"
#include "mptrace.h"

static const struct mpt_column version_cols[] = {
	{ "COMPONENT", 0, 0, SCOLS_JSON_STRING, true, "cli or module" },
	{ "VERSION",   0, 0, SCOLS_JSON_STRING, true, "version string" },
	{ "ABI",       0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true,
	  "protocol (ABI) version" },
	{ "FEATURES",  0, 0, SCOLS_JSON_STRING, false,
	  "feature bits, hexadecimal" },
};

#define NCOLS (sizeof(version_cols) / sizeof(version_cols[0]))

static const struct mpt_command version_cmd = {
	"version", cmd_version, "", "CLI and module versions and ABI",
};

static int add_row(struct libscols_table *tb, const int *ids, size_t nids,
		   const char *component, const char *version, unsigned int abi,
		   unsigned long long features)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	char buf[32];
	size_t i;

	if (!ln)
		return -ENOMEM;
	for (i = 0; i < nids; i++) {
		const char *val = NULL;

		switch (ids[i]) {
		case 0:
			val = component;
			break;
		case 1:
			val = version;
			break;
		case 2:
			snprintf(buf, sizeof(buf), "%u", abi);
			val = buf;
			break;
		case 3:
			snprintf(buf, sizeof(buf), "0x%llx", features);
			val = buf;
			break;
		}
		if (scols_line_set_data(ln, i, val))
			return -ENOMEM;
	}
	return 0;
}

int cmd_version(int argc, char **argv)
{
	struct libscols_table *tb;
	struct mpt_version v;
	int ids[NCOLS];
	size_t nids;
	int fd, ret;

	ret = mpt_parse_common(argc, argv, &version_cmd, version_cols, NCOLS);
	if (ret >= 0)
		return ret;

	tb = mpt_table_new("version", version_cols, NCOLS, ids, &nids);
	if (!tb)
		return MPT_EXIT_USAGE;

	fd = mpt_dev_open(O_RDONLY);
	if (fd < 0) {
		mpt_err("cannot open %s: %s", MPT_DEVICE_PATH, mpt_strerror(fd));
		scols_unref_table(tb);
		return MPT_EXIT_FAIL;
	}
	ret = mpt_dev_version(fd, &v);
	close(fd);
	if (ret) {
		mpt_err("version ioctl failed: %s", mpt_strerror(ret));
		scols_unref_table(tb);
		return MPT_EXIT_FAIL;
	}
	if (add_row(tb, ids, nids, "cli", MPT_CLI_VERSION, MPT_ABI_VERSION,
		    0) ||
	    add_row(tb, ids, nids, "module", v.version, v.abi, v.features)) {
		scols_unref_table(tb);
		mpt_err("out of memory");
		return MPT_EXIT_FAIL;
	}
	ret = mpt_table_print(tb);
	if (ret == MPT_EXIT_OK && v.abi != MPT_ABI_VERSION) {
		mpt_err("the module speaks ABI %u, this CLI ABI %u: use the CLI built with the module",
			v.abi, MPT_ABI_VERSION);
		ret = MPT_EXIT_FAIL;
	}
	return ret;
}
