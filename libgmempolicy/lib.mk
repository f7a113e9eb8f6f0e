# libgmempolicy/lib.mk: the library (static + shared), its pkg-config file,
# and `make install`/`make uninstall` (library, headers, .pc, gmemctl,
# gmem-min, man pages, policies and the BPF headers). See the top-level
# Makefile for the shared variables.

GMEM_VERSION	:= 0.1.0
GMEM_SOMAJOR	:= 0
PREFIX		?= /usr/local
DESTDIR		?=
# Install folders (GNU names; see "install / uninstall" below).
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
DATADIR		?= $(PREFIX)/share
MANDIR		?= $(DATADIR)/man
BPF_INCLUDEDIR	:= $(INCLUDEDIR)/gmem/bpf
POLICYDIR	:= $(DATADIR)/gmem/policies

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

# The policy search path and the .pc file bake in the install folders;
# rebuild when they change.
LIB_PREFIX_STAMP := $(LIB_OBJDIR)/prefix.$(subst /,_,$(PREFIX)_$(LIBDIR)_$(INCLUDEDIR)_$(DATADIR)).stamp
$(LIB_PREFIX_STAMP):
	$(Q)mkdir -p $(@D) && rm -f $(LIB_OBJDIR)/prefix.*.stamp && touch $@

.PHONY: lib install-lib
lib: $(LIBGMEM_A) $(LIBGMEM_SO) $(LIBGMEM_PC)
all: lib
GUEST_PAYLOAD += lib

