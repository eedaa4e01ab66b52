/*
 * The device registry: the option syntax every device shares (first value, flags, ",,"),
 * transport= and addr=, per-type limits and checks, and that the real device types are
 * registered and parse their own options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/device_registry.h"

static void test_opts_syntax(void **state)
{
    (void)state;
    struct dev_opts o;
    const char *why = NULL;
    assert_int_equal(dev_opts_parse("a,,b.img,ro,serial=x=y,cache=none", "path", &o, &why), 0);
    assert_int_equal(o.count, 4);
    assert_string_equal(o.items[0].key, "path");
    assert_string_equal(o.items[0].value, "a,b.img");
    assert_string_equal(o.items[1].key, "ro");
    assert_null(o.items[1].value);
    assert_string_equal(o.items[2].key, "serial");
    assert_string_equal(o.items[2].value, "x=y");
    bool dup = false;
    assert_non_null(dev_opts_take(&o, "cache", &dup));
    assert_null(dev_opts_take(&o, "absent", &dup));
    assert_false(dup);
    /* Nobody took path, ro or serial yet. */
    assert_string_equal(dev_opts_leftover(&o)->key, "path");
    dev_opts_take(&o, "path", &dup);
    dev_opts_take(&o, "ro", &dup);
    dev_opts_take(&o, "serial", &dup);
    assert_null(dev_opts_leftover(&o));
    dev_opts_free(&o);

    /* Without a first key, a leading word is a flag; a duplicate is reported. */
    assert_int_equal(dev_opts_parse("x,rate=1,rate=2", NULL, &o, &why), 0);
    assert_string_equal(o.items[0].key, "x");
    assert_null(o.items[0].value);
    dup = false;
    assert_string_equal(dev_opts_take(&o, "rate", &dup)->value, "1");
    assert_true(dup);
    dev_opts_free(&o);

    /* Empty items are refused; ",," at the end is a literal comma. */
    assert_int_equal(dev_opts_parse("a,,", "path", &o, &why), 0);   /* "a," */
    assert_string_equal(o.items[0].value, "a,");
    dev_opts_free(&o);
    /* A trailing comma ends the list (as the options always allowed). */
    assert_int_equal(dev_opts_parse("rate=1,", NULL, &o, &why), 0);
    assert_int_equal(o.count, 1);
    dev_opts_free(&o);
    assert_int_not_equal(dev_opts_parse(",x", NULL, &o, &why), 0);
    dev_opts_free(&o);
    assert_int_not_equal(dev_opts_parse("=1", NULL, &o, &why), 0);
    dev_opts_free(&o);

    /* A config file's members. */
    struct dev_opts f = {0};
    assert_int_equal(dev_opts_add(&f, "path", "disk.img"), 0);
    assert_int_equal(dev_opts_add(&f, "ro", NULL), 0);
    assert_string_equal(f.items[0].value, "disk.img");
    assert_null(f.items[1].value);
    dev_opts_free(&f);
}

