#!/bin/sh
# Builds and runs bench/blk/devpath.c against kite's objects (make all first), once on
# io_uring and once on the worker threads.
set -e
cd "$(dirname "$0")/../.."
make --no-print-directory all > /dev/null
objs=$(find build/src -name '*.o' ! -path '*/san/*' ! -name main.o | sort)
cc -O2 -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Isrc -Itests/unit \
    -o build/devpath bench/blk/devpath.c $objs -lfdt -lm -lpthread -luring
build/devpath "$@"
KITE_BLOCK_BACKEND=thread build/devpath "$@"
