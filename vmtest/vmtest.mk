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
test: all $(WARN_KO)
	$(Q)bash scripts/test.sh

check-harness: guest-payload $(WARN_KO)
	$(Q)bash scripts/test.sh --harness-only
