// SPDX-License-Identifier: GPL-2.0
/*
 * Names of queues (and locks): what user space may call them.
 */
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/mptrace.h>

#include "name.h"

/*
 * A name is 1 to MPT_NAME_LEN - 1 bytes of [A-Za-z0-9._+:@-], not
 * starting with '.', NUL-terminated within MPT_NAME_LEN bytes: printable
 * in any listing, never a path, never hidden.  0 or -EINVAL.
 */
int mpt_name_check(const char *name)
{
	size_t len = strnlen(name, MPT_NAME_LEN), i;

	if (!len || len == MPT_NAME_LEN || name[0] == '.')
		return -EINVAL;
	/* Not isalnum(): the kernel's ctype takes Latin-1 letters too. */
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) || (!isalnum(name[i]) &&
					  !strchr("._+:@-", name[i])))
			return -EINVAL;
	return 0;
}
