/* The ceres program's subcommands. Each returns the process exit code:
 * 0 success, 1 a failed result (test failed, diff found), 2 usage or input
 * error. Errors go to stderr. */
#ifndef CERES_CLI_H
#define CERES_CLI_H

int cmd_run(int argc, char **argv);   /* cmd_run.c */
int cmd_test(int argc, char **argv);  /* cmd_test.c */
int cmd_trace(int argc, char **argv); /* cmd_trace.c */
int cmd_bench(int argc, char **argv); /* cmd_bench.c */
int cmd_play(int argc, char **argv);  /* cmd_play.c (SDL2, optional) */

#endif
