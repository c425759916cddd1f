# SPDX-License-Identifier: GPL-2.0
#
# Test targets, included by the top-level Makefile.
#
#   make check             everything: host checks, then KUnit and the
#                          selftests on the normal and the debug kernel
#   make check-quick       the same on the normal kernel only
#   make check-distro      the same on Debian's own kernel only
#                          (linux-image-amd64, modprobe, no KUnit)
#   make check-arm64       the same on the arm64 kernel only (cross-built,
#                          QEMU's virt machine; the arm64_tests selftests)
#   make check TESTS=name  only the selftest "name" (or a glob) in the VM
#   make check-kernels     build (or find cached) the three test kernels
#   make vm-shell          a shell in the VM with the module loaded
#                          (FLAVOUR=debug, distro or arm64 for another kernel)
#   make check-clean       remove the harness's build directory
#
# selftests/vm/check.sh and selftests/vm/boot.sh document the environment
# variables they read (GRPSEC_FLAVOURS, GRPSEC_TESTS, ...).

GRPSEC_VM_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
FLAVOUR ?= normal

ifneq ($(TESTS),)
export GRPSEC_TESTS := $(TESTS)
endif

check:
	$(GRPSEC_VM_DIR)/check.sh

check-quick:
	GRPSEC_FLAVOURS=normal $(GRPSEC_VM_DIR)/check.sh

check-distro:
	GRPSEC_FLAVOURS=distro $(GRPSEC_VM_DIR)/check.sh

check-arm64:
	GRPSEC_FLAVOURS=arm64 $(GRPSEC_VM_DIR)/check.sh

check-kernels:
	$(GRPSEC_VM_DIR)/build-kernel.sh normal
	$(GRPSEC_VM_DIR)/build-kernel.sh debug
	$(GRPSEC_VM_DIR)/build-kernel.sh arm64

vm-shell:
	$(GRPSEC_VM_DIR)/boot.sh -f $(FLAVOUR)

check-clean:
	rm -rf $(GRPSEC_VM_DIR)/../../build/vm

.PHONY: check check-quick check-distro check-arm64 check-kernels vm-shell check-clean
