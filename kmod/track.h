/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_TRACK_H
#define _MPT_TRACK_H

int mpt_track_init(void);
void mpt_track_exit(void);

#endif /* _MPT_TRACK_H */
