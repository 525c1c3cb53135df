# Top-level build: the kernel module (against KVER's headers), jfsd, jfsadm.
#   make [KVER=...]          build everything
#   make install DESTDIR=D   install into D
#   make test                run every test (unit, then the VM suites)

KVER ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; \
	else ls -1 /lib/modules | sort -V | while read v; do \
	[ -d /lib/modules/$$v/build ] && echo $$v; done | tail -n 1; fi)
KDIR ?= /lib/modules/$(KVER)/build
DESTDIR ?=
MODNAME := jfsk

.PHONY: all module lib daemon tools install test unit-test clean checkpatch dkms-src dkms-install

all: module lib daemon tools

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

lib:
	$(MAKE) -C lib

daemon: lib
	$(MAKE) -C daemon

tools: lib
	$(MAKE) -C tools

# Installs what `make` built (no rebuild: the quick start runs this inside
# a slow emulated VM).
install:
	@for f in daemon/jfsd tools/jfsadm tools/mount.jfs kmod/$(MODNAME).ko; do \
		test -e $$f || { echo "$$f missing: run make first" >&2; exit 1; }; done
	install -d $(DESTDIR)/usr/sbin $(DESTDIR)/sbin \
		$(DESTDIR)/lib/modules/$(KVER)/updates $(DESTDIR)/etc/modprobe.d
	install -m 0755 daemon/jfsd tools/jfsadm $(DESTDIR)/usr/sbin/
	install -m 0755 tools/mount.jfs $(DESTDIR)/sbin/
	install -m 0644 kmod/$(MODNAME).ko $(DESTDIR)/lib/modules/$(KVER)/updates/
	install -m 0644 tools/jfs-modprobe.conf $(DESTDIR)/etc/modprobe.d/jfs.conf
	install -d $(DESTDIR)/lib/systemd/system $(DESTDIR)/usr/lib/modules-load.d \
		$(DESTDIR)/usr/share/doc/jfs
	install -m 0644 tools/systemd/jfsd.service $(DESTDIR)/lib/systemd/system/
	install -m 0644 tools/systemd/jfsk.conf $(DESTDIR)/usr/lib/modules-load.d/
	install -m 0644 tools/systemd/mnt-jfs.mount.example README.md \
		$(DESTDIR)/usr/share/doc/jfs/
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

# The module's source as DKMS wants it (dkms.conf at the top): DKMS_SRC
# is /usr/src/jfsk-VERSION for a real install.
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC ?= $(DESTDIR)/usr/src/$(MODNAME)-$(DKMS_VERSION)
dkms-src:
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi
	install -m 0644 Kbuild dkms.conf $(DKMS_SRC)/
	install -m 0644 kmod/Kbuild kmod/*.c kmod/*.h $(DKMS_SRC)/kmod/
	rm -f $(DKMS_SRC)/kmod/compat_gen.h $(DKMS_SRC)/kmod/*.mod.c
	install -m 0755 kmod/compat-probe.sh $(DKMS_SRC)/kmod/
	install -m 0644 uapi/jfs.h uapi/jfs_ops.h $(DKMS_SRC)/uapi/

# Registers the source with DKMS, which then rebuilds it for new kernels.
dkms-install: dkms-src
	dkms add -m $(MODNAME) -v $(DKMS_VERSION)
	dkms install -m $(MODNAME) -v $(DKMS_VERSION) -k $(KVER)

test: all
	tests/run-all.sh

unit-test: lib
	$(MAKE) -C lib test

checkpatch:
	tools/checkpatch.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	$(MAKE) -C lib clean
	$(MAKE) -C daemon clean
	$(MAKE) -C tools clean
