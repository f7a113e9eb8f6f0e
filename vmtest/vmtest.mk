# vmtest: what goes into the guest, and the targets that boot it.

# Everything the guest needs; fragments add to GUEST_PAYLOAD.
GUEST_PAYLOAD += modules
.PHONY: guest-payload test-guest vm check-harness
guest-payload: all $(GUEST_PAYLOAD)

test-guest:
	$(Q)bash vmtest/run.sh

vm:
	$(Q)bash vmtest/run.sh --shell

# A tiny module whose init WARNs: proves the kernel-log scan fails a run.
# Built only for this check, never part of the normal payload.
WARN_KO := $(BUILD)/kmod-extra/gmem_warn_test.ko
$(WARN_KO): vmtest/warn_test/gmem_warn_test.c vmtest/warn_test/Kbuild $(DEPS_STAMP)
	$(Q)mkdir -p $(BUILD)/kmod-warn && cp -sf $(TOP)/vmtest/warn_test/* $(BUILD)/kmod-warn/
	$(Q)$(MAKE) -s -C $(KDIR) M=$(BUILD)/kmod-warn CC=gcc-12 modules
	$(Q)mkdir -p $(@D) && cp $(BUILD)/kmod-warn/gmem_warn_test.ko $@

.PHONY: test
# The whole suite: host tests, the harness self-checks, the in-guest suite.
# (Here, not in tests/tests.mk: prerequisites expand when read, and WARN_KO is
# defined above.)
test: guest-payload $(WARN_KO)
	$(Q)bash scripts/test.sh

check-harness: guest-payload $(WARN_KO)
	$(Q)bash scripts/test.sh --harness-only

# Block drivers of the guest kernel (modules there) for the O_DIRECT tests of
# test_reliability_gup: brd (/dev/ram0) and loop, kept xz-compressed as Debian
# ships them (the kernel decompresses; see rel_load_extra_module()).
GUEST_EXTRA_KOS := $(addprefix $(BUILD)/guest-extra/gmem/modules/extra/,brd.ko.xz loop.ko.xz)
$(BUILD)/guest-extra/gmem/modules/extra/%.ko.xz: $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)src=$$(ls $(BUILD)/kernel/root/lib/modules/*/kernel/drivers/block/$*.ko.xz 2>/dev/null | head -n1); \
	if [ -n "$$src" ]; then cp "$$src" $@; else echo "vmtest: no $*.ko.xz in the guest kernel" >&2; fi
guest-payload: $(GUEST_EXTRA_KOS)

# The systemd unit the package installs, for tests/guest/test_systemd_unit.sh
# (in /gmem/packaging, not /gmem/tests: the suite runs everything there).
GUEST_UNIT := $(BUILD)/guest-extra/gmem/packaging/gmem-policy@.service
$(GUEST_UNIT): packaging/gmem-policy@.service
	$(Q)mkdir -p $(@D) && cp $< $@
guest-payload: $(GUEST_UNIT)
