/*
 * main.c - iosctl, the scripting CLI of iosd's control socket
 * (doc/control.md, iosctl(8)): global options, then one command of the
 * table in cmd.c, run over one connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../iosd/version.h"
#include "cmd.h"
#include "fail.h"
#include "output.h"

#ifndef IOSCTL_DEFAULT_SOCKET
#define IOSCTL_DEFAULT_SOCKET	"/run/iosd/control.sock"
#endif
#define DEFAULT_TIMEOUT_MS	60000

/*
 * --json anywhere before a "--" (as after the command): so that even an
 * error in the words before it is a JSON object.
 */
static bool
wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-j") == 0 ||
		    strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx;
	const char *env = getenv("IOSD_CONTROL");
	bool done = false, took;
	int i, st;

	memset(&ctx, 0, sizeof(ctx));
	ctx.socket = env && *env ? env : IOSCTL_DEFAULT_SOCKET;
	ctx.timeout_ms = DEFAULT_TIMEOUT_MS;
	out_init();
	/* Results and errors alike (--json is also taken where it stands). */
	ctx.json = wants_json(argc, argv);
	fail_init(ctx.json);

	for (i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (strcmp(w, "--") == 0) {
			i++;
			break;
		}
		if (w[0] != '-' || w[1] == '\0')
			break;
		if (strcmp(w, "-V") == 0 || strcmp(w, "--version") == 0) {
			printf("iosctl %s (control protocol v%d)\n",
			    IOSD_VERSION, CTLMSG_VERSION);
			return ST_OK;
		}
		if ((st = cmd_global_opt(&ctx, argc, argv, &i, &done,
		    &took)) != ST_OK)
			return st;
		if (done)
			return ST_OK;
		if (!took)
			return cmd_bad(&ctx, "unknown option %s", w);
	}
	if (i == argc)
		return cmd_bad(&ctx, "no command");
	if ((ctx.cmd = cmd_find(argv[i])) == NULL)
		return cmd_bad(&ctx, "no command '%s'", argv[i]);
	if ((ctx.args = json_object()) == NULL)
		return fail(FAIL_IO, "out of memory");
	st = cmd_parse(&ctx, argc - i, argv + i, &done);
	if (st == ST_OK && !done)
		st = cmd_run(&ctx);
	cmd_ctx_free(&ctx);
	return st;
}
