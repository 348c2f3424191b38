/*
 * stream.h - trace and watch: one request, then events until ^C,
 * --count or --duration; then a cancel, and exit 0.
 */
#ifndef IOSCTL_STREAM_H
#define IOSCTL_STREAM_H

#include "cmd.h"

int stream_trace(struct cmd_ctx *ctx);
int stream_watch(struct cmd_ctx *ctx);

#endif
