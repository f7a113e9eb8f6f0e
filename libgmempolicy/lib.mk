# libgmempolicy/lib.mk: the library (static + shared), its pkg-config file,
# and `make install` (library, header, .pc, gmemctl, man page, policies and
# the BPF headers). See the top-level Makefile for the shared variables.

GMEM_VERSION	:= 0.1.0
GMEM_SOMAJOR	:= 0
PREFIX		?= /usr/local
DESTDIR		?=

LIB_DIR		:= $(BUILD)/lib
LIB_OBJDIR	:= $(BUILD)/obj/libgmempolicy
LIB_SRCS	:= $(wildcard libgmempolicy/src/*.c)
LIB_OBJS	:= $(patsubst libgmempolicy/src/%.c,$(LIB_OBJDIR)/%.o,$(LIB_SRCS))
LIB_HDRS	:= libgmempolicy/include/gmempolicy.h $(wildcard libgmempolicy/src/*.h) \
		   kernel/include/uapi/linux/gmem.h
LIBGMEM_A	:= $(LIB_DIR)/libgmempolicy.a
LIBGMEM_SO	:= $(LIB_DIR)/libgmempolicy.so.$(GMEM_VERSION)
LIBGMEM_PC	:= $(LIB_DIR)/pkgconfig/gmempolicy.pc
# What a program linking the static library needs after it.
LIBGMEM_LDLIBS	:= $(LIBBPF_LIBS) -lpthread

# The policy search path bakes in PREFIX; rebuild when it changes.
LIB_PREFIX_STAMP := $(LIB_OBJDIR)/prefix.$(subst /,_,$(PREFIX)).stamp
$(LIB_PREFIX_STAMP):
	$(Q)mkdir -p $(@D) && rm -f $(LIB_OBJDIR)/prefix.*.stamp && touch $@

.PHONY: lib install-lib
lib: $(LIBGMEM_A) $(LIBGMEM_SO) $(LIBGMEM_PC)
all: lib
GUEST_PAYLOAD += lib

$(LIB_OBJDIR)/%.o: libgmempolicy/src/%.c $(LIB_HDRS) $(LIB_PREFIX_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fPIC -fvisibility=default \
		-DGMEM_POLICY_SHARE_DIR='"$(PREFIX)/share/gmem/policies"' -c $< -o $@

$(LIBGMEM_A): $(LIB_OBJS)
	$(Q)mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^

$(LIBGMEM_SO): $(LIB_OBJS) libgmempolicy/src/libgmempolicy.map
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,libgmempolicy.so.$(GMEM_SOMAJOR) \
		-Wl,--version-script=libgmempolicy/src/libgmempolicy.map \
		-o $@ $(LIB_OBJS) $(LIBGMEM_LDLIBS)
	$(Q)ln -sf $(@F) $(LIB_DIR)/libgmempolicy.so.$(GMEM_SOMAJOR)
	$(Q)ln -sf $(@F) $(LIB_DIR)/libgmempolicy.so

$(LIBGMEM_PC): libgmempolicy/gmempolicy.pc.in $(LIB_PREFIX_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(GMEM_VERSION)|' $< > $@

# The in-guest test of the allocator and wrappers on the real /dev/gmem
# (tests/guest/test_libgmem.c, built by the tests.mk pattern rule).
$(BUILD)/tests/guest/test_libgmem: $(LIBGMEM_A)
$(BUILD)/tests/guest/test_libgmem: GUEST_TEST_LDLIBS += $(LIBGMEM_A) $(LIBGMEM_LDLIBS)

# ---- install ---------------------------------------------------------------
# Headers land in <prefix>/include (gmempolicy.h) and <prefix>/include/gmem
# (linux/gmem.h, which gmempolicy.h includes, and bpf/ for policy authors);
# the .pc file adds both to Cflags. Installed policies are the objects built
# from policies/*.bpf.c; build/bpf also holds tests/policies' broken-on-purpose
# ones, which are not installed.
INST		:= $(DESTDIR)$(PREFIX)
SHIPPED_POLICIES := $(or $(POLICY_OBJS),\
	$(patsubst policies/%.bpf.c,$(BPFOUT)/%.bpf.o,$(wildcard policies/*.bpf.c)))
install: install-lib
install-lib: lib gmemctl $(SHIPPED_POLICIES) $(INC_GEN)/gmem_vmlinux.h
	$(Q)install -d $(INST)/lib/pkgconfig $(INST)/include/gmem/linux \
		$(INST)/include/gmem/bpf $(INST)/bin $(INST)/share/man/man8 \
		$(INST)/share/gmem/policies
	$(Q)install -m 644 $(LIBGMEM_A) $(INST)/lib/
	$(Q)install -m 755 $(LIBGMEM_SO) $(INST)/lib/
	$(Q)ln -sf $(notdir $(LIBGMEM_SO)) $(INST)/lib/libgmempolicy.so.$(GMEM_SOMAJOR)
	$(Q)ln -sf $(notdir $(LIBGMEM_SO)) $(INST)/lib/libgmempolicy.so
	$(Q)install -m 644 $(LIBGMEM_PC) $(INST)/lib/pkgconfig/
	$(Q)install -m 644 libgmempolicy/include/gmempolicy.h $(INST)/include/
	$(Q)install -m 644 kernel/include/uapi/linux/gmem.h $(INST)/include/gmem/linux/
	$(Q)install -m 644 $(INC_GEN)/gmem_vmlinux.h $(wildcard bpf/*.bpf.h) $(INST)/include/gmem/bpf/
	$(Q)install -m 755 $(BIN)/gmemctl $(INST)/bin/
	$(Q)install -m 644 gmemctl/gmemctl.8 $(INST)/share/man/man8/
	$(Q)install -m 644 $(SHIPPED_POLICIES) $(INST)/share/gmem/policies/
