/* Fuzz target: the text trace readers of `ceres trace` (src/cli/
 * trace_load.c: Chrome JSON through cJSON, Ceres' .log lines, and what
 * sniffs as a Gameboy Doctor log). The input goes through a temporary file
 * (one per process); a loaded trace is written back out as .log, .json and
 * .perfetto-trace. */
#include "fuzz.h"

#include "cli/cli.h"
#include "trace/ct_host.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%.30s/ceres-fuzz-text-%ld", dir && *dir ? dir : "/tmp",
                 (long)getpid());
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 0;
    size_t at = 0;
    while (at < size) {
        ssize_t w = write(fd, data + at, size - at);
        if (w <= 0) break;
        at += (size_t)w;
    }
    close(fd);
    ct_trace *t = NULL;
    char err[512];
    if (at == size && cli_trace_load(path, &t, err, sizeof err) == 0) {
        ct_dump_opts o = {.format = CT_FMT_LOG};
        ct_trace_write(t, "/dev/null", &o);
        o.format = CT_FMT_JSON;
        ct_trace_write(t, "/dev/null", &o);
        o.format = CT_FMT_PERFETTO;
        ct_trace_write(t, "/dev/null", &o);
        ct_trace_free(t);
    }
    unlink(path);
    return 0;
}
