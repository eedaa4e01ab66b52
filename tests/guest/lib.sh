#!/bin/sh
# Shared by the guest test scripts (". /tests/lib.sh"): the check and its predicates.
# Not a test itself (tests/guest/run.sh skips it).

# check NAME DETAIL COMMAND...: prints "TEST NAME PASS|FAIL DETAIL" by COMMAND's status.
check() {
    name=$1 detail=$2
    shift 2
    if "$@" >/dev/null 2>&1; then
        echo "TEST $name PASS $detail"
    else
        echo "TEST $name FAIL $detail"
    fi
}

eq() { [ "$1" = "$2" ]; }
ne() { [ "$1" != "$2" ]; }
fails() { ! "$@"; }
has() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }
has_prefix() { case "$1" in "$2"*) return 0 ;; esac; return 1; }
num_between() { [ -n "$1" ] && [ "$1" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]; }

# net_fetch URL: fetches URL with wget, retrying once a second (at most 120 times) until the
# other end serves it; prints the md5 of what came, or "none".
net_fetch() {
    _i=0
    while [ $_i -lt 120 ]; do
        if wget -q -T 20 -O /tmp/net_fetch.out "$1" 2>/dev/null; then
            md5sum < /tmp/net_fetch.out | cut -d' ' -f1
            rm -f /tmp/net_fetch.out
            return 0
        fi
        _i=$((_i + 1))
        sleep 1
    done
    echo none
    return 1
}
