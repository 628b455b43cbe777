/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_TRACK_H
#define _MPT_TRACK_H

#include <linux/types.h>

int mpt_track_init(void);
void mpt_track_exit(void);
u64 mpt_features(void);

#endif /* _MPT_TRACK_H */
