# bpf/bpf.mk: BPF policies and the test loader (see the top-level Makefile).
#
# Every policies/*.bpf.c (shipped policies) and tests/policies/*.bpf.c
# (deliberately broken or measuring policies for the in-guest tests) becomes
# $(BPFOUT)/<name>.bpf.o, compiled against bpf/gmem.bpf.h and the generated
# kernel+module type header. Names must be unique across both folders.

BPF_HDRS := bpf/gmem.bpf.h $(INC_GEN)/gmem_vmlinux.h
BPF_SRCS := $(wildcard policies/*.bpf.c tests/policies/*.bpf.c)
BPF_OBJS := $(addprefix $(BPFOUT)/,$(notdir $(BPF_SRCS:.bpf.c=.bpf.o)))

$(BPFOUT)/%.bpf.o: policies/%.bpf.c $(BPF_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPFOUT)/%.bpf.o: tests/policies/%.bpf.c $(BPF_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# gmem-policy-load: attach a policy with plain libbpf (tests, bring-up).
$(BIN)/gmem-policy-load: bpf/tools/gmem-policy-load.c $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIBBPF_LIBS)

# The in-guest policy tests load policies themselves through libbpf.
$(BUILD)/tests/guest/test_bpf: GUEST_TEST_LDLIBS += $(LIBBPF_LIBS)
$(BUILD)/tests/guest/test_bpf_lifecycle: GUEST_TEST_LDLIBS += $(LIBBPF_LIBS)
$(BUILD)/tests/guest/test_bpf_lean: GUEST_TEST_LDLIBS += $(LIBBPF_LIBS)
$(BUILD)/tests/guest/test_dev_limit: GUEST_TEST_LDLIBS += $(LIBBPF_LIBS)

bpf: $(BPF_OBJS) $(BIN)/gmem-policy-load
GUEST_PAYLOAD += bpf
all: bpf
