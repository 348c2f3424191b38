/*
 * device.h - provisioning: enroll and rotate-key. Keys are made here
 * (gnutls_rnd) or read from a file or standard input, never from argv,
 * sent once and printed once.
 */
#ifndef IOSCTL_DEVICE_H
#define IOSCTL_DEVICE_H

#include "cmd.h"

#define DEVICE_KEY_BYTES	24	/* random bytes of a generated key */
#define DEVICE_KEY_MAX		1024	/* longest key accepted from a file */

int device_enroll(struct cmd_ctx *ctx);
int device_rotate_key(struct cmd_ctx *ctx);

#endif
