# SPDX-License-Identifier: GPL-2.0
#
# make bench: the benchmark in the test VM (selftests/vm/boot.sh), every
# gateway with the same traffic, then one table of ratios ending with
# "speedup vs userspace gateway: X.Yx".  Included by the top-level Makefile.
#
#   make bench                          every phase (a few minutes)
#   make bench BENCH_PHASES=compare     only the side-by-side comparison
#   make bench BENCH_MEMBERS=1024 BENCH_MESSAGES=50 BENCH_PAYLOAD=512 ...
#   make bench BENCH_ARCH=arm64         the same on the arm64 kernel (QEMU's
#                                       virt machine, the Crypto Extensions)
#   make bench BENCH_MODPARAMS='tfm_cache=8192'
#                                       the module loaded with these parameters
#
# userspace/bench/bench-netns.sh documents the phases and the method;
# Documentation/performance.rst how to read the results.

#
# The guest instructions the gateway's vCPU executes in each run are
# counted by a QEMU plugin of our own (icount-plugin.c, built here for the
# host's QEMU), which answers the benchmark on the guest's third serial
# port (ttyS2: a FIFO on this side; on arm64 a second virtio console,
# hvc1).  BENCH_ICOUNT=0 runs without it.
#
#   make bench BENCH_PROFILE=DIR        also count by translation block and
#                                       print, for each run, the symbols
#                                       that execute the most instructions
#                                       a message (icount-profile.py; the
#                                       raw profile and symbols stay in DIR)

GRPSEC_BENCH_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
BENCH_PHASES ?=
BENCH_TIMEOUT ?= 5400
BENCH_ICOUNT ?= 1
BENCH_PROFILE ?=
BENCH_ARCH ?= x86_64
ifeq ($(BENCH_ARCH),arm64)
BENCH_FLAVOUR := arm64
BENCH_PORT = -chardev pipe,id=icount,path=$$fifo/icount -device virtconsole,chardev=icount
BENCH_TTY := /dev/hvc1
else ifeq ($(BENCH_ARCH),x86_64)
BENCH_FLAVOUR := normal
BENCH_PORT = -serial pipe:$$fifo/icount
BENCH_TTY := /dev/ttyS2
else
$(error BENCH_ARCH is x86_64 or arm64)
endif
BENCH_VARS := BENCH_MEMBERS BENCH_MESSAGES BENCH_PAYLOAD BENCH_REPEAT BENCH_RATE \
	BENCH_BATCH_MAX BENCH_MTU BENCH_FLUSH_USEC BENCH_MEM_MEMBERS BENCH_FLOOD_RATE_LIMIT
COMMA := ,
ICOUNT_PLUGIN := $(GRPSEC_BENCH_DIR)/../../build/icount/grpsec-icount.so

$(ICOUNT_PLUGIN): $(GRPSEC_BENCH_DIR)/icount-plugin.c $(GRPSEC_BENCH_DIR)/icount.h
	mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -o $@ $<

icount-plugin: $(ICOUNT_PLUGIN)

bench: $(if $(filter 0,$(BENCH_ICOUNT)),,$(ICOUNT_PLUGIN))
	$(if $(and $(BENCH_PROFILE),$(filter 0,$(BENCH_ICOUNT))),$(error BENCH_PROFILE=DIR profiles the instruction counts: not with BENCH_ICOUNT=0))
	set -e; \
	if [ "$(BENCH_ICOUNT)" != 0 ]; then \
		fifo=$$(mktemp -d); trap 'rm -rf "$$fifo"' EXIT; \
		mkfifo "$$fifo/icount.in"; : > "$$fifo/icount.out"; \
		GRPSEC_QEMU_ARGS="$${GRPSEC_QEMU_ARGS:-} $(BENCH_PORT) \
			-plugin $(abspath $(ICOUNT_PLUGIN)),out=$$fifo/icount.in$(if $(BENCH_PROFILE),$(COMMA)profile=$(abspath $(BENCH_PROFILE))/blocks)"; \
		export GRPSEC_QEMU_ARGS; \
		icount="BENCH_ICOUNT=$(BENCH_TTY)$(if $(BENCH_PROFILE), BENCH_PROFILE=1)"; \
		$(if $(BENCH_PROFILE),mkdir -p $(BENCH_PROFILE);) \
	fi; \
	$(GRPSEC_BENCH_DIR)/../../selftests/vm/boot.sh -f $(BENCH_FLAVOUR) -t $(BENCH_TIMEOUT) \
		-a $(GRPSEC_BENCH_DIR)/bench-netns.sh \
		-c "$(if $(BENCH_MODPARAMS),modprobe -r grpsec && modprobe grpsec $(BENCH_MODPARAMS) && )$${icount:-} $(foreach v,$(BENCH_VARS),$(if $($(v)),$(v)=$($(v)) ))bash /data/bench-netns.sh $(BENCH_PHASES)"$(if $(BENCH_PROFILE),; \
	cp "$$fifo/icount.out" $(BENCH_PROFILE)/guest; \
	python3 $(GRPSEC_BENCH_DIR)/icount-profile.py $(BENCH_PROFILE))

.PHONY: bench icount-plugin
