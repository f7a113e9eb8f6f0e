# bench/bench.mk: rules for this folder (see the top-level Makefile)
#
#   build/bin/gmem-bench   guest: run a workload on the simulated accelerator
#   build/bin/gmem-min     host + guest: Belady's MIN on a recorded trace
#   build/bench/gmem-report host: results/<stamp>/report.md + plot from bench output
#   build/bench/gmem-moe-a0 host: moe-decode MIN vs a popularity oracle (docs/benchmarks.md)
#   make bench             the policy x workload x oversubscription matrix in the guest
#   build/bin/gmem-bench-serve guest: tenants in cgroups, static vs shared HBM
#   make bench-serve       the serving benchmark in the guest, figure under build/bench-serve/
#   make demo              LLM training at 2x: built-in/uvm_like vs llm_layer, in the guest
#   make bench-clock       device-clock time, llm_layer vs uvm_like on the LLM workloads

BENCH_OBJDIR := $(BUILD)/obj/bench
BENCH_CFLAGS := $(CFLAGS) -Ibench
# Pure parts: no kernel, no libbpf (host tests link these too).
BENCH_CORE := gtrace min workload model
BENCH_CORE_OBJS := $(patsubst %,$(BENCH_OBJDIR)/%.o,$(BENCH_CORE))
BENCH_HDRS := $(wildcard bench/*.h) kernel/include/uapi/linux/gmem.h

$(BENCH_OBJDIR)/%.o: bench/%.c $(BENCH_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -c -o $@ $<

$(BIN)/gmem-min: $(BENCH_OBJDIR)/gmem_min.o $(BENCH_OBJDIR)/gtrace.o $(BENCH_OBJDIR)/min.o
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $^

# Policies are loaded through libgmempolicy, linked statically (as gmemctl is).
BENCH_TOOL_OBJS := $(patsubst %,$(BENCH_OBJDIR)/%.o,gmem_bench bench_run bench_bw bench_evict bench_policy)
$(BIN)/gmem-bench: $(BENCH_TOOL_OBJS) $(BENCH_CORE_OBJS) $(LIBGMEM_A)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $^ $(LIBGMEM_LDLIBS) -lm

# The serving benchmark (issue 16): tenants in cgroups, static vs shared HBM.
BENCH_SERVE_OBJS := $(patsubst %,$(BENCH_OBJDIR)/%.o,bench_serve serve_tenant bench_run)
$(BIN)/gmem-bench-serve: $(BENCH_SERVE_OBJS) $(BENCH_CORE_OBJS) $(LIBGMEM_A)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $^ $(LIBGMEM_LDLIBS) -lm

BENCH_REPORT_OBJS := $(patsubst %,$(BENCH_OBJDIR)/%.o,report report_md report_plot)
$(BUILD)/bench/gmem-report: $(BENCH_REPORT_OBJS) $(BENCH_OBJDIR)/report_main.o
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $^ -lm

$(BUILD)/bench/gmem-moe-a0: $(BENCH_OBJDIR)/moe_a0.o $(BENCH_OBJDIR)/min.o $(BENCH_OBJDIR)/workload.o
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $^ -lm

# Guest scripts ride in /gmem/bin with the tools.
BENCH_SCRIPTS := $(BIN)/gmem-bench-matrix $(BIN)/gmem-demo $(BIN)/gmem-bench-lockhold
$(BIN)/gmem-bench-killtrace: bench/guest-killtrace.sh
	$(Q)mkdir -p $(@D) && install -m 755 $< $@
BENCH_SCRIPTS += $(BIN)/gmem-bench-killtrace
$(BIN)/gmem-bench-lockhold: bench/guest-lockhold.sh
	$(Q)mkdir -p $(@D) && install -m 755 $< $@
$(BIN)/gmem-bench-hook: bench/guest-hook.sh
	$(Q)mkdir -p $(@D) && install -m 755 $< $@
BENCH_SCRIPTS += $(BIN)/gmem-bench-hook
$(BIN)/gmem-bench-clock: bench/guest-clock.sh
	$(Q)mkdir -p $(@D) && install -m 755 $< $@
BENCH_SCRIPTS += $(BIN)/gmem-bench-clock
$(BIN)/gmem-bench-matrix: bench/guest-matrix.sh
	$(Q)mkdir -p $(@D) && install -m 755 $< $@
$(BIN)/gmem-demo: bench/guest-demo.sh
	$(Q)mkdir -p $(@D) && install -m 755 $< $@

BENCH_TARGETS := $(BIN)/gmem-min $(BIN)/gmem-bench $(BIN)/gmem-bench-serve $(BUILD)/bench/gmem-report \
	$(BUILD)/bench/gmem-moe-a0 $(BENCH_SCRIPTS)
GUEST_PAYLOAD += $(BIN)/gmem-min $(BIN)/gmem-bench $(BIN)/gmem-bench-serve $(BENCH_SCRIPTS)
all: $(BENCH_TARGETS)

# Not part of `make test`: the matrix takes about 5 minutes under TCG (budget: 20).
bench: all guest-payload
	$(Q)bash bench/run-bench.sh

demo: all guest-payload
	$(Q)bash bench/run-demo.sh

# BPF hook overhead on identical decisions (built-in vs builtin_twin), icount.
bench-hook: all guest-payload
	$(Q)bash bench/run-bench-hook.sh

# Device time on the device clock: llm_layer vs uvm_like, streaming swept.
bench-clock: all guest-payload
	$(Q)bash bench/run-bench-clock.sh

# Static partitioning vs one shared pool, and isolation, icount (issue 16).
bench-serve: all guest-payload
	$(Q)bash bench/run-bench-serve.sh

# `gmemctl trace record|replay` (gmemctl/cmd_trace.c, owned here) reads and
# writes the gtrace file format and compares a replay with MIN: link those
# objects into gmemctl and into
# whatever links GMEMCTL_OBJS (the gmemctl host tests). The extra
# prerequisite lands in the $^ of gmemctl.mk's link rule.
$(GMEMCTL): $(BENCH_OBJDIR)/gtrace.o $(BENCH_OBJDIR)/min.o
GMEMCTL_OBJS += $(BENCH_OBJDIR)/gtrace.o $(BENCH_OBJDIR)/min.o
$(GMEMCTL_OBJDIR)/cmd_trace.o: bench/gtrace.h bench/min.h
