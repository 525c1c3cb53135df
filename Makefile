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

.PHONY: all module helper tools install test unit-test clean checkpatch

all: module helper tools

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

helper:
	$(MAKE) -C helper

tools: helper
	$(MAKE) -C tools

# Installs what `make` built (no rebuild: the quick start runs this inside
# a slow emulated VM).
install:
	@for f in helper/jfsd tools/jfsadm tools/mount.jfs kmod/$(MODNAME).ko; do \
		test -e $$f || { echo "$$f missing: run make first" >&2; exit 1; }; done
	install -d $(DESTDIR)/usr/sbin $(DESTDIR)/sbin \
		$(DESTDIR)/lib/modules/$(KVER)/updates $(DESTDIR)/etc/modprobe.d
	install -m 0755 helper/jfsd tools/jfsadm $(DESTDIR)/usr/sbin/
	install -m 0755 tools/mount.jfs $(DESTDIR)/sbin/
	install -m 0644 kmod/$(MODNAME).ko $(DESTDIR)/lib/modules/$(KVER)/updates/
	install -m 0644 tools/jfs-modprobe.conf $(DESTDIR)/etc/modprobe.d/jfs.conf
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

test: all
	tests/run-all.sh

unit-test: helper
	$(MAKE) -C helper test

checkpatch:
	tools/checkpatch.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	$(MAKE) -C helper clean
	$(MAKE) -C tools clean
