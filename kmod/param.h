/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_PARAM_H
#define _MPT_PARAM_H

#include <linux/moduleparam.h>

/**
 * struct mpt_param - a module parameter and the range it must lie in
 * @uint: the variable, for mpt_param_uint_ops
 * @ulong: the variable, for mpt_param_ulong_ops
 * @min: the smallest value accepted
 * @max: the largest value accepted
 *
 * The argument of module_param_cb() with one of the ops below: a value
 * that is not a number, or not from @min to @max, makes the load fail
 * with EINVAL and a message naming the parameter and the range.
 */
struct mpt_param {
	union {
		unsigned int	*uint;
		unsigned long	*ulong;
	};
	unsigned long	min;
	unsigned long	max;
};

extern const struct kernel_param_ops mpt_param_uint_ops;
extern const struct kernel_param_ops mpt_param_ulong_ops;

#endif /* _MPT_PARAM_H */
