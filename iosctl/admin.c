/*
 * admin.c - see admin.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ctlfmt.h"
#include "output.h"
#include "show.h"

enum quota_field { QF_SIGNAL_SIZE, QF_PUBLISH_COUNTER, QF_TRAFFIC_RATE,
    QF_COUNT };

/* The wire name, and the reference's (auth_file.json, its docs). */
static const char *const quota_keys[QF_COUNT][2] = {
	[QF_SIGNAL_SIZE] = { "signal_size", "signalSize" },
	[QF_PUBLISH_COUNTER] = { "publish_counter", "publishCounter" },
	[QF_TRAFFIC_RATE] = { "traffic_rate", "trafficRate" },
};

#define QUOTA_MAX	4294967295LL
#define T_CID		256	/* a tag's CID, made safe to print */

enum payload_type { PT_TEXT, PT_JSON, PT_BINARY, PT_EMPTY, PT_COUNT };

static const char *const payload_types[PT_COUNT] = {
	[PT_TEXT] = "text", [PT_JSON] = "json", [PT_BINARY] = "binary",
	[PT_EMPTY] = "empty",
};

/* The option that asks for each payload type; text needs none. */
static const char *const payload_opts[PT_COUNT] = {
	[PT_JSON] = "json-payload", [PT_BINARY] = "binary-base64",
	[PT_EMPTY] = "empty",
};

static int
quota_field(const char *name, size_t len)
{
	char norm[32];

	if (len >= sizeof(norm))
		return -1;
	/* signal-size reads as well as signal_size. */
	for (size_t i = 0; i < len; i++)
		norm[i] = name[i] == '-' ? '_' : name[i];
	norm[len] = '\0';
	for (int f = 0; f < QF_COUNT; f++)
		if (strcmp(norm, quota_keys[f][0]) == 0 ||
		    strcmp(norm, quota_keys[f][1]) == 0)
			return f;
	return -1;
}

int
admin_quota_set(struct cmd_ctx *ctx)
{
	json_t *res;
	const char *w, *eq;
	char *end;
	long long v;
	int f, rc;

	for (size_t i = 0; i < ctx->nrest; i++) {
		w = ctx->restv[i];
		if ((eq = strchr(w, '=')) == NULL ||
		    (f = quota_field(w, (size_t)(eq - w))) < 0)
			return cmd_bad(ctx, "'%s': expected signal_size=N, "
			    "publish_counter=N or traffic_rate=N", w);
		if (json_object_get(ctx->args, quota_keys[f][0]))
			return cmd_bad(ctx, "%s given twice", quota_keys[f][0]);
		errno = 0;
		v = strtoll(eq + 1, &end, 10);
		if (eq[1] == '\0' || *end || errno || v < 0 || v > QUOTA_MAX)
			return cmd_bad(ctx, "%s: expected a whole number from "
			    "0 to %lld, not '%s'", quota_keys[f][0], QUOTA_MAX,
			    eq + 1);
		json_object_set_new(ctx->args, quota_keys[f][0],
		    json_integer(v));
	}
	if ((rc = cmd_call(ctx, ctx->cmd->wire, ctx->args, &res)) != ST_OK)
		return rc;
	rc = cmd_print(ctx, res, show_quota);
	json_decref(res);
	return rc;
}

static bool
is_base64(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/-_");

	return s[n + strspn(s + n, "=")] == '\0';
}

/*
 * The CID of a unicast tag, "CID@topic" (the daemon's tag_classify: a
 * '@' after the first byte, no leading '$'); its length, or 0.
 */
static size_t
unicast_cid(const char *tag)
{
	const char *at = strchr(tag, '@');

	return tag[0] != '$' && at && at != tag ? (size_t)(at - tag) : 0;
}

