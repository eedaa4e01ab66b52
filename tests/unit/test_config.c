/*
 * The JSON config file: what options it becomes and where they go (before the command
 * line's), how device entries become option text (commas escaped, flags, false left out),
 * the errors with file, line, column and key, and --print-config's output read back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/config.h"
#include "core/device_registry.h"
#include "riscv/machine.h"

static char path[64];

static int setup(void **state)
{
    snprintf(path, sizeof(path), "/tmp/kite-test-config-%d.json", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    unlink(path);
    return 0;
}

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Expands argv with the file holding `text`; returns the joined result ("a|b|c"). */
static char *expand(const char *text, int argc, char **argv, int *rc, char *err, size_t len)
{
    write_file(text);
    int n;
    char **out;
    *rc = config_expand_argv(argc, argv, &n, &out, err, len);
    if (*rc)
        return NULL;
    static char joined[4096];
    joined[0] = '\0';
    for (int i = 0; i < n; i++) {
        strcat(joined, i ? "|" : "");
        strcat(joined, out[i]);
    }
    assert_null(out[n]);
    config_argv_free(n, out, argv);
    return joined;
}

static void test_file_before_command_line(void **state)
{
    char *argv[] = {"run", "--mem", "2G", "--config", path, "--input", "mouse", NULL};
    char err[256];
    int rc;
    char *got = expand("{\"mem\": \"1G\", \"kernel\": \"/k\", \"no-reboot\": true,"
                       " \"verbose\": 2, \"input\": \"keyboard\"}",
                       7, argv, &rc, err, sizeof(err));
    assert_int_equal(rc, 0);
    assert_string_equal(got, "run|--mem=1G|--kernel=/k|--no-reboot|--verbose|--verbose|"
                             "--input=keyboard|--mem|2G|--input|mouse");
}

static void test_device_entries(void **state)
{
    char *argv[] = {"run", "--config=x", NULL};
    argv[1] = malloc(strlen(path) + 10);
    sprintf(argv[1], "--config=%s", path);
    char err[256];
    int rc;
    char *got = expand("{\"disk\": [{\"path\": \"a,b.img\", \"ro\": true, \"snapshot\": false,"
                       " \"serial\": \"x=y\"}, \"c.img,,d\"], \"rng\": true,"
                       " \"input\": [{\"kind\": \"tablet\"}], \"mem\": 67108864}",
                       2, argv, &rc, err, sizeof(err));
    free(argv[1]);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "run|--disk=path=a,,b.img,ro,serial=x=y|--disk=c.img,,d|--rng|"
                             "--input=kind=tablet|--mem=67108864");
}

static void test_no_config(void **state)
{
    char *argv[] = {"run", "--mem", "1G", NULL};
    int n;
    char **out;
    char err[64];
    assert_int_equal(config_expand_argv(3, argv, &n, &out, err, sizeof(err)), 0);
    assert_ptr_equal(out, argv);
    assert_int_equal(n, 3);
}

static void expect_error(const char *text, const char *want)
{
    char *argv[] = {"run", "--config", path, NULL};
    char err[256] = "";
    int rc;
    expand(text, 3, argv, &rc, err, sizeof(err));
    assert_int_equal(rc, -EINVAL);
    if (!strstr(err, want))
        fail_msg("error '%s' does not say '%s'", err, want);
    assert_non_null(strstr(err, path));
}

static void test_errors(void **state)
{
    expect_error("{\n  \"mem\": \"1G\",\n  \"frob\": 1\n}", ":3:3: key 'frob': unknown key");
    expect_error("{\"mem\": \"1G\",\n \"disk\": [", ":2:");
    expect_error("{\"mem\": true}", ":1:2: key 'mem': must be a size");
    expect_error("{\"kernel\": 5}", "key 'kernel': must be a string");
    expect_error("{\"no-reboot\": 1}", "key 'no-reboot': must be true or false");
    expect_error("{\"verbose\": 9}", "key 'verbose'");
    expect_error("{\"disk\": [[\"a\"]]}", "key 'disk': an entry is");
    expect_error("{\"disk\": {\"path\": \"a\", \"ro\": null}}", "member 'ro'");
    expect_error("{\"disk\": {\"path\": 1.5}}", "member 'path'");
    expect_error("{\"disk\": true}", "key 'disk'");      /* disk needs a value */
    expect_error("{\"virtio-console\": \"\"}", "unknown key");  /* internal types */
    expect_error("{\"config\": \"x\"}", "unknown key");
    expect_error("[]", "one JSON object");
    expect_error("", ":");
    expect_error("{\"a\": 1, \"a\": 2}", "duplicate");
    char *argv[] = {"run", "--config", "/nonexistent/kite.json", NULL};
    int n;
    char **out;
    char err[256];
    assert_int_equal(config_expand_argv(3, argv, &n, &out, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "cannot read config /nonexistent/kite.json"));
    char *twice[] = {"run", "--config", "a", "--config=b", NULL};
    assert_int_equal(config_expand_argv(4, twice, &n, &out, err, sizeof(err)), -EINVAL);
    char *bare[] = {"run", "--config", NULL};
    assert_int_equal(config_expand_argv(2, bare, &n, &out, err, sizeof(err)), -EINVAL);
}

static void test_print(void **state)
{
    struct device_list l = {0};
    char why[128];
    assert_int_equal(device_list_add(&l, device_type_find("disk"), "a,,b.img,ro", why,
                                     sizeof(why)), 0);
    assert_int_equal(device_list_add(&l, device_type_find("rng"), NULL, why, sizeof(why)), 0);
    assert_int_equal(device_list_add(&l, device_type_find("input"), "tablet,id=t", why,
                                     sizeof(why)), 0);
    struct rv_machine_config cfg = {.ram_size = 3ULL << 30, .kernel = "/k \"q\"",
                                    .no_reboot = true, .devices = &l, .qmp_path = "/s"};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_print(f, &cfg, true);
    fclose(f);
    assert_non_null(strstr(text, "\"kernel\": \"/k \\\"q\\\"\""));
    assert_non_null(strstr(text, "\"mem\": \"3G\""));
    assert_non_null(strstr(text, "\"no-reboot\": true"));
    assert_non_null(strstr(text, "\"console\": \"virtio\""));
    assert_non_null(strstr(text, "\"qmp\": \"/s\""));
    assert_non_null(strstr(text, "\"disk\": [\"a,,b.img,ro\"]"));
    assert_non_null(strstr(text, "\"rng\": [true]"));
    assert_non_null(strstr(text, "\"input\": [\"tablet,id=t\"]"));
    /* Read back, it gives the same options. */
    char *argv[] = {"run", "--config", path, NULL};
    char err[256];
    int rc;
    char *got = expand(text, 3, argv, &rc, err, sizeof(err));
    assert_int_equal(rc, 0);
    assert_non_null(strstr(got, "--disk=a,,b.img,ro"));
    assert_non_null(strstr(got, "--rng|"));
    assert_non_null(strstr(got, "--mem=3G"));
    assert_non_null(strstr(got, "--kernel=/k \"q\""));
    free(text);
    device_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file_before_command_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