static void test_sizes(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(dev_parse_size("4K", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(dev_parse_size("2GiB", &v), 0);
    assert_int_equal(v, 2ULL << 30);
    assert_int_not_equal(dev_parse_size("-1", &v), 0);
    assert_int_not_equal(dev_parse_size("1Q", &v), 0);
    assert_int_not_equal(dev_parse_size("99999999999999999999", &v), 0);
    assert_int_not_equal(dev_parse_size("", &v), 0);
}

static void test_common_options(void **state)
{
    (void)state;
    const struct device_type *rng = device_type_find("rng");
    assert_non_null(rng);
    struct device_list l = {0};
    char why[200];
    assert_int_equal(device_list_add(&l, rng, "transport=pci,addr=3", why, sizeof(why)), 0);
    assert_int_equal(l.items[0].transport, TRANSPORT_PCI);
    assert_int_equal(l.items[0].pci_slot, 3);
    device_list_free(&l);

    assert_int_equal(device_list_add(&l, rng, NULL, why, sizeof(why)), 0);
    assert_int_equal(l.items[0].transport, TRANSPORT_DEFAULT);
    assert_int_equal(l.items[0].pci_slot, -1);
    device_list_free(&l);

    const char *bad[] = {"transport=usb", "transport", "addr=0", "addr=32", "addr=x",
                         "addr=", "addr=3,addr=4", "transport=pci,transport=mmio",
                         "rate=1K,frob=1", "speed=10", "rate=0", "burst=4K"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = 0;
        assert_int_not_equal(device_list_add(&l, rng, bad[i], why, sizeof(why)), 0);
        assert_true(why[0] != 0);
        assert_int_equal(l.count, 0);
    }
}

static void test_limits_and_checks(void **state)
{
    (void)state;
    const struct device_type *rng = device_type_find("rng");
    const struct device_type *port = device_type_find("port");
    const struct device_type *console = device_type_find("virtio-console");
    assert_non_null(port);
    assert_non_null(console);
    assert_true(console->internal);
    struct device_list l = {0};
    char why[200];
    assert_int_equal(device_list_add(&l, rng, "", why, sizeof(why)), 0);
    assert_null(device_list_check(&l));
    assert_int_equal(device_list_add(&l, rng, "", why, sizeof(why)), 0);
    assert_non_null(device_list_check(&l));         /* one rng at most */
    device_list_free(&l);

    assert_int_equal(device_list_add(&l, port, "a=pty", why, sizeof(why)), 0);
    assert_int_equal(device_list_add(&l, port, "a=pty", why, sizeof(why)), 0);
    assert_non_null(device_list_check(&l));         /* same name twice */
    device_list_free(&l);

    assert_int_equal(device_list_add(&l, port, "a=stdio", why, sizeof(why)), 0);
    assert_null(device_list_check(&l));
    assert_int_equal(device_list_add(&l, console, "", why, sizeof(why)), 0);
    assert_non_null(device_list_check(&l));         /* two users of stdio */
    device_list_free(&l);

    assert_int_not_equal(device_list_add(&l, port, "bad name=pty", why, sizeof(why)), 0);
    assert_int_not_equal(device_list_add(&l, port, "a=tcp:1", why, sizeof(why)), 0);
    assert_int_not_equal(device_list_add(&l, port, "a=unix:", why, sizeof(why)), 0);
    assert_int_equal(device_list_add(&l, port, "name=b,to=unix:/tmp/x", why, sizeof(why)), 0);
    /* NAME=WHAT together with the common options, in either order. */
    assert_int_equal(device_list_add(&l, port, "c=pty,transport=pci", why, sizeof(why)), 0);
    assert_int_equal(l.items[l.count - 1].transport, TRANSPORT_PCI);
    assert_int_equal(device_list_add(&l, port, "transport=pci,addr=4,d=pty", why, sizeof(why)), 0);
    assert_int_equal(l.items[l.count - 1].pci_slot, 4);
    assert_int_not_equal(device_list_add(&l, port, "e=pty,f=pty", why, sizeof(why)), 0);
    device_list_free(&l);
}

static void test_registry_order(void **state)
{
    (void)state;
    /* Disks come first so they are vda, vdb, ... whatever the link order. */
    const struct device_type *first = device_type_at(0);
    assert_non_null(first);
    assert_string_equal(first->name, "disk");
    int last = -1000;
    unsigned i;
    for (i = 0; device_type_at(i); i++) {
        assert_true(device_type_at(i)->order >= last);
        last = device_type_at(i)->order;
        assert_ptr_equal(device_type_find(device_type_at(i)->name), device_type_at(i));
    }
    assert_true(i >= 4);
    assert_null(device_type_find("no-such-device"));
}

static void test_disk_options(void **state)
{
    (void)state;
    const struct device_type *disk = device_type_find("disk");
    struct device_list l = {0};
    char why[200];
    assert_int_equal(device_list_add(&l, disk, "a,,b.img,ro,serial=S1,cache=none,transport=mmio",
                                     why, sizeof(why)), 0);
    device_list_free(&l);
    const char *bad[] = {",ro", "x.img,frob", "x.img,cache=sometimes", "x.img,ro,ro",
                         "x.img,serial=123456789012345678901", "x.img,serial=a b",
                         "x.img,ro=yes", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_not_equal(device_list_add(&l, disk, bad[i], why, sizeof(why)), 0);
    assert_int_equal(l.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts_syntax),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_common_options),
        cmocka_unit_test(test_limits_and_checks),
        cmocka_unit_test(test_registry_order),
        cmocka_unit_test(test_disk_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
