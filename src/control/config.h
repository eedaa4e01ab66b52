/*
 * `kite run --config FILE.json`: a machine described in a file. The file is one JSON object
 * whose keys are the long options of `kite run` and whose values are what the option would
 * take:
 *
 *   {"mem": "1G", "kernel": "Image", "append": "console=ttyS0", "no-reboot": true,
 *    "disk": [{"path": "a.img", "ro": true}, "b.img,serial=data"],
 *    "input": ["keyboard", {"kind": "tablet", "id": "tab"}], "rng": true,
 *    "qmp": "/run/vm.sock"}
 *
 * A device option takes one entry or an array of them; an entry is the option's text or an
 * object whose members are its comma-separated items (true = a flag, false = left out,
 * numbers as written). The file becomes command-line options placed before the real ones,
 * so the command line applies after the file and every value is checked by the same code.
 * `--print-config` prints the effective configuration in this format.
 */
#ifndef KITE_CONTROL_CONFIG_H
#define KITE_CONTROL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct rv_machine_config;

/*
 * If argv (argv[0] is "run") has "--config FILE" or "--config=FILE", returns in *out_argv
 * a new argument vector: argv[0], the file's options, then the rest of argv without the
 * --config. Otherwise *out_argv is argv. 0, or -EINVAL with a one-line reason in err
 * (naming the file, line and column, and the key). Free with config_argv_free.
 */
int config_expand_argv(int argc, char **argv, int *out_argc, char ***out_argv, char *err,
                       size_t err_len);
void config_argv_free(int argc, char **argv, char **orig);
/* For a message about an option's value `p` (a pointer into an argument): "FILE:LINE:COL:
 * key 'KEY': " if the file gave it, else "". */
const char *config_origin(const char *p);

/* Writes the configuration as a --config file (what was set, and the memory size). */
void config_print(FILE *out, const struct rv_machine_config *cfg, bool virtio_console);

#endif
