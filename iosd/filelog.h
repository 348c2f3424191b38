/*
 * filelog.h - the reference io-server's -f log files, in a folder:
 * connection.log ("+ IP:a #ssid WS" / "- IP:a #ssid cid:c WS"),
 * auth.log (logins and failures with their reason, never a key) and
 * attack.log (connections closed for malformed input). Each line starts
 * with the local date and time. SIGHUP reopens them, for logrotate.
 */
#ifndef IOSD_FILELOG_H
#define IOSD_FILELOG_H

#include "log.h"

enum filelog { FL_CONNECTION, FL_AUTH, FL_ATTACK, FL_COUNT };

/* Open the three files in dir (created 0640 if absent); -1 and errno. */
int filelog_open(const char *dir);
/* Close and open them again (renamed by logrotate meanwhile). */
void filelog_reopen(void);
void filelog_close(void);
/* Close them and forget the folder: -f is off (a reload took it away). */
void filelog_stop(void);
/* One line; nothing when -f is off. */
void filelog(enum filelog which, const char *fmt, ...) LOG_PRINTF(2, 3);

#endif
