# tests/host/host.mk: host (Criterion) tests of libgmempolicy and gmemctl.
# Included from tests/tests.mk. `make test-host` builds and runs every host
# test program (these and the ones other fragments add to HOST_TESTS).

HOST_TEST_DIR	:= $(BUILD)/tests/host
# Compiled BPF fixtures live outside HOST_TEST_DIR: every executable there is
# run as a test program.
HOST_FIXTURES	:= $(BUILD)/tests/host-fixtures
FIXTURE_OBJS	:= $(patsubst tests/host/fixtures/%.bpf.c,$(HOST_FIXTURES)/%.bpf.o,\
			$(wildcard tests/host/fixtures/*.bpf.c))
LIB_HOST_TESTS	:= $(addprefix $(HOST_TEST_DIR)/,test_lib_parse \
			test_lib_heap test_lib_policy test_gmemctl_cli test_gmemctl_json)
HOST_TESTS	+= $(LIB_HOST_TESTS)
all: $(LIB_HOST_TESTS)

# Fixtures only need the UAPI BPF headers, not the generated kernel header,
# so they build (and the host tests run) without the kernel modules.
$(HOST_FIXTURES)/%.bpf.o: tests/host/fixtures/%.bpf.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -Wall -Werror -I/usr/include/x86_64-linux-gnu -c $< -o $@

HOST_TEST_CFLAGS := $(CFLAGS) -Ilibgmempolicy/src -Igmemctl \
		    -DFIXTURE_DIR='"$(HOST_FIXTURES)"' -DGMEMCTL_BIN='"$(BIN)/gmemctl"'

$(HOST_TEST_DIR)/test_lib_%: tests/host/test_lib_%.c $(LIBGMEM_A) $(FIXTURE_OBJS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_TEST_CFLAGS) -o $@ $< $(LIBGMEM_A) -lcriterion $(LIBGMEM_LDLIBS)

# The in-guest harness's own logic (tests/guest/gtest.h), run on the host.
HOST_TESTS += $(HOST_TEST_DIR)/test_gtest
all: $(HOST_TEST_DIR)/test_gtest
$(HOST_TEST_DIR)/test_gtest: tests/host/test_gtest.c tests/guest/gtest.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< -lcriterion

# The CLI tests link gmemctl's objects (all but main.o) and run the binary too.
$(HOST_TEST_DIR)/test_gmemctl_%: tests/host/test_gmemctl_%.c $(GMEMCTL_OBJS) \
		$(LIBGMEM_A) $(GMEMCTL) $(FIXTURE_OBJS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_TEST_CFLAGS) -o $@ $< $(GMEMCTL_OBJS) $(LIBGMEM_A) -lcriterion \
		$(LIBGMEM_LDLIBS)

.PHONY: test-host
test-host: $(HOST_TESTS)
	$(Q)fail=0; for t in $(HOST_TESTS); do \
		echo "== $$(basename $$t)"; $$t --jobs 2 || fail=1; \
	done; exit $$fail

# gmempolicy.h in strict C11 (see tests/host/c11_header.c): a build check.
C11_HEADER_OBJ	:= $(BUILD)/obj/tests/c11_header.o
$(C11_HEADER_OBJ): tests/host/c11_header.c libgmempolicy/include/gmempolicy.h \
		kernel/include/uapi/linux/gmem.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=c11 -pedantic -Wall -Wextra -Werror -Ikernel/include/uapi \
		-Ilibgmempolicy/include -c $< -o $@
all: $(C11_HEADER_OBJ)
