# policies/policies.mk: the shipped BPF policies (see the top-level Makefile).
#
# bpf/bpf.mk compiles every policies/*.bpf.c into $(BPFOUT)/<name>.bpf.o; this
# fragment only adds what is particular to the shipped ones: their shared
# header, the list `make install` ships (POLICY_OBJS), and the in-guest test
# that runs each policy on its kind of workload.

POLICY_SRCS := $(wildcard policies/*.bpf.c)
POLICY_OBJS := $(patsubst policies/%.bpf.c,$(BPFOUT)/%.bpf.o,$(POLICY_SRCS))
$(POLICY_OBJS): policies/common.bpf.h
$(BPFOUT)/llm_layer.bpf.o: policies/llm_layer.bpf.h policies/llm_sparse.bpf.h

# tests/guest/test_policies.c drives workloads from bench/workload.c and
# computes Belady's MIN with bench/min.c (pure C, shared with gmem-bench), and
# loads policies through libgmempolicy. Paths are spelled out because bench.mk
# and lib.mk are included after this file.
POLICY_TEST := $(BUILD)/tests/guest/test_policies
POLICY_TEST_OBJS := $(BUILD)/obj/bench/workload.o $(BUILD)/obj/bench/min.o
$(POLICY_TEST): $(POLICY_TEST_OBJS) $(BUILD)/lib/libgmempolicy.a
$(POLICY_TEST): CFLAGS += -Ibench
$(POLICY_TEST): GUEST_TEST_LDLIBS += $(POLICY_TEST_OBJS) $(BUILD)/lib/libgmempolicy.a \
	$(LIBBPF_LIBS) -lm
