# SPDX-License-Identifier: GPL-2.0
#
# mptrace: one entry point.
#
#   make            build the module for every kernel of the matrix, the CLI
#                   and the selftests
#   make demo       boot the test VM and replay every tutorial scenario
#                   (mptrace demo all; DEMO=NAME for one, DEMO_KERNEL=6.1)
#   make tour       boot the test VM and take the CLI tour (watch, ps,
#                   spawn, queue, lock)
#   make check      style checks, then every test on every kernel
#   make fuzz       fuzz the module in the VM (FUZZ_SECONDS, FUZZ_SEED)
#   make bench      mptrace next to the kernel's primitives, in the VM
#                   (and some scenarios again on a clock of guest
#                   instructions): build/bench/results.json and ratios.png
#                   (QUICK=1: a short smoke run; BENCH_KERNEL=6.1)
#   make install    install the CLI, its man page and the module for the
#                   running kernel (DESTDIR, PREFIX honoured)
#   make clean      remove build/
#
# Everything is built under build/; the extracted kernel source and the
# debug kernel are cached under $(MPT_CACHE), outside the repository.
# Missing packages are installed by tools/setup first.

ROOT		:= $(CURDIR)
BUILD		?= $(ROOT)/build
MPT_CACHE	?= $(or $(XDG_CACHE_HOME),$(or $(HOME),/root)/.cache)/mptrace
VERSION		:= $(shell cat $(ROOT)/VERSION)
PREFIX		?= /usr/local
export MPT_BUILD := $(BUILD)
export MPT_CACHE

# The kernels of the matrix: Debian's cloud kernels found in /boot.
KERNEL_RELEASES	?= $(shell ls /boot 2>/dev/null | \
			sed -n 's/^vmlinuz-\(.*-cloud-amd64\)$$/\1/p' | sort -V)
# The debug kernel, once tools/debug-kernel has built it.
DEBUG_RELEASE	:= $(shell cat $(MPT_CACHE)/debug/current/release 2>/dev/null)

kdir = $(if $(filter $(DEBUG_RELEASE),$(1)),$(MPT_CACHE)/debug/current/build,/lib/modules/$(1)/build)

# Linux source, extracted once per package version: checkpatch.pl and the
# kselftest harness come from here.
KSRC_VERSION	= $(shell dpkg-query -W -f='$${Version}' linux-source-6.12 2>/dev/null)
KSRC		= $(MPT_CACHE)/linux-source-$(subst ~,-,$(KSRC_VERSION))
KSFT_DIR	= $(KSRC)/tools/testing/selftests

.PHONY: all setup modules user selftests vm-deps ksrc demo tour bench check style \
	sparse fuzz install clean print-ksrc

all: setup
	@$(MAKE) -s --no-print-directory modules user selftests

setup:
	@tools/setup --check 2>/dev/null || tools/setup

# --- module -----------------------------------------------------------------

