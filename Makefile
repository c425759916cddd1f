# SPDX-License-Identifier: GPL-2.0
#
# grpsec: `make` builds the kernel module and the userspace programs,
# `make check` runs every test in a VM, `make demo` shows it working.

KVER ?= $(shell uname -r)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
		    $(wildcard /usr/src/linux-headers-*-amd64))
PREFIX ?= /usr
DESTDIR ?=
VERSION := $(shell cat VERSION)

# What the DKMS source tree holds: enough for Kbuild, KUnit suites included.
DKMS_FILES := Kbuild VERSION dkms.conf kernel/Kbuild $(wildcard kernel/*.[ch]) \
	$(wildcard kernel/tests/*.[ch]) uapi/linux/grpsec.h \
	Documentation/vectors/v2_vectors.h

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace

# make install [DESTDIR=...] [PREFIX=...]: the module into
# $(DESTDIR)/lib/modules/<ver>/extra (run depmod -a after), the tool, the
# library, man pages and completion under $(DESTDIR)$(PREFIX).
install: install-module install-userspace

install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install

install-userspace:
	$(MAKE) -C userspace install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# make install-dkms: the module's source into /usr/src/grpsec-<version>
# for "dkms install grpsec/<version>" (the grpsec-dkms package's content).
install-dkms:
	set -e; for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)/usr/src/grpsec-$(VERSION)/$$f; \
	done

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean

-include selftests/vm/harness.mk
-include userspace/bench/bench.mk

.PHONY: all module userspace install install-module install-userspace \
	install-dkms clean

# The demo boots the test VM (building what is missing) and runs
# selftests/vm/demo.sh in it (DEMO_METERS=N: that many meters, not 1,000).
demo:
	selftests/vm/boot.sh selftests/vm/demo.sh $(DEMO_METERS)

.PHONY: demo
