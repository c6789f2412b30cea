/* Placeholder until the bench command lands. */
#include "cli.h"

#include <stdio.h>

int cmd_bench(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ceres bench: not implemented yet\n");
    return 2;
}
