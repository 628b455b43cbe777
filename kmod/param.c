// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters with a range: a value outside it is refused at load,
 * with a message that says what is allowed, rather than taken and found
 * wrong later (a table that tracks nothing, a limit no ring fits in).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

#include "param.h"

/*
 * One set and one get for both ops: the ops say the variable's type.  Not
 * a number, one too large for unsigned long, or one out of range: EINVAL
 * (not ERANGE), with the range said.
 */
static int mpt_param_set(const char *val, const struct kernel_param *kp)
{
	const struct mpt_param *p = kp->arg;
	unsigned long n;

	if (kstrtoul(val, 0, &n) || n < p->min || n > p->max) {
		pr_err("%s=%s refused: %s must be a number from %lu to %lu\n",
		       kp->name, val, kp->name, p->min, p->max);
		return -EINVAL;
	}
	if (kp->ops == &mpt_param_uint_ops)
		*p->uint = n;
	else
		*p->ulong = n;
	return 0;
}

static int mpt_param_get(char *buf, const struct kernel_param *kp)
{
	const struct mpt_param *p = kp->arg;

	if (kp->ops == &mpt_param_uint_ops)
		return scnprintf(buf, PAGE_SIZE, "%u\n", *p->uint);
	return scnprintf(buf, PAGE_SIZE, "%lu\n", *p->ulong);
}

const struct kernel_param_ops mpt_param_uint_ops = {
	.set	= mpt_param_set,
	.get	= mpt_param_get,
};

const struct kernel_param_ops mpt_param_ulong_ops = {
	.set	= mpt_param_set,
	.get	= mpt_param_get,
};
