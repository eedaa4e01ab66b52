/* sifive,test: poweroff, reboot and fail codes reach the machine; anything else does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hw/syscon.h"

struct events {
    int count;
    enum syscon_event last;
    unsigned code;
};

static void on_event(void *opaque, enum syscon_event ev, unsigned code)
{
    struct events *e = opaque;
    e->count++;
    e->last = ev;
    e->code = code;
}

static void test_commands(void **state)
{
    (void)state;
    struct events e = {0};
    struct syscon *s = syscon_new(on_event, &e);
    assert_non_null(s);
    struct mmio_region r = syscon_region(s, 0x100000);
    assert_int_equal(r.base, 0x100000);
    assert_int_equal(r.size, 0x1000);

    r.write(r.opaque, 0, 0x5555, 4);
    assert_int_equal(e.count, 1);
    assert_int_equal(e.last, SYSCON_POWEROFF);
    assert_int_equal(e.code, 0);

    r.write(r.opaque, 0, 0x7777, 4);
    assert_int_equal(e.count, 2);
    assert_int_equal(e.last, SYSCON_REBOOT);

    r.write(r.opaque, 0, (42u << 16) | 0x3333, 4);
    assert_int_equal(e.count, 3);
    assert_int_equal(e.last, SYSCON_FAIL);
    assert_int_equal(e.code, 42);

    r.write(r.opaque, 0, 0xffff3333, 4);
    assert_int_equal(e.count, 4);
    assert_int_equal(e.code, 0xffff);

    /* Upper bits only matter for FAIL: 0x1235555 still powers off. */
    r.write(r.opaque, 0, 0x01235555, 4);
    assert_int_equal(e.count, 5);
    assert_int_equal(e.last, SYSCON_POWEROFF);

    /* 16-bit writes work as on QEMU. */
    r.write(r.opaque, 0, 0x7777, 2);
    assert_int_equal(e.count, 6);
    assert_int_equal(e.last, SYSCON_REBOOT);

    assert_int_equal(r.read(r.opaque, 0, 4), 0);
    syscon_free(s);
}

static void test_ignored_writes(void **state)
{
    (void)state;
    struct events e = {0};
    struct syscon *s = syscon_new(on_event, &e);
    struct mmio_region r = syscon_region(s, 0x100000);

    r.write(r.opaque, 0, 0, 4);
    r.write(r.opaque, 0, 0x1234, 4);
    r.write(r.opaque, 0, 0x5554, 4);
    r.write(r.opaque, 4, 0x5555, 4);             /* wrong offset */
    r.write(r.opaque, 0xffc, 0x5555, 4);
    r.write(r.opaque, 0, 0x55, 1);               /* wrong width */
    r.write(r.opaque, 0, 0x5555, 8);
    assert_int_equal(e.count, 0);
    syscon_free(s);

    /* No callback: commands are accepted and dropped without crashing. */
    s = syscon_new(NULL, NULL);
    r = syscon_region(s, 0x100000);
    r.write(r.opaque, 0, 0x5555, 4);
    syscon_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_ignored_writes),
    };
    return cmocka_run_group_tests_name("syscon", tests, NULL, NULL);
}
