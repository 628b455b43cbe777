#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The KUnit suites of mptrace (mptrace_kunit.ko), where the kernel has
# KUnit (the debug kernel of the matrix): load the module, which runs the
# suites, print their KTAP results from debugfs and one "# Totals:" line.

ko=${MPTRACE_KUNIT_KO:-/lib/modules/mptrace_kunit.ko}
dir=/sys/kernel/debug/kunit

echo "TAP version 13"
if [ ! -e "$ko" ] || [ ! -d "$dir" ]; then
	echo "1..0 # SKIP this kernel has no KUnit (the debug kernel has)"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 0
fi
if ! insmod "$ko"; then
	echo "not ok 1 insmod $ko"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi

pass=0 fail=0 skip=0
for suite in "$dir"/mptrace_*; do
	[ -e "$suite/results" ] || continue
	sed 's/^/# /' "$suite/results"
	# Test cases are the indented result lines of each suite.
	p=$(grep -cE '^ +ok [0-9]+ [^#]*$' "$suite/results")
	s=$(grep -cE '^ +ok [0-9]+ .*# SKIP' "$suite/results")
	f=$(grep -cE '^ +not ok [0-9]+ ' "$suite/results")
	pass=$((pass + p)) skip=$((skip + s)) fail=$((fail + f))
done
rmmod mptrace_kunit
[ $((pass + fail + skip)) -gt 0 ] || fail=1
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ $fail = 0 ]
