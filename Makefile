# kite: build, test and run. See README.md.
#
#   make          build build/kite
#   make run      install what is missing, assemble the default guest, boot it to a shell
#   make check    install what is missing, build, run every test; last line "N passed, N failed"
#   make guest    assemble the default guest (cached under ~/.cache/kite)
#   make fuzz     long fuzzing runs
#   make bench    benchmarks against QEMU, and the in-process virtqueue benchmark

CC      ?= gcc
BUILD   ?= build
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Isrc -MMD -MP
LDLIBS  += -lfdt -lm -lpthread -luring -ljansson -lslirp

SRCS_ALL := $(shell find src -name '*.c' | sort)
SRCS_LIB := $(filter-out src/main.c,$(SRCS_ALL))
OBJS_LIB := $(SRCS_LIB:%.c=$(BUILD)/%.o)

# Unit tests are built a second time under AddressSanitizer and UBSan.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OBJS_SAN  := $(SRCS_LIB:%.c=$(BUILD)/san/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Named only by a pattern rule, the sanitizer objects would count as intermediate and be
# deleted after every build, so each `make unit` would rebuild all of them.
.SECONDARY: $(OBJS_SAN)

.PHONY: all run check guest fuzz bench clean deps unit baremetal guest-test bench-build

all: $(BUILD)/kite

$(BUILD)/kite: $(OBJS_LIB) $(BUILD)/src/main.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(OBJS_SAN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< $(OBJS_SAN) $(LDFLAGS) $(LDLIBS) -lcmocka

# In-process benchmarks link the ordinary (optimised, unsanitised) objects.
BENCH_BINS := $(BUILD)/bench/virtqueue $(BUILD)/bench/netpath

$(BUILD)/bench/virtqueue: bench/virtqueue.c $(OBJS_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O2 -o $@ $< $(OBJS_LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/netpath: bench/netpath.c $(OBJS_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O2 -o $@ $< $(OBJS_LIB) $(LDFLAGS) $(LDLIBS)

bench-build: $(BENCH_BINS)

# Installs the Debian packages the build, the tests and the guest need (no-op when present).
deps:
	@scripts/install-deps.sh

guest: deps
	@guest/build.sh

run: deps all guest
	$(BUILD)/kite run --net user

unit: $(UNIT_BINS)

# A failed build or guest assembly still ends in run-all's summary line, as a FAIL.
# The build uses every CPU unless the caller chose -j: CI runs a bare `make check`, and the
# ~130 compiles and links took 80 s of its time on one CPU of two.
CHECK_JOBS = $(if $(findstring -j,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 1))
check: deps
	@rm -f $(BUILD)/build-failed
	@$(MAKE) --no-print-directory $(CHECK_JOBS) all unit bench-build || \
		{ mkdir -p $(BUILD); touch $(BUILD)/build-failed; }
	@guest/build.sh || true
	@BUILD=$(BUILD) tests/run-all.sh

fuzz: deps $(BUILD)/tests/test_jit_diff
	@BUILD=$(BUILD) tests/fuzz/run.sh long

bench: deps all guest bench-build
	@bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