int
admin_signal(struct cmd_ctx *ctx)
{
	const char *payload = cmd_val(ctx, "PAYLOAD");
	const char *tag = cmd_val(ctx, "TAG");
	size_t cidlen = unicast_cid(tag);
	enum payload_type type = PT_TEXT;
	json_error_t jerr;
	json_t *res, *j, *n;
	char raw[T_CID], cid[T_CID];
	int rc;

	/* Tags the daemon drops from the server whoever listens. */
	if (tag[0] == '$')
		return cmd_bad(ctx, "TAG: '$' tags are reserved");
	if (tag[0] == '@')
		return cmd_bad(ctx, "TAG: '@topic' publishes as a client's own "
		    "CID; the server has none (give CID@topic)");

	for (int t = 0; t < PT_COUNT; t++) {
		if (payload_opts[t] == NULL || !cmd_val(ctx, payload_opts[t]))
			continue;
		if (type != PT_TEXT)
			return cmd_bad(ctx, "--%s and --%s: one or the other",
			    payload_opts[type], payload_opts[t]);
		type = (enum payload_type)t;
	}
	if (type == PT_EMPTY && payload)
		return cmd_bad(ctx, "--empty takes no PAYLOAD");
	if (type != PT_EMPTY && payload == NULL)
		return cmd_bad(ctx, "missing PAYLOAD (or --empty)");
	if (type == PT_JSON) {
		if ((j = json_loads(payload, JSON_DECODE_ANY, &jerr)) == NULL)
			return cmd_bad(ctx, "PAYLOAD: not JSON (%s, at "
			    "character %d)", jerr.text, jerr.position);
		json_decref(j);
	}
	if (type == PT_BINARY && !is_base64(payload))
		return cmd_bad(ctx, "PAYLOAD: not base64");
	json_object_set_new(ctx->args, "type",
	    json_string(payload_types[type]));
	if ((rc = cmd_call(ctx, ctx->cmd->wire, ctx->args, &res)) != ST_OK)
		return rc;
	/*
	 * A unicast tag that reached nobody named a CID that is not
	 * connected: not found. A channel without subscribers is not an
	 * error: delivered to 0.
	 */
	n = json_object_get(res, "delivered");
	if (cidlen > 0 && json_is_integer(n) && json_integer_value(n) == 0) {
		json_decref(res);
		snprintf(raw, sizeof(raw), "%.*s", (int)cidlen, tag);
		out_clean(cid, sizeof(cid), raw);
		return fail(FAIL_NOT_FOUND, "no client with CID %s: the "
		    "signal reached nobody", cid);
	}
	rc = cmd_print(ctx, res, show_signal);
	json_decref(res);
	return rc;
}

/* ---- token: the HTTP API's bearer tokens ---- */

static void
show_token_created(const json_t *r)
{
	const json_t *ex = json_object_get(r, "expires");
	char d[64];

	printf("%s\n", json_string_value(json_object_get(r, "token")));
	fprintf(stderr, "token %lld, scope %s, %s%s: shown once, keep it "
	    "safe\n", (long long)json_integer_value(json_object_get(r, "id")),
	    json_string_value(json_object_get(r, "scope")),
	    json_is_integer(ex) ? "expires " : "no expiry",
	    json_is_integer(ex) ? fmt_date(d, sizeof(d),
	    (double)json_integer_value(ex)) : "");
}

static void
show_tokens(const json_t *r)
{
	static const char *const cols[] = { "ID", "SCOPE", "NAME", "CREATED",
	    "EXPIRES", "LAST USED", NULL };
	const json_t *l = json_object_get(r, "list");
	struct table *t = table_new(cols);
	char a[128];
	size_t i;

	for (i = 0; i < json_array_size(l); i++) {
		const json_t *e = json_array_get(l, i);
		const json_t *ex = json_object_get(e, "expires");
		const json_t *lu = json_object_get(e, "last_used");

		table_addf(t, "%lld", (long long)json_integer_value(
		    json_object_get(e, "id")));
		table_add(t, json_string_value(json_object_get(e, "scope")));
		table_add(t, json_is_string(json_object_get(e, "name")) ?
		    out_clean(a, sizeof(a), json_string_value(
		    json_object_get(e, "name"))) : "-");
		table_add(t, fmt_date(a, sizeof(a), (double)json_integer_value(
		    json_object_get(e, "created"))));
		if (json_is_true(json_object_get(e, "expired")))
			table_add(t, "expired");
		else
			table_add(t, json_is_integer(ex) ? fmt_date(a,
			    sizeof(a), (double)json_integer_value(ex)) :
			    "never");
		table_add(t, json_is_integer(lu) ? fmt_ago(a, sizeof(a),
		    (double)json_integer_value(lu)) : "never");
	}
	if (table_rows(t))
		table_print(t);
	table_free(t);
	printf("%zu token%s\n", i, i == 1 ? "" : "s");
}

static void
show_token_revoked(const json_t *r)
{
	printf("token %lld revoked\n", (long long)json_integer_value(
	    json_object_get(r, "revoked")));
}

int
admin_token(struct cmd_ctx *ctx)
{
	const char *verb = cmd_val(ctx, "create|list|revoke");
	const char *id = cmd_val(ctx, "ID");
	bool opts = json_object_size(ctx->args) > 0;
	json_t *res, *shaped;
	int rc;

	if (strcmp(verb, "create") == 0) {
		if (id)
			return cmd_bad(ctx, "create takes no ID");
		if (!json_object_get(ctx->args, "scope"))
			return cmd_bad(ctx, "create needs --scope "
			    "publish|read|admin");
		if ((rc = cmd_call(ctx, CTLMSG_CMD_TOKEN_CREATE, ctx->args,
		    &res)) != ST_OK)
			return rc;
		rc = cmd_print(ctx, res, show_token_created);
		json_decref(res);
		return rc;
	}
	if (opts)
		return cmd_bad(ctx, "--scope, --expires and --name are for "
		    "create");
	if (strcmp(verb, "list") == 0) {
		if (id)
			return cmd_bad(ctx, "list takes no ID");
		if ((rc = cmd_call(ctx, CTLMSG_CMD_TOKEN_LIST, ctx->args,
		    &res)) != ST_OK)
			return rc;
		shaped = cmd_list_shape(res, "tokens");
		json_decref(res);
		rc = cmd_print(ctx, shaped, show_tokens);
		json_decref(shaped);
		return rc;
	}
	if (id == NULL)
		return cmd_bad(ctx, "revoke needs the token's ID");
	json_object_set_new(ctx->args, "id", json_integer(strtoll(id, NULL,
	    10)));
	if ((rc = cmd_call(ctx, CTLMSG_CMD_TOKEN_REVOKE, ctx->args, &res)) !=
	    ST_OK)
		return rc;
	rc = cmd_print(ctx, res, show_token_revoked);
	json_decref(res);
	return rc;
}

