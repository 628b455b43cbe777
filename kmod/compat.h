/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels mptrace supports (Debian's 6.1 and
 * 6.12) lives here and nowhere else.  The MPT_HAVE_* switches are set by
 * Kbuild from the target kernel's headers, never from version numbers:
 * distributions backport, so the headers are the truth.
 *
 * This file is force-included before every source file of the module.
 */
#ifndef _MPT_COMPAT_H
#define _MPT_COMPAT_H

/*
 * 6.2 split do/dump operations out of struct genl_ops; since then the
 * family's pre_doit() receives a struct genl_split_ops.
 */
#ifdef MPT_HAVE_GENL_SPLIT_OPS
#define mpt_genl_pre_doit_ops	genl_split_ops
#else
#define mpt_genl_pre_doit_ops	genl_ops
#endif

/*
 * 6.3 made a VMA's flags writable only through vm_flags_set() and its
 * kind, with the mmap lock held for writing.
 */
#ifdef MPT_HAVE_VM_FLAGS_SET
#define mpt_vm_flags_set(vma, flags)	vm_flags_set(vma, flags)
#else
#define mpt_vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#endif

#endif /* _MPT_COMPAT_H */
