# tests/fuzz/fuzz.mk: the reliability suite's build rules (included from
# tests/tests.mk).
#
#   make fuzz     host fuzzing (libFuzzer, clang) of the library's parsers and
#                 JSON writer, gmemctl's command line and the trace reader;
#                 FUZZ_SECS per target (default 30), FUZZ_TARGETS to pick some.
#                 New corpus entries go to build/fuzz/corpus/<target>, crashes
#                 to build/fuzz/artifacts/<target>-*; rerun one input with
#                 build/fuzz/<target> FILE.
#   make stress   the in-guest reliability programs in long mode (GMEM_STRESS=1:
#                 longer runs, more iterations and kills); opt-in, ~45 minutes.
#
# The in-guest programs (tests/guest/test_reliability_*.c) are built by the
# pattern rule in tests/tests.mk; only their extra libraries are named here.

$(BUILD)/tests/guest/test_reliability_integrity: GUEST_TEST_LDLIBS += $(LIBBPF_LIBS)
$(BUILD)/tests/guest/test_reliability_faults: GUEST_TEST_LDLIBS += $(LIBBPF_LIBS)
$(BUILD)/tests/guest/test_reliability_privilege: $(LIBGMEM_A)
$(BUILD)/tests/guest/test_reliability_privilege: GUEST_TEST_LDLIBS += $(LIBGMEM_A) $(LIBGMEM_LDLIBS)

# ---- make fuzz ---------------------------------------------------------------
FUZZ_DIR	:= $(BUILD)/fuzz
FUZZ_SECS	?= 30
FUZZ_TARGETS	?= fuzz_parse fuzz_json fuzz_gtrace fuzz_tunables fuzz_cli
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS	:= -g -O1 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
		   -I$(TOP)/kernel/include/uapi -I$(TOP)/libgmempolicy/include \
		   -I$(TOP)/libgmempolicy/src -I$(TOP)/gmemctl -I$(TOP)/bench \
		   -DFIXTURE_DIR='"$(HOST_FIXTURES)"' \
		   -DGMEM_POLICY_SHARE_DIR='"$(FUZZ_DIR)/no-share"'

# The code under test, instrumented for coverage and the sanitizers.
FUZZ_LIB_OBJS	:= $(patsubst libgmempolicy/src/%.c,$(FUZZ_DIR)/obj/lib/%.o,$(LIB_SRCS))
FUZZ_CLI_OBJS	:= $(patsubst gmemctl/%.c,$(FUZZ_DIR)/obj/gmemctl/%.o,$(GMEMCTL_SRCS))
$(FUZZ_DIR)/obj/lib/%.o: libgmempolicy/src/%.c $(LIB_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_DIR)/obj/gmemctl/%.o: gmemctl/%.c gmemctl/gmemctl.h gmemctl/json.h $(LIB_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_DIR)/obj/bench/%.o: bench/%.c bench/gtrace.h bench/min.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_parse: $(FUZZ_DIR)/obj/lib/parse.o
$(FUZZ_DIR)/fuzz_json: $(FUZZ_DIR)/obj/gmemctl/json.o
$(FUZZ_DIR)/fuzz_gtrace: $(FUZZ_DIR)/obj/bench/gtrace.o
$(FUZZ_DIR)/fuzz_tunables: $(FUZZ_LIB_OBJS) $(FIXTURE_OBJS)
$(FUZZ_DIR)/fuzz_tunables: FUZZ_LIBS := $(LIBGMEM_LDLIBS)
$(FUZZ_DIR)/fuzz_cli: $(FUZZ_CLI_OBJS) $(FUZZ_LIB_OBJS) $(FUZZ_DIR)/obj/bench/gtrace.o \
			$(FUZZ_DIR)/obj/bench/min.o $(FIXTURE_OBJS)
$(FUZZ_DIR)/fuzz_cli: FUZZ_LIBS := $(LIBGMEM_LDLIBS)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
		$(filter-out %.bpf.o,$(filter %.o,$^)) $(FUZZ_LIBS)

.PHONY: fuzz fuzz-build stress
fuzz-build: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

# Each target runs FUZZ_SECS from its seeds (tests/fuzz/corpus/<target>) and
# what earlier runs found; the first crash stops the run with its input saved.
# Paths are absolute: fuzz_cli works in a temporary directory of its own.
fuzz: fuzz-build
	$(Q)mkdir -p $(FUZZ_DIR)/artifacts
	$(Q)fail=0; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$t; \
		echo "== fuzz: $$t ($(FUZZ_SECS) s)"; \
		if $(FUZZ_DIR)/$$t -max_total_time=$(FUZZ_SECS) -timeout=10 -rss_limit_mb=1024 \
			-max_len=512 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- \
			$(FUZZ_DIR)/corpus/$$t $(TOP)/tests/fuzz/corpus/$$t \
			>$(FUZZ_DIR)/$$t.log 2>&1; then \
			grep -h 'stat::number_of_executed_units\|DONE' $(FUZZ_DIR)/$$t.log | tail -n 2; \
		else \
			fail=1; echo "FAIL: $$t (log: $(FUZZ_DIR)/$$t.log)"; \
			grep -h -A12 '^==[0-9]*==ERROR\|^[a-z_]*(.*): \|abort\|runtime error' \
				$(FUZZ_DIR)/$$t.log | head -n 20; \
		fi; \
	done; exit $$fail

# ---- make stress -------------------------------------------------------------
STRESS_TIMEOUT	?= 5400
stress: guest-payload
	$(Q)bash vmtest/run.sh --no-build --timeout $(STRESS_TIMEOUT) -- \
		env GMEM_STRESS=1 GMEM_TEST_TIMEOUT=4000 gmem-suite test_reliability
	$(Q)$(MAKE) --no-print-directory stress-concurrency
