# docs/docs.mk: the tutorial's policies, built the way a user builds them, and
# the figures (see the top-level Makefile for the shared variables).
#
# docs/tutorial/*.bpf.c are exactly the code docs/writing-policies.md shows.
# They are compiled OUTSIDE the tree's own BPF rules: `make install` stages
# the installed files under build/inst (DESTDIR, so the library keeps its
# normal PREFIX and nothing is rebuilt), and clang sees only the installed
# policy headers (<prefix>/include/gmem/bpf) and the system's libbpf headers,
# with the command line the tutorial prints (-Werror added). The objects go
# to build/tests/guest as tutorial_<name>.bpf.o, so the guest has them in
# /gmem/tests, where tests/guest/test_tutorial.sh loads them with gmemctl.
#
#   make docs   the tutorial objects, and the figures when graphviz is there

TUT_INST	:= $(BUILD)/inst
TUT_STAMP	:= $(TUT_INST)/.installed
TUT_BPF_INC	:= $(TUT_INST)$(PREFIX)/include/gmem/bpf
TUT_BPF_FLAGS	:= -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall
TUT_SRCS	:= $(wildcard docs/tutorial/*.bpf.c)
TUT_OBJS	:= $(patsubst docs/tutorial/%.bpf.c,$(BUILD)/tests/guest/tutorial_%.bpf.o,$(TUT_SRCS))
TUT_OKS		:= $(patsubst docs/tutorial/%.bpf.c,$(BUILD)/docs/listing_%.ok,$(TUT_SRCS))

# Everything `make install` copies is built by this make first, so the
# sub-make below finds it up to date and only copies (no parallel rebuild).
$(TUT_STAMP): $(LIBGMEM_A) $(LIBGMEM_SO) $(LIBGMEM_PC) $(GMEMCTL) $(BIN)/gmem-min \
		$(SHIPPED_POLICIES) $(INSTALLED_BPF_HDRS) $(MAN_PAGES) \
		libgmempolicy/include/gmempolicy.h kernel/include/uapi/linux/gmem.h
	$(Q)rm -rf $(TUT_INST)
	$(Q)$(MAKE) --no-print-directory -C $(TOP) install DESTDIR=$(TUT_INST) PREFIX=$(PREFIX)
	$(Q)touch $@

$(BUILD)/tests/guest/tutorial_%.bpf.o: docs/tutorial/%.bpf.c $(TUT_STAMP) $(BUILD)/docs/listing_%.ok
	$(Q)mkdir -p $(@D)
	$(Q)cd $(<D) && $(CLANG) $(TUT_BPF_FLAGS) -Werror -I$(TUT_BPF_INC) -c $(<F) -o $@

# The tutorial shows each source whole: a line "<!-- listing: FILE -->" and
# the fenced code block after it, which must be FILE byte for byte.
TUT_DOC		:= docs/writing-policies.md
TUT_LISTING	= awk -v f="$(1)" '$$0 == "<!-- listing: " f " -->" { on = 1; next } \
		  on && /^```/ { if (body) exit; body = 1; next } body' $(TUT_DOC)

$(BUILD)/docs/listing_%.ok: docs/tutorial/%.bpf.c $(TUT_DOC)
	$(Q)mkdir -p $(@D)
	$(Q)$(call TUT_LISTING,$<) | diff -u $< - || \
		{ echo "docs: $(TUT_DOC) does not show $< as it is (listing missing or stale)"; exit 1; }
	$(Q)touch $@

# ---- the install, as a policy writer and a packager use it -------------------
# Every shipped policy builds out of tree against the install alone: each
# source is copied to a folder of its own with the policies' private headers
# (so "common.bpf.h" cannot come from policies/), and the include folder
# comes from the pkg-config variable with docs/writing-policies.md's Makefile
# snippet, relocated to the stage.
POLICY_PRIVATE_HDRS := $(filter-out policies/common.bpf.h,$(wildcard policies/*.bpf.h))
INST_CHECK	:= $(BUILD)/docs/installed-policies
INST_PC		:= PKG_CONFIG_PATH=$(TUT_INST)$(LIBDIR)/pkgconfig pkg-config \
		   --define-variable=prefix=$(TUT_INST)$(PREFIX)
$(INST_CHECK)/%.bpf.o: policies/%.bpf.c $(POLICY_PRIVATE_HDRS) $(TUT_STAMP)
	$(Q)rm -rf $(INST_CHECK)/$* && mkdir -p $(INST_CHECK)/$* && \
		cp $< $(POLICY_PRIVATE_HDRS) $(INST_CHECK)/$*/
	$(Q)$(CLANG) $(TUT_BPF_FLAGS) -Werror -I$$($(INST_PC) --variable=bpfincludedir gmempolicy) \
		-c $(INST_CHECK)/$*/$(<F) -o $@

# `make uninstall` removes every file `make install` put in a fresh DESTDIR.
$(BUILD)/docs/uninstall.ok: $(TUT_STAMP)
	$(Q)rm -rf $(BUILD)/docs/uninst && mkdir -p $(BUILD)/docs/uninst
	$(Q)cp -a $(TUT_INST)/. $(BUILD)/docs/uninst/ && rm -f $(BUILD)/docs/uninst/.installed
	$(Q)$(MAKE) --no-print-directory -C $(TOP) uninstall DESTDIR=$(BUILD)/docs/uninst PREFIX=$(PREFIX)
	$(Q)left=$$(find $(BUILD)/docs/uninst ! -type d); [ -z "$$left" ] || \
		{ echo "make uninstall left: $$left"; exit 1; }
	$(Q)touch $@

INST_CHECKS	:= $(patsubst policies/%.bpf.c,$(INST_CHECK)/%.bpf.o,$(wildcard policies/*.bpf.c)) \
		   $(BUILD)/docs/uninstall.ok
all: $(INST_CHECKS)

# ---- figures ----------------------------------------------------------------
# The SVGs are committed; they are redrawn only where graphviz is installed.
FIG_DOTS	:= $(wildcard docs/figures/*.dot)
FIG_SVGS	:= $(FIG_DOTS:.dot=.svg)
HAVE_DOT	:= $(shell command -v dot 2>/dev/null)

docs/figures/%.svg: docs/figures/%.dot
	$(Q)if [ -n "$(HAVE_DOT)" ]; then dot -Tsvg $< -o $@; \
	elif [ -s $@ ]; then echo "docs: graphviz not installed; keeping the committed $@"; touch $@; \
	else echo "docs: $@ is missing and graphviz (dot) is not installed"; exit 1; fi

.PHONY: docs
docs: $(TUT_OKS) $(TUT_OBJS) $(FIG_SVGS)
all: $(TUT_OKS) $(TUT_OBJS)
GUEST_PAYLOAD += $(TUT_OBJS)
