/*
 * cmd.h - iosctl's command table. Each command is declared once: its
 * name, handler and flags, the control command it sends (one of
 * ctlmsg.h's, which also says whether the read-only socket takes it),
 * its arguments (which become the request's args, are checked before
 * anything is sent, and make up its --help) and how its result is shown
 * to a person.
 */
#ifndef IOSCTL_CMD_H
#define IOSCTL_CMD_H

#include <stdbool.h>

#include <jansson.h>

#include "ctl.h"
#include "fail.h"
#include "output.h"

enum arg_kind {
	ARG_STR,	/* a string */
	ARG_ID,		/* a non-empty string of at most max bytes */
	ARG_INT,	/* an integer in [min, max] */
	ARG_NUM,	/* a decimal number in (0, max] */
	ARG_CHOICE,	/* one of the words of meta, "a|b|c" */
	ARG_TRUE,	/* an option without a value: args.key = true */
	ARG_FALSE,	/* an option without a value: args.key = false */
	ARG_PATH,	/* a file name, made absolute */
	ARG_JSON,	/* a JSON text */
};

/* Positionals have no opt; a REST positional takes the remaining words. */
#define ARG_OPTIONAL	0x1
#define ARG_REST	0x2

struct cmd_arg {
	const char	*opt;	/* long option without "--"; NULL: positional */
	const char	*meta;	/* its value in usage; NULL: takes none */
	const char	*key;	/* member of args; NULL: the handler's own */
	enum arg_kind	 kind;
	long long	 min, max;
	int		 flags;
	const char	*help;
};

#define CMD_MAX_ARGS	16

struct cmd;

struct cmd_ctx {
	const struct cmd *cmd;
	const char	*socket;
	int		 timeout_ms;	/* per answer; -1: wait forever */
	bool		 json;		/* --json */
	json_t		*args;		/* the request's args, from the table */
	const char	*val[CMD_MAX_ARGS];	/* as given, by table index */
	char		**restv;	/* the words of an ARG_REST positional */
	size_t		 nrest;
	char		*rest;		/* the same, joined by spaces */
	struct ctl	*ctl;		/* opened on first use */
	enum fail_code	 last_err;	/* of the last refused cmd_call */
	/* CMD_RAW: the words from the command's name on, unparsed */
	int		 argc;
	char		**argv;
	bool		 json_global;	/* -j/--json before the command */
};

typedef int cmd_run_fn(struct cmd_ctx *);
typedef void cmd_show_fn(const json_t *result);

/* Command flags. */
#define CMD_STREAM	0x2	/* trace, watch: events until stopped */
#define CMD_LOCAL	0x4	/* needs no daemon */
#define CMD_SESSIONS	0x8	/* shows clients: their states by name */
#define CMD_RAW		0x10	/* parses its own arguments (args: usage) */

struct cmd {
	const char		*name;
	cmd_run_fn		*run;	/* NULL: send wire, show the result */
	int			 flags;
	enum ctlmsg_cmd		 wire;	/* the control command (NONE: local) */
	cmd_show_fn		*show;	/* the result for a person */
	const struct cmd_arg	*args;	/* NULL-opt, NULL-meta terminated */
	const char		*summary;
	const char		*help;	/* more lines for --help, or NULL */
	/*
	 * A list command: the member of the daemon's result that holds the
	 * list ("" when the result is the array itself). Its result is
	 * printed as {"total": N, "list": [...]} (cmd_list_shape).
	 */
	const char		*list;
};

const struct cmd *cmd_find(const char *name);
/* The read-only socket accepts it (ctlmsg.h says, by its wire command). */
bool cmd_ro(const struct cmd *c);
/* The table, for the general help: a NULL-name-terminated array. */
const struct cmd *cmd_table(void);

/* Parses argv[1..] (argv[0] is the command name): ST_OK, or ST_USAGE
 * after a message; *done when --help was answered. */
int cmd_parse(struct cmd_ctx *ctx, int argc, char **argv, bool *done);
/* -c, -t, --json, --help at argv[*i]: *took when it was one of them. */
int cmd_global_opt(struct cmd_ctx *ctx, int argc, char **argv, int *i,
    bool *done, bool *took);
void cmd_help_all(FILE *f);
/* Runs a parsed command: its handler, or the generic request. */
int cmd_run(struct cmd_ctx *ctx);
void cmd_usage(const struct cmd *c, FILE *f);
void cmd_ctx_free(struct cmd_ctx *ctx);

/* For handlers. */
const char *cmd_val(const struct cmd_ctx *ctx, const char *name);
/* A usage error (fail.h): ST_USAGE, after the message and, for a person,
 * where to read the usage. */
int cmd_bad(const struct cmd_ctx *ctx, const char *fmt, ...) OUT_PRINTF(2, 3);
int cmd_connect(struct cmd_ctx *ctx);
/* One request, one answer: ST_OK with *result (a new reference, never
 * NULL), or the exit status after the message was printed. */
int cmd_call(struct cmd_ctx *ctx, enum ctlmsg_cmd wire, json_t *args,
    json_t **result);
/* The error of a failed ctl_* call: unreachable, timeout, protocol (all
 * ST_UNREACHABLE), or too_large (ST_USAGE). */
int cmd_lost(struct cmd_ctx *ctx, int rc);
/* The error of a refused reply (the daemon's code and message). */
int cmd_refused(struct cmd_ctx *ctx, const json_t *reply);
/* A list result as {"total": N, "list": [...]}: a bare array, or the
 * array of member key, moved to "list"; other members kept. New ref. */
json_t *cmd_list_shape(json_t *result, const char *key);
/* Prints a result: as JSON with --json, else with show. */
int cmd_print(const struct cmd_ctx *ctx, const json_t *result,
    cmd_show_fn *show);

#endif
