/*
 * view_devices.c - the store's devices: level, disabled, last seen and
 * from where; enroll (a form, then the generated key shown once),
 * revoke, disable / enable, change level, each confirmed first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctlclient.h"
#include "form.h"
#include "table.h"
#include "ui.h"
#include "view_devices.h"

#define LIMIT		1000

struct drow {
	char id[64], cid[64], last_addr[64];
	long long level, last_seen, logins, failures;
	bool disabled, online;
};

enum { D_ID, D_CID, D_LEVEL, D_STATE, D_ONLINE, D_SEEN, D_ADDR, D_LOGINS,
	D_FAILS, D_COUNT };

static const struct table_col dcols[D_COUNT] = {
	[D_ID] = { "ID", 10, 2, false },
	[D_CID] = { "CID", 10, 2, false },
	[D_LEVEL] = { "LVL", 3, 0, true },
	[D_STATE] = { "STATE", 8, 0, false },
	[D_ONLINE] = { "ONLINE", 6, 0, false },
	[D_SEEN] = { "LAST SEEN", 9, 0, true },
	[D_ADDR] = { "LAST ADDRESS", 15, 1, false },
	[D_LOGINS] = { "LOGINS", 6, 0, true },
	[D_FAILS] = { "FAILS", 5, 0, true },
};

static struct {
	struct ctl *ctl;
	struct drow *rows;
	size_t nrows;
	int *shown;
	long long total;
	bool busy, loaded;
	struct table t;
	char filter[FORM_VALUE];
	char sel[64];
	/* What a confirmation is about to do. */
	char new_cid[64];
	char level_id[64];	/* the device the level form is for */
	long long level_was;
	int new_level;
} dv;

static const struct drow *
row_at(int i)
{
	return &dv.rows[dv.shown[i]];
}

static int
cmp_ll(long long a, long long b)
{
	return (a > b) - (a < b);
}

static int
cmp_rows(const void *pa, const void *pb)
{
	const struct drow *a = &dv.rows[*(const int *)pa];
	const struct drow *b = &dv.rows[*(const int *)pb];
	int r = 0;

	switch (dv.t.sort) {
	case D_ID: r = strcmp(a->id, b->id); break;
	case D_CID: r = strcmp(a->cid, b->cid); break;
	case D_LEVEL: r = cmp_ll(a->level, b->level); break;
	case D_STATE: r = cmp_ll(a->disabled, b->disabled); break;
	case D_ONLINE: r = cmp_ll(b->online, a->online); break;
	case D_SEEN: r = cmp_ll(b->last_seen, a->last_seen); break;
	case D_ADDR: r = strcmp(a->last_addr, b->last_addr); break;
	case D_LOGINS: r = cmp_ll(a->logins, b->logins); break;
	case D_FAILS: r = cmp_ll(a->failures, b->failures); break;
	}
	if (r == 0)
		r = strcmp(a->id, b->id);
	return dv.t.rev ? -r : r;
}

static bool
matches(const struct drow *r)
{
	return !dv.filter[0] || strcasestr(r->id, dv.filter) ||
	    strcasestr(r->cid, dv.filter) || strcasestr(r->last_addr,
	    dv.filter);
}

/* Note the selected row's id, while shown[] still indexes rows. */
static void
snap(void)
{
	if (dv.t.n > 0 && dv.t.cur < dv.t.n)
		snprintf(dv.sel, sizeof(dv.sel), "%s", row_at(dv.t.cur)->id);
}

/* Filter and sort rows into shown[], the noted row selected again. */
static void
reorder(void)
{
	int n = 0;

	free(dv.shown);
	dv.shown = calloc(dv.nrows + 1, sizeof(int));
	for (size_t i = 0; i < dv.nrows; i++)
		if (matches(&dv.rows[i]))
			dv.shown[n++] = (int)i;
	qsort(dv.shown, (size_t)n, sizeof(int), cmp_rows);
	for (int i = 0; i < n; i++)
		if (strcmp(dv.rows[dv.shown[i]].id, dv.sel) == 0)
			dv.t.cur = i;
	table_set_rows(&dv.t, n);
	view_dirty(&view_devices);
}

