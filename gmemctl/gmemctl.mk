# gmemctl/gmemctl.mk: the gmemctl CLI (build/bin/gmemctl). Every gmemctl/*.c
# is part of it; main.c alone holds main(), so the host tests link the rest
# (GMEMCTL_OBJS) and drive gmemctl_main() directly.

GMEMCTL_OBJDIR	:= $(BUILD)/obj/gmemctl
GMEMCTL_SRCS	:= $(filter-out gmemctl/main.c,$(wildcard gmemctl/*.c))
GMEMCTL_OBJS	:= $(patsubst gmemctl/%.c,$(GMEMCTL_OBJDIR)/%.o,$(GMEMCTL_SRCS))
GMEMCTL		:= $(BIN)/gmemctl

.PHONY: gmemctl
gmemctl: $(GMEMCTL)
all: gmemctl
GUEST_PAYLOAD += gmemctl

$(GMEMCTL_OBJDIR)/%.o: gmemctl/%.c gmemctl/gmemctl.h gmemctl/json.h libgmempolicy/include/gmempolicy.h \
		kernel/include/uapi/linux/gmem.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Static libgmempolicy: the binary runs from build/bin (and in the guest)
# without an rpath or an installed library.
$(GMEMCTL): $(GMEMCTL_OBJDIR)/main.o $(GMEMCTL_OBJS) $(LIBGMEM_A)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBGMEM_LDLIBS)

# A policy the verifier must reject, for tests/guest/test_gmemctl.sh. It goes
# to build/tests/guest (the guest's /gmem/tests, where *.o are not run).
GMEMCTL_REJECT	:= $(BUILD)/tests/guest/gmemctl_reject.bpf.o
$(GMEMCTL_REJECT): tests/guest/gmemctl_reject.bpf.c $(BPF_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
all: $(GMEMCTL_REJECT)
GUEST_PAYLOAD += $(GMEMCTL_REJECT)
