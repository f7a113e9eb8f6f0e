# examples/examples.mk: example programs using libgmempolicy, built into
# build/bin (and so run in the guest from /gmem/bin).
#   gmem-example-layers  a layered toy model (examples/layers.c)
#   gmem-matmul          int8 GEMM bigger than HBM (examples/matmul.c)
#   gmem-llm-decode      an int8 llama-shaped decoder (examples/llm_*.c)
#   gmem-samples-demo    the decode part of `make demo`

EXAMPLES := $(BIN)/gmem-example-layers $(BIN)/gmem-matmul $(BIN)/gmem-llm-decode \
	    $(BIN)/gmem-samples-demo

.PHONY: examples
examples: $(EXAMPLES)
all: examples
GUEST_PAYLOAD += examples

EXAMPLE_DEPS := $(LIBGMEM_A) libgmempolicy/include/gmempolicy.h kernel/include/uapi/linux/gmem.h

$(BIN)/gmem-example-layers: examples/layers.c $(EXAMPLE_DEPS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIBGMEM_A) $(LIBGMEM_LDLIBS)

$(BIN)/gmem-matmul: examples/matmul.c examples/sample_dev.c examples/sample_dev.h $(EXAMPLE_DEPS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ examples/matmul.c examples/sample_dev.c $(LIBGMEM_A) \
		$(LIBGMEM_LDLIBS) -lm

LLM_SRCS := examples/llm_decode.c examples/llm_model.c examples/sample_dev.c
$(BIN)/gmem-llm-decode: $(LLM_SRCS) examples/llm_model.h examples/sample_dev.h $(EXAMPLE_DEPS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $(LLM_SRCS) $(LIBGMEM_A) $(LIBGMEM_LDLIBS)

# `make demo` runs it after the training sweep (bench/run-demo.sh).
$(BIN)/gmem-samples-demo: examples/guest-samples-demo.sh
	$(Q)mkdir -p $(@D) && install -m 755 $< $@
