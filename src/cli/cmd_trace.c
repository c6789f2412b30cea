/* `ceres trace`: work with dumped traces. */
#include "cli.h"
#include "trace/ct_host.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
    fputs("usage: ceres trace <command> ...\n"
          "\n"
          "commands:\n"
          "  convert IN OUT [--format F] [--raw-cycles] [--uncompressed]\n"
          "                 convert a trace to another format\n"
          "  cat TRACE      print a trace as text\n"
          "  stats TRACE    event counts and ring statistics\n"
          "  diff A B       compare two traces\n"
          "\n"
          "`ceres trace <command> --help` describes each command.\n",
          f);
}

static void convert_usage(FILE *f) {
    fputs("usage: ceres trace convert IN OUT [--format F] [--raw-cycles] [--uncompressed]\n"
          "\n"
          "Read IN (a .ctrace dump, or a .perfetto-trace written by Ceres: its\n"
          "timestamps come back in ns, field widths as the values need) and write\n"
          "OUT. The format comes from OUT's extension unless --format is given:\n"
          "  perfetto  .perfetto-trace  Perfetto protobuf (open in ui.perfetto.dev)\n"
          "  json      .json            Chrome trace event format\n"
          "  log       .log             text, one event a line\n"
          "  ctrace    .ctrace          native: header, schema, raw records\n"
          "\n"
          "options:\n"
          "  --format F     perfetto, json, log or ctrace\n"
          "  --raw-cycles   timestamps in raw ticks instead of nanoseconds\n"
          "  --uncompressed .perfetto-trace: plain packets (readable by protoc)\n"
          "                 instead of deflate-compressed chunks\n"
          "  --help         this text\n",
          f);
}

static int cmd_convert(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    ct_dump_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            convert_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--raw-cycles")) {
            o.raw_cycles = true;
        } else if (!strcmp(a, "--uncompressed")) {
            o.uncompressed = true;
        } else if (!strcmp(a, "--format") || !strncmp(a, "--format=", 9)) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || ct_format_parse(v, &o.format) != 0) {
                fprintf(stderr,
                        "ceres trace convert: bad --format '%s' (perfetto, json, log or "
                        "ctrace)\n",
                        v ? v : "");
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "ceres trace convert: unknown option '%s'\n", a);
            convert_usage(stderr);
            return 2;
        } else if (!in) {
            in = a;
        } else if (!out) {
            out = a;
        } else {
            fprintf(stderr, "ceres trace convert: unexpected argument '%s'\n", a);
            return 2;
        }
    }
    if (!in || !out) {
        convert_usage(stderr);
        return 2;
    }
    if (o.format == CT_FMT_AUTO && ct_format_from_path(out) == CT_FMT_AUTO) {
        fprintf(stderr,
                "ceres trace convert: cannot tell the format of '%s' from its name: use "
                "--format or one of .perfetto-trace, .json, .log, .ctrace\n",
                out);
        return 2;
    }
    char err[512];
    ct_trace *t = NULL;
    if (ct_trace_load(in, &t, err, sizeof err) != 0) {
        fprintf(stderr, "ceres trace convert: %s\n", err);
        return 2;
    }
    int rc = ct_trace_write(t, out, &o);
    ct_trace_free(t);
    if (rc != 0) {
        fprintf(stderr, "ceres trace convert: cannot write %s: %s\n", out, strerror(-rc));
        return 2;
    }
    return 0;
}

int cmd_trace(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(sub, "convert")) return cmd_convert(argc - 1, argv + 1);
    if (!strcmp(sub, "cat") || !strcmp(sub, "stats") || !strcmp(sub, "diff")) {
        for (int i = 2; i < argc; i++)
            if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                printf("usage: ceres trace %s ...\n\nnot implemented yet\n", sub);
                return 0;
            }
        fprintf(stderr, "ceres trace %s: not implemented yet\n", sub);
        return 2;
    }
    fprintf(stderr, "ceres trace: unknown command '%s'\n", sub);
    usage(stderr);
    return 2;
}
