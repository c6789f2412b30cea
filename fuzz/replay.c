/* Replays the saved fuzz crashers without libFuzzer: feeds every file in the
 * folders given on the command line to this target's LLVMFuzzerTestOneInput.
 * A regression shows as a crash or a sanitizer report (exit status non-zero),
 * so it fails the test suite. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0) break;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return -1;
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    unsigned n = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (!d) {
            fprintf(stderr, "replay: %s: cannot open\n", argv[i]);
            return 1;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
            printf("replay %s\n", p);
            fflush(stdout);
            if (replay_file(p)) {
                fprintf(stderr, "replay: %s: cannot read\n", p);
                bad++;
            }
            n++;
        }
        closedir(d);
    }
    printf("%u inputs replayed, %u unreadable\n", n, bad);
    return bad ? 1 : 0;
}