static void
rebuild(void)
{
	snap();
	reorder();
}

static void
devices_reply(void *arg, bool ok, json_t *res)
{
	json_t *list, *o;
	size_t i;

	(void)arg;
	dv.busy = false;
	if (!ok)
		return;
	list = json_object_get(res, "devices");
	snap();		/* before rows change under shown[] */
	free(dv.rows);
	dv.rows = calloc(json_array_size(list) + 1, sizeof(*dv.rows));
	json_array_foreach(list, i, o) {
		struct drow *r = &dv.rows[i];

		snprintf(r->id, sizeof(r->id), "%s", jget_str(o, "id"));
		snprintf(r->cid, sizeof(r->cid), "%s", jget_str(o, "cid"));
		snprintf(r->last_addr, sizeof(r->last_addr), "%s",
		    jget_str(o, "last_addr"));
		r->level = jget_int(o, "level", 0);
		r->disabled = json_is_true(json_object_get(o, "disabled"));
		r->online = json_is_true(json_object_get(o, "online"));
		r->last_seen = jget_int(o, "last_seen", 0);
		r->logins = jget_int(o, "logins", 0);
		r->failures = jget_int(o, "failures", 0);
	}
	dv.nrows = json_array_size(list);
	dv.total = jget_int(res, "total", 0);
	dv.loaded = true;
	reorder();
}

static void
request_rows(void)
{
	if (!dv.busy)
		dv.busy = ctl_request(dv.ctl, CTLMSG_CMD_DEVICES,
		    json_pack("{s:i}", "limit", LIMIT), devices_reply,
		    NULL) >= 0;
}

static void
devices_init(struct view *v, struct ctl *c)
{
	(void)v;
	dv.ctl = c;
	table_init(&dv.t, dcols, D_COUNT, D_ID);
}

static void
devices_free(struct view *v)
{
	(void)v;
	free(dv.rows);
	free(dv.shown);
}

static void
devices_tick(struct view *v, uint64_t now)
{
	(void)v;
	(void)now;
	request_rows();
}

static void
devices_conn(struct view *v, bool up)
{
	(void)v;
	if (!up)
		dv.busy = false;
}

static void
cell(void *arg, int row, int col, char *buf, size_t cap, int *attr)
{
	const struct drow *r = row_at(row);

	(void)arg;
	switch (col) {
	case D_ID: snprintf(buf, cap, "%s", r->id); break;
	case D_CID: snprintf(buf, cap, "%s", r->cid); break;
	case D_LEVEL: snprintf(buf, cap, "%lld", r->level); break;
	case D_STATE:
		snprintf(buf, cap, "%s", r->disabled ? "disabled" : "enabled");
		*attr = ui_attr(r->disabled ? UC_BAD : UC_GOOD);
		break;
	case D_ONLINE:
		snprintf(buf, cap, "%s", r->online ? "yes" : "-");
		if (r->online)
			*attr = ui_attr(UC_GOOD);
		break;
	case D_SEEN:
		if (r->last_seen)
			fmt_ago(buf, cap, (double)r->last_seen);
		else {
			snprintf(buf, cap, "never");
			*attr = ui_attr(UC_DIM);
		}
		break;
	case D_ADDR:
		snprintf(buf, cap, "%s", r->last_addr[0] ? r->last_addr : "-");
		break;
	case D_LOGINS: snprintf(buf, cap, "%lld", r->logins); break;
	case D_FAILS:
		snprintf(buf, cap, "%lld", r->failures);
		if (r->failures)
			*attr = ui_attr(UC_WARN);
		break;
	}
}

