/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_NAME_H
#define _MPT_NAME_H

int mpt_name_check(const char *name);

#endif /* _MPT_NAME_H */
