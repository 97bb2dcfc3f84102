# The Social Organization Service Hub. See README.md.
#   make            build everything into $(BUILD)/bin
#   make run        install missing packages, build, start every daemon
#   make test       build and run the whole test suite
#   make check-asan the suite again under AddressSanitizer + UBSan
#   make bench      benchmarks (table + "bench <name> <value> <unit>" lines)

BUILD   ?= build
SAN     ?=
PKGS    := libzmq libprotobuf-c lmdb libuv jansson inih libcurl libsodium libmicrohttpd
CC      ?= cc
OPT     ?= -O2
CFLAGS  := -std=c11 $(OPT) -g -Wall -Wextra -Werror -D_GNU_SOURCE \
           -I$(BUILD)/gen -Icommon $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(or $(shell pkg-config --libs $(PKGS) 2>/dev/null),\
             -lzmq -lprotobuf-c -llmdb -luv -ljansson -linih -lcurl -lsodium -lmicrohttpd) -lpthread -lm
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

PROTOS    := $(wildcard proto/*.proto)
GEN_C     := $(patsubst proto/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
GEN_H     := $(GEN_C:.c=.h)
COMMON_C  := $(wildcard common/*.c)
LIB_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_C)) \
             $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(GEN_C)) \
             $(BUILD)/obj/common/embed.o
LIB       := $(BUILD)/libhub.a

DAEMONS   := intake matching notification tendering reporting
# each daemon's domain code (all but its main.c); matching reuses intake's catalogue
INTAKE_LIB_C   := $(filter-out services/intake/main.c,$(wildcard services/intake/*.c))
MATCHING_LIB_C := $(filter-out services/matching/main.c,$(wildcard services/matching/*.c)) \
                  services/intake/catalogue.c
NOTIFICATION_LIB_C := $(filter-out services/notification/main.c,$(wildcard services/notification/*.c)) \
                  services/intake/catalogue.c
TENDERING_LIB_C := $(filter-out services/tendering/main.c,$(wildcard services/tendering/*.c))
REPORTING_LIB_C := $(filter-out services/reporting/main.c,$(wildcard services/reporting/*.c)) \
                  services/intake/catalogue.c
SVC_LIB_C := $(sort $(INTAKE_LIB_C) $(MATCHING_LIB_C) $(NOTIFICATION_LIB_C) $(TENDERING_LIB_C) $(REPORTING_LIB_C))
SVC_INC   := $(addprefix -I,$(wildcard services/*))
HUBCTL_C  := $(wildcard services/hubctl/*.c)
BINS      := $(addprefix $(BUILD)/bin/hub-,$(DAEMONS)) $(BUILD)/bin/hubctl

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
IT_TESTS   := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(wildcard tests/integration/it_*.c))
BENCHES    := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/bench_*.c))
PYGEN      := $(BUILD)/gen/py/hub_pb2.py

.PHONY: all deps run test check check-asan bench clean _run _test _bench
.SECONDARY:

all: $(BINS) $(PYGEN)

deps:
	@sh deploy/install-deps.sh --check >/dev/null 2>&1 || sh deploy/install-deps.sh

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -Iproto $<

$(PYGEN): $(PROTOS)
	@mkdir -p $(BUILD)/gen/py
	protoc --python_out=$(BUILD)/gen/py -Iproto $(PROTOS)

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.c $(GEN_H) $(wildcard common/*.h services/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/common/embed.o: common/embed.S deploy/hub.ini deploy/catalogue/haishu.json $(wildcard deploy/templates/*.txt) $(wildcard deploy/dashboard/*)
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	ar rcs $@ $^

$(BUILD)/bin/hub-intake: $(patsubst %.c,$(BUILD)/obj/%.o,services/intake/main.c $(INTAKE_LIB_C)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/hub-matching: $(patsubst %.c,$(BUILD)/obj/%.o,services/matching/main.c $(MATCHING_LIB_C)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/hub-notification: $(patsubst %.c,$(BUILD)/obj/%.o,services/notification/main.c $(NOTIFICATION_LIB_C)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/hub-tendering: $(patsubst %.c,$(BUILD)/obj/%.o,services/tendering/main.c $(TENDERING_LIB_C)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/hub-reporting: $(patsubst %.c,$(BUILD)/obj/%.o,services/reporting/main.c $(REPORTING_LIB_C)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/hubctl: $(patsubst %.c,$(BUILD)/obj/%.o,$(HUBCTL_C)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Tests link the domain code of the daemons (not their main.c) and cmocka.
TEST_LIBS := $(patsubst %.c,$(BUILD)/obj/%.o,$(SVC_LIB_C) tests/support/harness.c) $(LIB)
$(BUILD)/obj/tests/%.o: CFLAGS += -Itests/support $(SVC_INC)
$(BUILD)/obj/services/%.o: CFLAGS += $(SVC_INC)
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(BUILD)/tests/%: $(BUILD)/obj/tests/integration/%.o $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The user-facing targets install missing packages first, then run a fresh
# make so that pkg-config sees what was just installed.
run: deps
	@$(MAKE) --no-print-directory _run
_run: all
	@sh deploy/run.sh $(BUILD)/bin

test: deps
	@$(MAKE) --no-print-directory _test
_test: all $(UNIT_TESTS) $(IT_TESTS)
	@BUILD=$(BUILD) sh tests/run.sh $(UNIT_TESTS) $(IT_TESTS)

check: test

check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 OPT=-O1 _test

bench: deps
	@$(MAKE) --no-print-directory _bench
_bench: all $(BENCHES)
	@BUILD=$(BUILD) sh tests/bench/run.sh $(BENCHES)

include tests/fuzz/fuzz.mk

include deploy/install.mk

clean:
	rm -rf build
