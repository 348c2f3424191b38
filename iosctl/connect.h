/*
 * connect.h - iosctl connect: an interactive IOSignal client on a
 * listener (ws://, wss://, cong://), the reference io-client's options,
 * dot-commands and output lines, with line editing (libedit), Boho login
 * and ENC_488, reconnection, a non-interactive mode for scripts (commands
 * from standard input, --json events) and exit statuses by outcome
 * (iosctl(8), CONNECT). It does not use the control socket.
 */
#ifndef IOSCTL_CONNECT_H
#define IOSCTL_CONNECT_H

#include "cmd.h"

/* Its options, for the usage cmd.c prints; it parses them itself. */
extern const struct cmd_arg connect_args[];
extern const char connect_help[];

int connect_run(struct cmd_ctx *ctx);

#endif
