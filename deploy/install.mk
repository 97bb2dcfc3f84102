# make install / make uninstall (included by the Makefile; README
# "Installing on a server"). PREFIX (default /usr/local) and DESTDIR as
# usual; every directory below can be overridden on the command line.
#   $(SBINDIR)      hub-intake ... hub-reporting (daemons: not for users' PATH)
#   $(BINDIR)       hubctl
#   $(UNITDIR)      hub-<daemon>.service (from deploy/systemd/hub-daemon.service.in), hub.target
#   $(SYSUSERSDIR)  hub.conf: the system user "hub" (systemd-sysusers)
#   $(SYSCONFDIR)/hub/hub.ini   the district sample (deploy/district/haishu.ini),
#                               only when there is none yet; keys/ (0750)
#   $(DOCDIR)       README.md, hub.ini.defaults (the embedded defaults), haishu.ini
#   $(DATADIR)      make-keys.sh, the sample resource library, catalogue, templates
# Without DESTDIR, install also creates the hub user (systemd-sysusers),
# gives /etc/hub/keys and hub.ini to its group and reloads systemd.

PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
SBINDIR       ?= $(PREFIX)/sbin
SYSCONFDIR    ?= /etc
LOCALSTATEDIR ?= /var
DOCDIR        ?= $(PREFIX)/share/doc/hub
DATADIR       ?= $(PREFIX)/share/hub
# Debian keeps packaged units in /lib/systemd/system; /usr/local/lib/systemd/system
# is on systemd's search path too (another PREFIX: set UNITDIR=/etc/systemd/system)
UNITDIR       ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
SYSUSERSDIR   ?= $(PREFIX)/lib/sysusers.d

HUB_UNIT_IN   := deploy/systemd/hub-daemon.service.in
HUB_SAMPLE    := deploy/district/haishu.ini
HUB_ETC       := $(DESTDIR)$(SYSCONFDIR)/hub
HUB_DATA      := deploy/district/make-keys.sh deploy/library/haishu-sample.json \
                 deploy/catalogue/haishu.json $(wildcard deploy/templates/*.txt)
# every file install writes but hub.ini (see uninstall)
HUB_FILES     := $(addprefix $(DESTDIR)$(SBINDIR)/hub-,$(DAEMONS)) $(DESTDIR)$(BINDIR)/hubctl \
                 $(patsubst %,$(DESTDIR)$(UNITDIR)/hub-%.service,$(DAEMONS)) $(DESTDIR)$(UNITDIR)/hub.target \
                 $(DESTDIR)$(SYSUSERSDIR)/hub.conf \
                 $(addprefix $(DESTDIR)$(DOCDIR)/,README.md hub.ini.defaults haishu.ini) \
                 $(addprefix $(DESTDIR)$(DATADIR)/,$(notdir $(HUB_DATA)))

.PHONY: install uninstall

install: $(BINS)
	install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR) $(HUB_ETC)
	install -d -m 0750 $(HUB_ETC)/keys
	install -m 0755 $(addprefix $(BUILD)/bin/hub-,$(DAEMONS)) $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/bin/hubctl $(DESTDIR)$(BINDIR)/
	for d in $(DAEMONS); do \
	    sed -e "s|@NAME@|$$d|g" -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	        -e 's|@LOCALSTATEDIR@|$(LOCALSTATEDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	        $(HUB_UNIT_IN) >$(DESTDIR)$(UNITDIR)/hub-$$d.service && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/hub-$$d.service || exit 1; \
	done
	install -m 0644 deploy/systemd/hub.target $(DESTDIR)$(UNITDIR)/hub.target
	install -m 0644 deploy/systemd/hub.sysusers $(DESTDIR)$(SYSUSERSDIR)/hub.conf
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0644 deploy/hub.ini $(DESTDIR)$(DOCDIR)/hub.ini.defaults
	install -m 0644 $(HUB_SAMPLE) $(DESTDIR)$(DOCDIR)/haishu.ini
	install -m 0644 $(filter-out %.sh,$(HUB_DATA)) $(DESTDIR)$(DATADIR)/
	install -m 0755 deploy/district/make-keys.sh $(DESTDIR)$(DATADIR)/
	@if [ -e $(HUB_ETC)/hub.ini ]; then echo "install: keeping $(HUB_ETC)/hub.ini"; \
	else install -m 0640 $(HUB_SAMPLE) $(HUB_ETC)/hub.ini; fi
	@if [ -z "$(DESTDIR)" ]; then \
	    if command -v systemd-sysusers >/dev/null; then systemd-sysusers $(SYSUSERSDIR)/hub.conf; fi; \
	    if getent group hub >/dev/null; then chgrp hub $(HUB_ETC)/keys $(HUB_ETC)/hub.ini; fi; \
	    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	    echo "install: next: sh $(DATADIR)/make-keys.sh, edit $(HUB_ETC)/hub.ini, systemctl enable --now hub.target"; \
	fi

# Removes what install wrote. Kept: the configuration when it differs from
# the sample (the operator's), keys, the principals file, and the stores in
# $(LOCALSTATEDIR)/lib/hub; the hub user stays (sysusers never removes one).
uninstall:
	rm -f $(HUB_FILES)
	@if [ -f $(HUB_ETC)/hub.ini ] && cmp -s $(HUB_SAMPLE) $(HUB_ETC)/hub.ini; then rm -f $(HUB_ETC)/hub.ini; \
	elif [ -f $(HUB_ETC)/hub.ini ]; then echo "uninstall: keeping $(HUB_ETC)/hub.ini (changed)"; fi
	@for d in $(HUB_ETC)/keys $(HUB_ETC) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR); do \
	    rmdir "$$d" 2>/dev/null || true; done
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
