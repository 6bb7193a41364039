# tracesync build.  `make` builds build/libtracesync.a and build/tracesync.
# `make SAN=1` builds an AddressSanitizer+UBSan variant into build-san/.
# Sources are found by wildcard: a new .c file under src/<module>/, cli/ or
# tests/<module>/test_*.c needs no edit here.

CC      ?= cc
SAN     ?=
OPT     ?= -O2 -g
ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT      = -O1 -g
else
BUILD   ?= build
SANFLAGS =
endif

CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Itests/unit \
             -Iinclude -Isrc -MMD -MP -pthread $(OPT) $(SANFLAGS) $(CFLAGS)
LDLIBS_ALL = -pthread -lm $(LDLIBS)

LIB_SRC  := $(sort $(wildcard src/*/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/*.c) $(wildcard tests/*/test_*.c))
BENCH_SRC:= $(sort $(wildcard bench/*.c))

BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench_%)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

LIB      := $(BUILD)/libtracesync.a
BIN      := $(BUILD)/tracesync
UNIT     := $(BUILD)/unit_tests

.PHONY: all test unit clean format fuzz bench
all: $(BIN) $(UNIT) $(BENCH_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS_ALL)

$(UNIT): $(TEST_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $(TEST_OBJ) $(LIB) $(LDLIBS_ALL)

# The whole suite (unit tests, differential tests against babeltrace2, CLI tests).
test: all
	/usr/bin/python3 tests/run.py --build $(BUILD)

unit: $(UNIT)
	./$(UNIT)

# libFuzzer targets (clang).  FUZZ_SECONDS bounds each run.
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build-fuzz/%.o)
build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Isrc -pthread -O1 -g \
	  -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -c $< -o $@
build-fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	clang -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Isrc -pthread -O1 -g \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $< $(FUZZ_LIB_OBJ) -lm -o $@
fuzz: $(FUZZ_BIN)

$(BUILD)/bench_%: bench/%.c $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL)

bench: all $(BENCH_BIN)
	bash bench/run.sh

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) $(wildcard src/*/*.h include/tracesync/*.h cli/*.h tests/unit/*.h fuzz/*.c bench/*.c)

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
