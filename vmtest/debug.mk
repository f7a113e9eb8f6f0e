# make test-debug: the in-guest suite on a 6.12 kernel with lockdep, KASAN,
# atomic-sleep and list checks, which Debian's guest kernel lacks (issue 13).
#
# The kernel is Debian's linux-source-6.12 built small by scripts/debug-kernel.sh
# under build/debug-kernel (cached: a second run does not rebuild). The gmem
# modules are rebuilt against it in build/debug-kmod, so build/kmod (make, make
# test) is untouched. BPF policies and tests are the normal payload: the
# policies are CO-RE and relocate against the debug kernel's BTF at load time.
# Nothing here is a prerequisite of `make` or `make test`.

DBG_KROOT := $(BUILD)/debug-kernel
DBG_KDIR  := $(DBG_KROOT)/linux
DBG_KMOD  := $(BUILD)/debug-kmod
DBG_WARN  := $(BUILD)/debug-kmod-warn

.PHONY: debug-kernel debug-modules test-debug
debug-kernel:
	$(Q)bash scripts/debug-kernel.sh

# Kbuild is incremental itself, so this is cheap when nothing changed.
# The kernel was built with the default gcc (12): modules must use the same.
debug-modules: debug-kernel
	$(Q)mkdir -p $(DBG_KMOD) && cp -rsf $(TOP)/kernel/. $(DBG_KMOD)/
	$(Q)$(MAKE) -s -C $(DBG_KDIR) M=$(DBG_KMOD) CC=gcc modules
	$(Q)mkdir -p $(DBG_WARN) && cp -sf $(TOP)/vmtest/warn_test/* $(DBG_WARN)/
	$(Q)$(MAKE) -s -C $(DBG_KDIR) M=$(DBG_WARN) CC=gcc modules
	$(Q)mkdir -p $(DBG_KMOD)/extra && cp $(DBG_WARN)/gmem_warn_test.ko $(DBG_KMOD)/extra/
	$(Q)for m in $$(find $(DBG_KMOD) -name '*.ko'); do \
		readelf -S $$m | grep -q '\.BTF ' || { echo "error: $$m has no module BTF"; exit 1; }; \
	done

test-debug: guest-payload debug-modules
	$(Q)bash scripts/test.sh --debug-kernel
