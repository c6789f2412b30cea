/* Placeholder until the test command lands. */
#include "cli.h"

#include <stdio.h>

int cmd_test(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ceres test: not implemented yet\n");
    return 2;
}
