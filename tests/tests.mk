# tests: host unit tests (Criterion, tests/host/) and in-guest tests
# (tests/guest/, KTAP, run by vmtest/guest/gmem-suite).
-include tests/host/host.mk
include tests/host/bench.mk
include tests/fuzz/fuzz.mk

# In-guest C tests: tests/guest/test_<area>.c -> build/tests/guest/test_<area>
GUEST_TEST_SRCS := $(wildcard tests/guest/test_*.c)
GUEST_TESTS += $(patsubst tests/guest/%.c,$(BUILD)/tests/guest/%,$(GUEST_TEST_SRCS))
GUEST_TEST_HDRS := $(wildcard tests/guest/*.h) kernel/include/uapi/linux/gmem.h
$(BUILD)/tests/guest/%: tests/guest/%.c $(GUEST_TEST_HDRS) $(GUEST_TEST_DEPS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/guest -o $@ $< $(GUEST_TEST_LDLIBS) -lpthread

# The hostile-policy reliability test loads its policies with libbpf.
$(BUILD)/tests/guest/test_reliability_hooks: GUEST_TEST_LDLIBS += $(LIBBPF_LIBS)
$(BUILD)/tests/guest/test_tenant: GUEST_TEST_LDLIBS += $(LIBBPF_LIBS)

GUEST_PAYLOAD += $(GUEST_TESTS)
all: $(GUEST_TESTS)

# `make test` and `make check-harness` are in vmtest/vmtest.mk, after WARN_KO is defined.

# The concurrency stress (issue 13), tests/guest/stress_concurrency.c, rides
# in the guest as /gmem/bin/gmem-stress (not in /gmem/tests: not part of
# `make test`). `make stress` runs it after the reliability suite;
# `make stress-concurrency` alone. GMEM_STRESS_SECS=N: its length (180 s).
GMEM_STRESS_SECS ?= 180
$(BIN)/gmem-stress: tests/guest/stress_concurrency.c $(GUEST_TEST_HDRS) $(GUEST_TEST_DEPS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/guest -o $@ $< $(LIBBPF_LIBS) -lpthread
GUEST_PAYLOAD += $(BIN)/gmem-stress
all: $(BIN)/gmem-stress

# Latency isolation and SIGKILL time (issue 13 benchmark), /gmem/bin/gmem-bench-iso.
$(BIN)/gmem-bench-iso: tests/guest/bench_isolation.c $(GUEST_TEST_HDRS) $(GUEST_TEST_DEPS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/guest -o $@ $< $(LIBBPF_LIBS) -lpthread
GUEST_PAYLOAD += $(BIN)/gmem-bench-iso
all: $(BIN)/gmem-bench-iso

.PHONY: stress-concurrency
stress-concurrency: guest-payload
	$(Q)nice -n 10 bash vmtest/run.sh --no-build --timeout $$(($(GMEM_STRESS_SECS) + 900)) -- \
		env GMEM_STRESS=1 GMEM_STRESS_SECS=$(GMEM_STRESS_SECS) gmem-stress
