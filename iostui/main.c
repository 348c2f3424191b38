/*
 * main.c - iostui: the full-screen operator console of iosd, on its
 * control socket only. Options, signals, and the loop: one ppoll on the
 * keyboard and the socket, a refresh every -d seconds, a draw of what
 * changed after each wake-up.
 *
 * The loop sleeps in ppoll rather than in wtimeout() because it waits on
 * the control socket too; the effect is the same: no wake-up between
 * samples unless a key or an answer comes.
 */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "keys.h"
#include "model.h"
#include "ui.h"
#include "view.h"

#define IOSTUI_VERSION		"0.1.0"
#define DEFAULT_CONTROL		"/run/iosd/control.sock"

static volatile sig_atomic_t quit_sig;

static const char usage_text[] =
"usage: iostui [-c SOCKET] [-d SECONDS] [--read-only] [--ascii] "
"[--no-color] [-v VIEW]\n"
"  -c, --control SOCKET   iosd's control socket (default: $IOSD_CONTROL,\n"
"                         else " DEFAULT_CONTROL ")\n"
"  -d, --delay SECONDS    refresh interval, 0.1 to 3600 (default 1)\n"
"  -r, --read-only        hide every action (kick, enroll, revoke, ...)\n"
"  -a, --ascii            ASCII glyphs and sparklines whatever the locale\n"
"      --no-color         no colours (as NO_COLOR does)\n"
"  -v, --view VIEW        start in VIEW: 1-5 or dashboard, clients,\n"
"                         channels, devices, trace\n"
"  -h, --help             this help; in iostui, ? or F1 lists the keys\n"
"  -V, --version          iostui's version\n";

static void
on_quit(int sig)
{
	quit_sig = sig;
}

/* A crash must not leave the terminal in raw mode: restore it, then die
 * of the same signal (SA_RESETHAND put the default action back). */
static void
on_crash(int sig)
{
	ui_end();
	raise(sig);
}

static void
signals(sigset_t *waitmask)
{
	static const int quits[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	static const int crashes[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
		SIGABRT };
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_quit;
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(quits) / sizeof(quits[0]); i++) {
		sigaction(quits[i], &sa, NULL);
		sigaddset(&block, quits[i]);
	}
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++)
		sigaction(crashes[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Quit signals and SIGWINCH arrive only inside ppoll: no race
	 * between testing quit_sig and going to sleep. */
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGWINCH);
	for (size_t i = 0; i < sizeof(quits) / sizeof(quits[0]); i++)
		sigdelset(waitmask, quits[i]);
}

static int
bad(const char *what)
{
	fprintf(stderr, "iostui: %s\nTry 'iostui --help' for more "
	    "information.\n", what);
	return 2;
}

static int
parse_view(const char *s, enum view_id *out)
{
	static const char *const names[] = { "dashboard", "clients",
		"channels", "devices", "trace" };

	for (int i = 0; i < 5; i++)
		if ((s[0] == '1' + i && s[1] == '\0') || strcmp(s, names[i]) == 0) {
			*out = (enum view_id)(V_DASH + i);
			return 0;
		}
	return -1;
}

static void
on_state(void *arg, bool up)
{
	(void)arg;
	view_conn(up);
}

static void
read_keys(bool *quit)
{
	wint_t ch;
	int rc;

	/* Bounded: a paste of a thousand keys must not starve the socket. */
	for (int i = 0; i < 256; i++) {
		if ((rc = wget_wch(stdscr, &ch)) == ERR)
			return;
		if (rc == KEY_CODE_YES && ch == KEY_RESIZE) {
			view_resize();
			continue;
		}
		if (!view_key(rc == KEY_CODE_YES, (int)ch)) {
			*quit = true;
			return;
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "delay", required_argument, NULL, 'd' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "ascii", no_argument, NULL, 'a' },
		{ "no-color", no_argument, NULL, 'C' },
		{ "view", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("IOSD_CONTROL");
	bool ascii = false, no_color = false, quit = false;
	enum view_id first = V_DASH;
	unsigned delay_ms = 1000;
	uint64_t next_tick;
	sigset_t waitmask;
	struct ctl *ctl;
	char *end;
	double d;
	int ch;

	setlocale(LC_ALL, "");
	if (path == NULL || *path == '\0')
		path = DEFAULT_CONTROL;
	while ((ch = getopt_long(argc, argv, "c:d:rav:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			d = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || isnan(d) ||
			    d < 0.1 || d > 3600)
				return bad("-d: seconds from 0.1 to 3600");
			delay_ms = (unsigned)lround(d * 1000);
			break;
		case 'r':
			keys_read_only(true);
			break;
		case 'a':
			ascii = true;
			break;
		case 'C':
			no_color = true;
			break;
		case 'v':
			if (parse_view(optarg, &first) < 0)
				return bad("-v: 1-5, dashboard, clients, channels, "
				    "devices or trace");
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("iostui %s\n", IOSTUI_VERSION);
			return 0;
		default:
			fputs("Try 'iostui --help' for more information.\n",
			    stderr);
			return 2;
		}
	}
	if (optind < argc)
		return bad("no arguments are taken, only options");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs("iostui: needs a terminal; for scripts use iosctl\n",
		    stderr);
		return 2;
	}

	signals(&waitmask);
	atexit(ui_end);
	ctl = ctl_new(path, on_state, NULL);
	ui_init(ascii, no_color);
	model_init(ctl, delay_ms);
	view_init(ctl, first);
	next_tick = ctlc_now_ms();

	while (!quit && !quit_sig) {
		uint64_t now = ctlc_now_ms();
		struct pollfd pfd[2];
		struct timespec ts;
		int wait, w, n;

		if (now >= next_tick) {
			view_tick(now);
			next_tick += delay_ms;
			if (next_tick <= now)	/* we were stopped: catch up */
				next_tick = now + delay_ms;
		}
		ctl_step(ctl, now);
		view_draw(now);

		wait = (int)(next_tick - now);
		if ((w = ctl_wait_ms(ctl, now)) >= 0 && w < wait)
			wait = w;
		if ((w = view_wait_ms(now)) >= 0 && w < wait)
			wait = w;
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		pfd[1].fd = ctl_fd(ctl);
		pfd[1].events = ctl_want(ctl, now);
		if (pfd[1].events == 0)
			pfd[1].fd = -1;
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (long)(wait % 1000) * 1000000;
		n = ppoll(pfd, 2, &ts, &waitmask);
		if (n < 0 && errno != EINTR)
			break;
		now = ctlc_now_ms();
		if (n > 0 && pfd[1].fd >= 0 && pfd[1].revents)
			ctl_io(ctl, pfd[1].revents, now);
		/* After EINTR too: SIGWINCH becomes KEY_RESIZE here. */
		if (n < 0 || (pfd[0].revents & POLLIN))
			read_keys(&quit);
		if (pfd[0].revents & (POLLHUP | POLLERR))
			break;		/* the terminal went away */
	}

	view_free();
	ui_end();
	ctl_free(ctl);
	/* Asked to go by a signal: say so the shell way. */
	return quit_sig ? 128 + quit_sig : 0;
}