static void
devices_draw(struct view *v, WINDOW *w)
{
	(void)v;
	ui_printf(w, 0, 0, -1, ui_attr(UC_DIM), UI_LEFT,
	    " %d shown of %lld devices%s%s%s   sorted by %s%s", dv.t.n,
	    dv.total, dv.filter[0] ? "   filter \"" : "", dv.filter,
	    dv.filter[0] ? "\"" : "", dcols[dv.t.sort].title,
	    dv.t.rev ? " (reversed)" : "");
	if (!dv.loaded) {
		ui_text(w, 2, 1, -1, ui_attr(UC_DIM), UI_LEFT, "loading...");
		return;
	}
	table_draw(&dv.t, w, 1, getmaxy(w) - 1, cell, NULL);
	if (dv.t.n == 0)
		ui_text(w, 3, 1, -1, ui_attr(UC_DIM), UI_LEFT, dv.filter[0] ?
		    "no device matches the filter (Esc clears it)" :
		    keys_is_read_only() ? "no device is enrolled" :
		    "no device is enrolled: e enrolls one");
}

/* ---- actions ---- */

static const char *
err_text(json_t *res)
{
	const char *m = json_string_value(json_object_get(res, "message"));

	return m ? m : "failed";
}

static void
done_reply(void *arg, bool ok, json_t *res)
{
	const char *what = arg;

	if (ok)
		view_flash(ui_attr(UC_GOOD), " %s: done", what);
	else
		view_flash(ui_attr(UC_BAD), " %s failed: %s", what,
		    err_text(res));
	request_rows();
}

/* A change named by its command ("disable: done"). */
static void
send_change(enum ctlmsg_cmd cmd, json_t *args)
{
	if (ctl_request(dv.ctl, cmd, args, done_reply,
	    (void *)ctlmsg_cmd_name(cmd)) < 0)
		view_flash(ui_attr(UC_BAD), " not connected to iosd");
}

static void
enroll_reply(void *arg, bool ok, json_t *res)
{
	char text[512];
	const char *key = json_string_value(json_object_get(res, "key"));

	(void)arg;
	request_rows();
	if (!ok) {
		view_flash(ui_attr(UC_BAD), " enroll failed: %s", err_text(res));
		return;
	}
	snprintf(text, sizeof(text), "Device %s is enrolled with cid %s at "
	    "level %lld.\n\nIts key is below, shown this once: iosd keeps only "
	    "a hash of it. Copy it now.", jget_str(res, "id"), jget_str(res, "cid"),
	    jget_int(res, "level", 0));
	notice_open("Device enrolled", text, key ? key : "(no key returned)");
}

static void
enroll_yes(void *arg, const char *id)
{
	json_t *args = json_pack("{s:s, s:i}", "id", id, "level", dv.new_level);

	(void)arg;
	if (dv.new_cid[0])
		json_object_set_new(args, "cid", json_string(dv.new_cid));
	if (ctl_request(dv.ctl, CTLMSG_CMD_ENROLL, args, enroll_reply, NULL) < 0)
		view_flash(ui_attr(UC_BAD), " not connected to iosd");
}

static int
parse_level(const char *s)
{
	char *end;
	long l = strtol(s, &end, 10);

	return *s && *end == '\0' && l >= 0 && l <= 255 ? (int)l : -1;
}

static void
enroll_form_done(void *arg, struct form_field *f, int n)
{
	char q[400];

	(void)arg;
	(void)n;
	if (!f[0].value[0]) {
		view_flash(ui_attr(UC_BAD), " enroll: the id is required");
		return;
	}
	if ((dv.new_level = parse_level(f[2].value[0] ? f[2].value : "1")) < 0) {
		view_flash(ui_attr(UC_BAD), " enroll: the level is 0 to 255");
		return;
	}
	snprintf(dv.new_cid, sizeof(dv.new_cid), "%.63s", f[1].value);
	snprintf(q, sizeof(q), "Enroll device %s with cid %s at level %d? A "
	    "key is generated and shown once.", f[0].value,
	    f[1].value[0] ? f[1].value : f[0].value, dv.new_level);
	confirm_open(q, f[0].value, enroll_yes, NULL);
}

