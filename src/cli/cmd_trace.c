/* Placeholder until the trace command lands. */
#include "cli.h"

#include <stdio.h>

int cmd_trace(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ceres trace: not implemented yet\n");
    return 2;
}