$(LIB_OBJDIR)/%.o: libgmempolicy/src/%.c $(LIB_HDRS) $(LIB_PREFIX_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fPIC -fvisibility=default \
		-DGMEM_POLICY_SHARE_DIR='"$(POLICYDIR)"' -c $< -o $@

$(LIBGMEM_A): $(LIB_OBJS)
	$(Q)mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^

$(LIBGMEM_SO): $(LIB_OBJS) libgmempolicy/src/libgmempolicy.map
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,libgmempolicy.so.$(GMEM_SOMAJOR) \
		-Wl,--version-script=libgmempolicy/src/libgmempolicy.map \
		-o $@ $(LIB_OBJS) $(LIBGMEM_LDLIBS)
	$(Q)ln -sf $(@F) $(LIB_DIR)/libgmempolicy.so.$(GMEM_SOMAJOR)
	$(Q)ln -sf $(@F) $(LIB_DIR)/libgmempolicy.so

# Folders under the prefix are written as ${prefix}/..., so that
# `pkg-config --define-variable=prefix=DIR` relocates them (a staged install).
PC_REL = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
$(LIBGMEM_PC): libgmempolicy/gmempolicy.pc.in $(LIB_PREFIX_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call PC_REL,$(LIBDIR))|' \
		-e 's|@INCLUDEDIR@|$(call PC_REL,$(INCLUDEDIR))|' \
		-e 's|@POLICYDIR@|$(call PC_REL,$(POLICYDIR))|' \
		-e 's|@VERSION@|$(GMEM_VERSION)|' $< > $@

# The in-guest test of the allocator and wrappers on the real /dev/gmem
# (tests/guest/test_libgmem.c, built by the tests.mk pattern rule).
$(BUILD)/tests/guest/test_libgmem: $(LIBGMEM_A)
$(BUILD)/tests/guest/test_libgmem: GUEST_TEST_LDLIBS += $(LIBGMEM_A) $(LIBGMEM_LDLIBS)
# The live switch test (gmem_policy_replace under a workload).
$(BUILD)/tests/guest/test_live_switch: $(LIBGMEM_A)
$(BUILD)/tests/guest/test_live_switch: GUEST_TEST_LDLIBS += $(LIBGMEM_A) $(LIBGMEM_LDLIBS)
# Copies in flight: one case ejects a policy mid-copy.
$(BUILD)/tests/guest/test_core_async: $(LIBGMEM_A)
$(BUILD)/tests/guest/test_core_async: GUEST_TEST_LDLIBS += $(LIBGMEM_A) $(LIBGMEM_LDLIBS)
# Policies per cgroup: plain libbpf policies (maps read back) and the library.
$(BUILD)/tests/guest/test_policy_cgroup: $(LIBGMEM_A)
$(BUILD)/tests/guest/test_policy_cgroup: GUEST_TEST_LDLIBS += $(LIBGMEM_A) $(LIBGMEM_LDLIBS)

# ---- install / uninstall ----------------------------------------------------
# Directories follow the GNU names, each overridable (a Debian multiarch
# build passes LIBDIR=/usr/lib/x86_64-linux-gnu). gmemctl is an administrator's
# command (loading a policy needs root, like bpftool), so it goes to SBINDIR
# with its page in man8; gmem-min reads a trace file and needs no privilege,
# so it goes to BINDIR with its page in man1.
#
# Headers: <includedir>/gmempolicy.h, <includedir>/gmem/linux/gmem.h (which
# gmempolicy.h includes) and, for policy authors, <includedir>/gmem/bpf/:
# gmem.bpf.h, gmem_vmlinux.h and common.bpf.h (the shipped policies' helpers,
# so policies/*.bpf.c build against an install). The .pc file names that
# folder as the variable bpfincludedir. Installed policies are the objects
# built from policies/*.bpf.c; build/bpf also holds tests/policies'
# broken-on-purpose ones, which are not installed.
SHIPPED_POLICIES := $(or $(POLICY_OBJS),\
	$(patsubst policies/%.bpf.c,$(BPFOUT)/%.bpf.o,$(wildcard policies/*.bpf.c)))
INSTALLED_BPF_HDRS := $(INC_GEN)/gmem_vmlinux.h $(wildcard bpf/*.bpf.h) policies/common.bpf.h
MAN_PAGES	:= gmemctl/gmemctl.8 bench/gmem-min.1

.PHONY: install uninstall
install: install-lib
install-lib: lib gmemctl $(BIN)/gmem-min $(SHIPPED_POLICIES) $(INC_GEN)/gmem_vmlinux.h
	$(Q)install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/gmem/linux \
		$(DESTDIR)$(BPF_INCLUDEDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(POLICYDIR)
	$(Q)install -m 644 $(LIBGMEM_A) $(DESTDIR)$(LIBDIR)/
	$(Q)install -m 755 $(LIBGMEM_SO) $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sf $(notdir $(LIBGMEM_SO)) $(DESTDIR)$(LIBDIR)/libgmempolicy.so.$(GMEM_SOMAJOR)
	$(Q)ln -sf $(notdir $(LIBGMEM_SO)) $(DESTDIR)$(LIBDIR)/libgmempolicy.so
	$(Q)install -m 644 $(LIBGMEM_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
	$(Q)install -m 644 libgmempolicy/include/gmempolicy.h $(DESTDIR)$(INCLUDEDIR)/
	$(Q)install -m 644 kernel/include/uapi/linux/gmem.h $(DESTDIR)$(INCLUDEDIR)/gmem/linux/
	$(Q)install -m 644 $(INSTALLED_BPF_HDRS) $(DESTDIR)$(BPF_INCLUDEDIR)/
	$(Q)install -m 755 $(BIN)/gmemctl $(DESTDIR)$(SBINDIR)/
	$(Q)install -m 755 $(BIN)/gmem-min $(DESTDIR)$(BINDIR)/
	$(Q)install -m 644 gmemctl/gmemctl.8 $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -m 644 bench/gmem-min.1 $(DESTDIR)$(MANDIR)/man1/
	$(Q)install -m 644 $(SHIPPED_POLICIES) $(DESTDIR)$(POLICYDIR)/

# Removes exactly what install put there (same variables), then the folders
# gmem owns; shared folders (bin, lib, man8, ...) stay.
uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libgmempolicy.a $(notdir $(LIBGMEM_SO)) \
		libgmempolicy.so.$(GMEM_SOMAJOR) libgmempolicy.so pkgconfig/gmempolicy.pc) \
		$(DESTDIR)$(INCLUDEDIR)/gmempolicy.h $(DESTDIR)$(SBINDIR)/gmemctl \
		$(DESTDIR)$(BINDIR)/gmem-min $(DESTDIR)$(MANDIR)/man8/gmemctl.8 \
		$(DESTDIR)$(MANDIR)/man1/gmem-min.1
	$(Q)rm -rf $(DESTDIR)$(INCLUDEDIR)/gmem $(DESTDIR)$(DATADIR)/gmem
