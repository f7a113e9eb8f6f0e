# gmem: one Makefile for the whole tree.
#
#   make            build everything (modules, BPF policies, library, CLI, tools, host tests)
#   make test       host tests (Criterion) then the in-guest suite; ends "N passed, N failed"
#   make test-debug the in-guest suite on a lockdep+KASAN kernel built from
#                   linux-source-6.12 (long first build, cached; docs/debug-kernel.md)
#   make demo       the main job in the guest (LLM training sweep, built-in vs llm_layer)
#   make bench      the benchmark matrix in the guest, report under results/
#   make bench-hook BPF hook overhead: built-in vs builtin_twin (same decisions), icount
#   make bench-clock device time on the simulated device clock, llm_layer vs uvm_like
#   make bench-serve tenants at once: static HBM partitioning vs one shared pool with
#                   per-cgroup limits, and isolation (docs/multi-tenant.md), icount
#   make vm         an interactive guest shell
#   make deb        Debian packages (DKMS module, library, -dev, tools, policies)
#   make deps       install packages (Debian bookworm + backports) and fetch the guest kernel
#                   (plain `make` only checks them; `make demo` and `make test` install too)
#
# Everything generated goes under build/. Each folder adds its own rules in a
# small *.mk fragment included below; this file holds what they share.

TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build
KROOT	:= $(BUILD)/kernel
KDIR	:= $(KROOT)/headers
KMOD	:= $(BUILD)/kmod
BPFOUT	:= $(BUILD)/bpf
BIN	:= $(BUILD)/bin
INC_GEN	:= $(BUILD)/include

CC	:= gcc
CLANG	:= clang
BPFTOOL	:= bpftool
V	?= 0
Q	:= $(if $(filter 1,$(V)),,@)

# Userspace: warnings are errors; the UAPI header comes from the kernel folder.
CFLAGS	?= -O2 -g
CFLAGS	+= -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	   -I$(TOP)/kernel/include/uapi -I$(TOP)/libgmempolicy/include -I$(INC_GEN)
LIBBPF_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)

# BPF: compiled against the generated kernel+module type header.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	      -I$(INC_GEN) -I$(TOP)/bpf -I/usr/include/x86_64-linux-gnu

.PHONY: all deps modules bpf test test-host test-guest demo bench bench-hook bench-clock bench-serve vm clean install
all: modules bpf

DEPS_STAMP := $(BUILD)/.deps-ok
# Plain `make` only checks the dependencies and says to run `make deps`; only
# `make deps` and the README's two commands (`make demo`, `make test`) install.
DEPS_MODE := $(if $(filter deps demo test,$(MAKECMDGOALS)),,--check)
$(DEPS_STAMP): scripts/deps.sh
	$(Q)bash scripts/deps.sh $(DEPS_MODE)
	$(Q)mkdir -p $(BUILD) && touch $@
deps:
	$(Q)bash scripts/deps.sh
	$(Q)mkdir -p $(BUILD) && touch $(DEPS_STAMP)

# ---- kernel modules --------------------------------------------------------
# Kbuild for 6.12 builds inside M=; mirror kernel/ as a symlink tree under
# build/kmod so no object lands in the source tree.
KSRC := $(shell find kernel -name '*.[ch]' -o -name Kbuild)
MODULES := $(KMOD)/gmem.ko $(KMOD)/drivers/gmem_sim/gmem_sim.ko
modules: $(MODULES)
$(MODULES) &: $(KSRC) $(DEPS_STAMP)
	$(Q)mkdir -p $(KMOD) && cp -rsf $(TOP)/kernel/. $(KMOD)/
	$(Q)$(MAKE) -s -C $(KDIR) M=$(KMOD) CC=gcc-12 modules
	$(Q)for m in $(MODULES); do \
		readelf -S $$m | grep -q '\.BTF ' || { echo "error: $$m has no module BTF"; exit 1; }; \
	done

# One header with the kernel's and the module's types (a vmlinux.h for policies).
$(INC_GEN)/gmem_vmlinux.h: $(KMOD)/gmem.ko
	$(Q)mkdir -p $(INC_GEN)
	$(Q)$(BPFTOOL) btf dump file $< --base-btf $(KDIR)/vmlinux format c > $@.$$$$ && mv $@.$$$$ $@

include bpf/bpf.mk
include policies/policies.mk
include libgmempolicy/lib.mk
include gmemctl/gmemctl.mk
include bench/bench.mk
include examples/examples.mk
include tests/tests.mk
include vmtest/vmtest.mk
include vmtest/debug.mk
-include docs/docs.mk
include packaging/deb.mk

clean:
	rm -rf $(BUILD)/kmod $(BUILD)/bpf $(BUILD)/bin $(BUILD)/lib $(BUILD)/obj $(BUILD)/bench \
	       $(BUILD)/include $(BUILD)/tests $(BUILD)/vmtest $(BUILD)/inst $(BUILD)/docs
