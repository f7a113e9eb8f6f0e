# examples/examples.mk: example programs using libgmempolicy, built into
# build/bin (and so run in the guest from /gmem/bin).

EXAMPLES := $(BIN)/gmem-example-layers

.PHONY: examples
examples: $(EXAMPLES)
all: examples
GUEST_PAYLOAD += examples

$(BIN)/gmem-example-layers: examples/layers.c $(LIBGMEM_A) libgmempolicy/include/gmempolicy.h \
		kernel/include/uapi/linux/gmem.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIBGMEM_A) $(LIBGMEM_LDLIBS)
