# packaging/deb.mk: `make deb` builds Debian packages under build/deb
# (packaging/deb.sh says which files go where). The files come from a
# `make install` staged with Debian's paths; installing them is a job for
# apt (`apt install ./build/deb/*.deb`), see the README.

DEB_DIR		:= $(BUILD)/deb
DEB_STAGE	:= $(DEB_DIR)/stage
DEB_MULTIARCH	:= $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)

.PHONY: deb
deb: all
	$(Q)rm -rf $(DEB_STAGE)
	$(Q)$(MAKE) --no-print-directory -C $(TOP) install DESTDIR=$(DEB_STAGE) PREFIX=/usr \
		LIBDIR=/usr/lib/$(DEB_MULTIARCH) SBINDIR=/usr/sbin BINDIR=/usr/bin
	$(Q)bash packaging/deb.sh $(DEB_STAGE) $(DEB_DIR) $(GMEM_VERSION)

# Install, inspect and purge the packages in a fresh bookworm root (root
# needed; debootstraps build/pkgtest/root on first use). Opt-in: not in
# `make test`, as it downloads a few hundred MB.
.PHONY: deb-check
deb-check: deb
	$(Q)bash packaging/test-deb.sh