/* ---- acl ---- */

static void
show_acl(const json_t *r)
{
	static const char *const cols[] = { "ID", "PRIO", "EFFECT", "WHO",
	    "ACTION", "PATTERN", NULL };
	const json_t *l = json_object_get(r, "list");
	struct table *t = table_new(cols);
	char a[300];
	size_t i;

	for (i = 0; i < json_array_size(l); i++) {
		const json_t *e = json_array_get(l, i);

		table_addf(t, "%lld", (long long)json_integer_value(
		    json_object_get(e, "id")));
		table_addf(t, "%lld", (long long)json_integer_value(
		    json_object_get(e, "prio")));
		table_add(t, json_string_value(json_object_get(e, "effect")));
		table_add(t, out_clean(a, sizeof(a), json_string_value(
		    json_object_get(e, "who"))));
		table_add(t, json_string_value(json_object_get(e, "action")));
		table_add(t, out_clean(a, sizeof(a), json_string_value(
		    json_object_get(e, "pattern"))));
	}
	if (table_rows(t))
		table_print(t);
	table_free(t);
	printf("%zu rule%s%s\n", i, i == 1 ? "" : "s", i ? ", first match "
	    "decides; no match: allowed" : ": everything allowed");
}

static void
show_acl_changed(const json_t *r)
{
	char a[300], b[300];

	printf("rule %lld: %s %s %s %s (prio %lld); %lld subscription%s "
	    "removed\n", (long long)json_integer_value(json_object_get(r,
	    "id")), json_string_value(json_object_get(r, "effect")),
	    out_clean(a, sizeof(a), json_string_value(json_object_get(r,
	    "who"))), json_string_value(json_object_get(r, "action")),
	    out_clean(b, sizeof(b), json_string_value(json_object_get(r,
	    "pattern"))), (long long)json_integer_value(json_object_get(r,
	    "prio")), (long long)json_integer_value(json_object_get(r,
	    "unsubscribed")), json_integer_value(json_object_get(r,
	    "unsubscribed")) == 1 ? "" : "s");
}

int
admin_acl(struct cmd_ctx *ctx)
{
	const char *verb = cmd_val(ctx, "list|add|remove");
	const char *a1 = cmd_val(ctx, "allow|deny|ID");
	const char *who = cmd_val(ctx, "WHO");
	const char *action = cmd_val(ctx, "subscribe|publish|both");
	const char *pattern = cmd_val(ctx, "PATTERN");
	enum ctlmsg_cmd cmd;
	json_t *res, *shaped;
	char *end;
	int rc;

	if (strcmp(verb, "list") == 0) {
		if (a1 || json_object_size(ctx->args) > 0)
			return cmd_bad(ctx, "list takes nothing more");
		if ((rc = cmd_call(ctx, CTLMSG_CMD_ACL_LIST, ctx->args,
		    &res)) != ST_OK)
			return rc;
		shaped = cmd_list_shape(res, "rules");
		json_decref(res);
		rc = cmd_print(ctx, shaped, show_acl);
		json_decref(shaped);
		return rc;
	}
	if (strcmp(verb, "add") == 0) {
		if (pattern == NULL)
			return cmd_bad(ctx, "add needs allow|deny WHO "
			    "subscribe|publish|both PATTERN");
		json_object_set_new(ctx->args, "effect", json_string(a1));
		json_object_set_new(ctx->args, "who", json_string(who));
		json_object_set_new(ctx->args, "action", json_string(action));
		json_object_set_new(ctx->args, "pattern",
		    json_string(pattern));
		cmd = CTLMSG_CMD_ACL_ADD;
	} else {
		long long id;

		if (a1 == NULL || who || json_object_size(ctx->args) > 0)
			return cmd_bad(ctx, "remove takes the rule's ID alone");
		id = strtoll(a1, &end, 10);
		if (*end != '\0' || id < 1)
			return cmd_bad(ctx, "remove: '%s' is not a rule id", a1);
		json_object_set_new(ctx->args, "id", json_integer(id));
		cmd = CTLMSG_CMD_ACL_REMOVE;
	}
	if ((rc = cmd_call(ctx, cmd, ctx->args, &res)) != ST_OK)
		return rc;
	rc = cmd_print(ctx, res, show_acl_changed);
	json_decref(res);
	return rc;
}