KMOD_SRCS := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild
KMOD_DEPS := $(KMOD_SRCS) $(wildcard kmod/uapi/linux/*.h) VERSION

modules: $(foreach r,$(KERNEL_RELEASES) $(DEBUG_RELEASE),$(BUILD)/kmod/$(r)/mptrace.ko)

# Each kernel gets its own build directory of symlinks, so one checkout
# builds for all of them without cleaning in between.
$(BUILD)/kmod/%/mptrace.ko: $(KMOD_DEPS)
	@mkdir -p $(@D)
	@for f in $(KMOD_SRCS); do ln -sf $(ROOT)/$$f $(@D)/; done
	@ln -sfn $(ROOT)/kmod/uapi $(@D)/uapi
	@echo "  KMOD    $*"
	@$(MAKE) --no-print-directory -s -C $(call kdir,$*) M=$(@D) \
		MPT_VERSION=$(VERSION) W=1 modules

# A new debug kernel (another config) needs the module built anew.
ifneq ($(DEBUG_RELEASE),)
$(BUILD)/kmod/$(DEBUG_RELEASE)/mptrace.ko: $(MPT_CACHE)/debug/current/bzImage
endif

# --- kernel source (checkpatch, kselftest harness) ---------------------------

ksrc: $(KSRC)/.extracted

$(KSRC)/.extracted:
	@test -n "$(KSRC_VERSION)" || { echo "linux-source-6.12 missing: run tools/setup" >&2; exit 1; }
	@echo "  EXTRACT linux-source-6.12 $(KSRC_VERSION) -> $(KSRC)"
	@mkdir -p $(KSRC).tmp
	@tar -xf /usr/src/linux-source-6.12.tar.xz -C $(KSRC).tmp --strip-components=1
	@rm -rf $(KSRC) && mv $(KSRC).tmp $(KSRC)
	@touch $@

# --- userspace ----------------------------------------------------------------

user:
	@$(MAKE) --no-print-directory -C user BUILD=$(BUILD)/user VERSION=$(VERSION)

selftests: ksrc user
	@mkdir -p $(BUILD)/selftests
	@$(MAKE) --no-print-directory -C selftests/mptrace OUTPUT=$(BUILD)/selftests \
		KSFT_DIR=$(KSFT_DIR) MPT_UAPI=$(ROOT)/kmod/uapi \
		MPT_LIB=$(BUILD)/user MPT_LIB_INC=$(ROOT)/user

# What tools/vm needs for the kernels it is asked to boot.
vm-deps: setup
	@$(MAKE) -s --no-print-directory user selftests \
		$(foreach r,$(KERNEL_RELEASES),$(BUILD)/kmod/$(r)/mptrace.ko)

# --- checks -------------------------------------------------------------------

style: ksrc
	@$(KSRC)/scripts/checkpatch.pl --strict --no-tree --quiet \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f kmod/*.c kmod/*.h kmod/uapi/linux/*.h && echo "checkpatch: clean"

# Sparse (C=2: every file) against each kernel of the matrix.
sparse: all
	@for r in $(KERNEL_RELEASES) $(DEBUG_RELEASE); do \
		echo "  SPARSE  $$r"; \
		out=$$($(MAKE) --no-print-directory -s -C $$(test "$$r" = "$(DEBUG_RELEASE)" && \
			echo $(MPT_CACHE)/debug/current/build || echo /lib/modules/$$r/build) \
			M=$(BUILD)/kmod/$$r MPT_VERSION=$(VERSION) C=2 W=1 modules 2>&1 | \
			grep -v 'Skipping BTF generation'); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	done; echo "sparse: clean"

# The debug kernel is part of the matrix: built on first use, then cached.
check: setup
	@tools/debug-kernel
	@$(MAKE) -s --no-print-directory all
	@tools/check

DEMO		?= all
demo: all
	@tools/vm run -B $(if $(DEMO_KERNEL),--kernel $(DEMO_KERNEL)) -- mptrace demo $(DEMO)

tour: all
	@tools/vm run -B -- mptrace-tour

bench: setup
	@tools/bench $(if $(filter-out 0,$(QUICK)),--quick) $(if $(BENCH_KERNEL),--kernel $(BENCH_KERNEL))

# make fuzz [FUZZ_SEED=N] [FUZZ_SECONDS=S] [FUZZ_KERNEL=debug|6.12|6.1]
FUZZ_SECONDS	?= 60
fuzz: all
	@tools/fuzz --duration $(FUZZ_SECONDS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) \
		$(if $(FUZZ_KERNEL),--kernel $(FUZZ_KERNEL))

# --- install ------------------------------------------------------------------

install: all
	@$(MAKE) --no-print-directory -C user BUILD=$(BUILD)/user \
		VERSION=$(VERSION) DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) install
	@r=$$(uname -r); if [ -d /lib/modules/$$r/build ]; then \
		$(MAKE) --no-print-directory $(BUILD)/kmod/$$r/mptrace.ko && \
		install -D -m 644 $(BUILD)/kmod/$$r/mptrace.ko \
			$(DESTDIR)/lib/modules/$$r/updates/mptrace.ko; \
	else echo "install: no headers for $$r; module not installed"; fi

clean:
	rm -rf $(BUILD)

print-ksrc:
	@echo $(KSRC)
