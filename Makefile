# SPDX-License-Identifier: GPL-2.0
#
# grpsec: `make` builds the kernel module and the userspace programs,
# `make check` runs every test in a VM, `make demo` shows it working.

KVER ?= $(shell uname -r)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
		    $(wildcard /usr/src/linux-headers-*-amd64))
PREFIX ?= /usr
DESTDIR ?=

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra modules_install
	$(MAKE) -C userspace install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean

-include selftests/vm/harness.mk
-include userspace/bench/bench.mk

.PHONY: all module userspace install clean

# The demo boots the test VM (building what is missing) and runs
# selftests/vm/demo.sh in it.
demo:
	selftests/vm/boot.sh selftests/vm/demo.sh

.PHONY: demo
