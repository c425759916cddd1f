# SPDX-License-Identifier: GPL-2.0
#
# make bench: the benchmark in the test VM (selftests/vm/boot.sh), every
# gateway with the same traffic, then one table of ratios ending with
# "speedup vs userspace gateway: X.Yx".  Included by the top-level Makefile.
#
#   make bench                          every phase (a few minutes)
#   make bench BENCH_PHASES=compare     only the side-by-side comparison
#   make bench BENCH_MEMBERS=1024 BENCH_MESSAGES=50 BENCH_PAYLOAD=512 ...
#
# userspace/bench/bench-netns.sh documents the phases and the method;
# Documentation/performance.rst how to read the results.

GRPSEC_BENCH_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
BENCH_PHASES ?=
BENCH_TIMEOUT ?= 5400
BENCH_VARS := BENCH_MEMBERS BENCH_MESSAGES BENCH_PAYLOAD BENCH_REPEAT BENCH_RATE \
	BENCH_BATCH_MAX BENCH_MTU BENCH_FLUSH_USEC BENCH_MEM_MEMBERS

bench:
	$(GRPSEC_BENCH_DIR)/../../selftests/vm/boot.sh -t $(BENCH_TIMEOUT) \
		-a $(GRPSEC_BENCH_DIR)/bench-netns.sh \
		-c '$(foreach v,$(BENCH_VARS),$(if $($(v)),$(v)=$($(v)) ))bash /data/bench-netns.sh $(BENCH_PHASES)'

.PHONY: bench
