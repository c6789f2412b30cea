/* Fuzz target: the trace file reader (ct_trace_load), which takes .ctrace
 * and .perfetto-trace files. It reads a path, so the input goes through a
 * temporary file (one per process, rewritten for every input); a loaded
 * trace is written back out as .ctrace and .log. */
#include "fuzz.h"

#include "trace/ct_host.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path[64];

static int put(const char *p, const uint8_t *data, size_t size) {
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    size_t at = 0;
    while (at < size) {
        ssize_t w = write(fd, data + at, size - at);
        if (w <= 0) break;
        at += (size_t)w;
    }
    close(fd);
    return at == size ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%.30s/ceres-fuzz-%ld", dir && *dir ? dir : "/tmp",
                 (long)getpid());
    }
    if (put(path, data, size)) return 0;
    ct_trace *t = NULL;
    char err[512];
    if (ct_trace_load(path, &t, err, sizeof err) == 0) {
        ct_dump_opts o = {.format = CT_FMT_LOG};
        ct_trace_write(t, "/dev/null", &o);
        o.format = CT_FMT_CTRACE;
        ct_trace_write(t, "/dev/null", &o);
        o.format = CT_FMT_PERFETTO;
        ct_trace_write(t, "/dev/null", &o);
        ct_trace_free(t);
    }
    unlink(path);
    return 0;
}
