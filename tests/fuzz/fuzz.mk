# libFuzzer harnesses (tests/fuzz/fuzz_*.c, README "Fuzzing"), included by
# the Makefile.
#   make fuzz         each harness for FUZZ_SECONDS (default 300) with clang
#                     -fsanitize=fuzzer,address,undefined; the seed corpus
#                     tests/fuzz/corpus/<h>/ (+ regress/<h>/ and the deploy/
#                     samples) is copied to $(BUILD)/fuzz/corpus/<h>/, which
#                     keeps growing across runs; crashes land in
#                     $(BUILD)/fuzz/artifacts/<h>/
#   make fuzz-short   the same, 20 s each (CI)
# The same harnesses, built with $(CC) as fuzz_<h>_one, run over every
# corpus and regress file in `make test` (tests/unit/test_fuzz_regress.c).

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I$(BUILD)/gen -Icommon $(SVC_INC) \
                -Itests/fuzz $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,$(FUZZ_SRC)))
FUZZ_BINS    := $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_NAMES))
FUZZ_OBJ     := $(BUILD)/fuzz/obj
FUZZ_DESCS_H := $(BUILD)/gen/fuzz_descs.h
FUZZ_LIB     := $(BUILD)/fuzz/libhubfuzz.a
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(COMMON_C) $(SVC_LIB_C) tests/fuzz/fuzz_util.c) \
                 $(patsubst $(BUILD)/gen/%.c,$(FUZZ_OBJ)/gen/%.o,$(GEN_C)) $(FUZZ_OBJ)/common/embed.o

.PHONY: fuzz fuzz-short fuzz-build

# Every message of every proto: the includes and FUZZ_DESCS, a list of
# descriptor addresses (fuzz_wire picks one by name).
$(FUZZ_DESCS_H): $(GEN_H) tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	@{ for h in $(notdir $(GEN_H)); do echo "#include \"$$h\""; done; printf '#define FUZZ_DESCS'; \
	   sed -n 's/^extern const ProtobufCMessageDescriptor \([a-z0-9_]*\);/ \&\1,/p' $(GEN_H) | tr -d '\n'; \
	   echo; } > $@.tmp && mv $@.tmp $@

$(FUZZ_OBJ)/gen/%.o: $(BUILD)/gen/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(FUZZ_OBJ)/%.o: %.c $(GEN_H) $(FUZZ_DESCS_H) $(wildcard common/*.h services/*/*.h tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(FUZZ_OBJ)/common/embed.o: common/embed.S deploy/hub.ini deploy/catalogue/haishu.json $(wildcard deploy/templates/*.txt) $(wildcard deploy/dashboard/*)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -c -o $@ $<
$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz/fuzz_%: $(FUZZ_OBJ)/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-short: deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh tests/fuzz/run.sh $(BUILD) 20 $(FUZZ_NAMES)

# The regression test: the harnesses built with $(CC) (-DFUZZ_REGRESS) and
# fed every corpus and regress file.
FUZZ_REGRESS_OBJS := $(patsubst tests/fuzz/%.c,$(BUILD)/obj/tests/fuzz/%.o,$(FUZZ_SRC))
$(BUILD)/obj/tests/fuzz/%.o: CFLAGS += -DFUZZ_REGRESS -Itests/fuzz
$(BUILD)/obj/tests/unit/test_fuzz_regress.o: CFLAGS += -Itests/fuzz
$(FUZZ_REGRESS_OBJS): $(FUZZ_DESCS_H) tests/fuzz/fuzz.h
$(BUILD)/tests/test_fuzz_regress: $(BUILD)/obj/tests/unit/test_fuzz_regress.o $(FUZZ_REGRESS_OBJS) $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