static void
revoke_yes(void *arg, const char *id)
{
	(void)arg;
	send_change(CTLMSG_CMD_REVOKE, json_pack("{s:s}", "id", id));
}

static void
disable_yes(void *arg, const char *id)
{
	(void)arg;
	send_change(CTLMSG_CMD_DISABLE, json_pack("{s:s}", "id", id));
}

static void
enable_yes(void *arg, const char *id)
{
	(void)arg;
	send_change(CTLMSG_CMD_ENABLE, json_pack("{s:s}", "id", id));
}

static void
level_yes(void *arg, const char *id)
{
	(void)arg;
	send_change(CTLMSG_CMD_SET_LEVEL, json_pack("{s:s, s:i}", "id", id,
	    "level", dv.new_level));
}

static void
level_form_done(void *arg, struct form_field *f, int n)
{
	char q[256];

	(void)arg;
	(void)n;
	if ((dv.new_level = parse_level(f[0].value)) < 0) {
		view_flash(ui_attr(UC_BAD), " the level is 0 to 255");
		return;
	}
	/* The device of when the form opened: rows may have moved since. */
	snprintf(q, sizeof(q), "Change the level of device %s from %lld to "
	    "%d? It applies from its next login.", dv.level_id,
	    dv.level_was, dv.new_level);
	confirm_open(q, dv.level_id, level_yes, NULL);
}

static void
filter_done(void *arg, struct form_field *f, int n)
{
	(void)arg;
	(void)n;
	snprintf(dv.filter, sizeof(dv.filter), "%s", f[0].value);
	rebuild();
}

static void
devices_key(struct view *v, enum action a)
{
	const struct drow *r = dv.t.n > 0 ? row_at(dv.t.cur) : NULL;
	char q[256];

	(void)v;
	if (table_move(&dv.t, a)) {
		view_dirty(&view_devices);
		return;
	}
	switch (a) {
	case A_SORT:
		table_sort_next(&dv.t);
		rebuild();
		break;
	case A_SORT_REV:
		table_sort_reverse(&dv.t);
		rebuild();
		break;
	case A_FILTER: {
		struct form_field f = { "text", "id, cid or address", "" };

		snprintf(f.value, sizeof(f.value), "%s", dv.filter);
		form_open("Filter devices", &f, 1, filter_done, NULL);
		break;
	}
	case A_BACK:
		dv.filter[0] = '\0';
		rebuild();
		break;
	case A_ENROLL: {
		struct form_field f[3] = {
			{ "id", "letters, digits, - _", "" },
			{ "cid", "default: the id", "" },
			{ "level", "0-255", "1" },
		};

		form_open("Enroll a device", f, 3, enroll_form_done, NULL);
		break;
	}
	case A_REVOKE:
		if (r == NULL)
			break;
		snprintf(q, sizeof(q), "Revoke device %s? Its key stops working "
		    "and its live session is closed.", r->id);
		confirm_open(q, r->id, revoke_yes, NULL);
		break;
	case A_TOGGLE:
		if (r == NULL)
			break;
		snprintf(q, sizeof(q), r->disabled ? "Enable device %s? It may "
		    "log in again." : "Disable device %s? Its live session is "
		    "closed and its logins refused.", r->id);
		confirm_open(q, r->id, r->disabled ? enable_yes : disable_yes,
		    NULL);
		break;
	case A_LEVEL: {
		struct form_field f = { "level", "0-255", "" };

		if (r == NULL)
			break;
		snprintf(f.value, sizeof(f.value), "%lld", r->level);
		snprintf(dv.level_id, sizeof(dv.level_id), "%s", r->id);
		dv.level_was = r->level;
		form_open("Change the level", &f, 1, level_form_done, NULL);
		break;
	}
	default:
		break;
	}
	view_dirty(&view_devices);
}

struct view view_devices = {
	.name = "Devices",
	.scope = SC_DEVICES,
	.init = devices_init,
	.free = devices_free,
	.draw = devices_draw,
	.key = devices_key,
	.tick = devices_tick,
	.conn = devices_conn,
};
