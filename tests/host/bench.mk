# tests/host/bench.mk: host (Criterion) tests of bench/'s pure parts.
# Included from tests/tests.mk; HOST_TESTS is what the host test runner executes.
BENCH_HOST_TESTS := $(patsubst %,$(BUILD)/tests/host/%,test_min test_bench test_report)
HOST_TESTS += $(BENCH_HOST_TESTS)
# host.mk's test-host rule was read before this fragment: add them there too.
test-host: $(BENCH_HOST_TESTS)
all: $(BENCH_HOST_TESTS)

$(BUILD)/tests/host/test_min: tests/host/test_min.c $(BENCH_CORE_OBJS) $(BENCH_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_CORE_OBJS) -lcriterion -lm

$(BUILD)/tests/host/test_bench: tests/host/test_bench.c $(BENCH_CORE_OBJS) $(BENCH_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_CORE_OBJS) -lcriterion -lm

$(BUILD)/tests/host/test_report: tests/host/test_report.c $(BENCH_REPORT_OBJS) $(BENCH_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_REPORT_OBJS) -lcriterion -lm
