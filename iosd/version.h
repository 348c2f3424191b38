/*
 * version.h - iosd's version and compiled-in defaults.
 */
#ifndef IOSD_VERSION_H
#define IOSD_VERSION_H

#define IOSD_VERSION "0.1.0"

#ifndef IOSD_DEFAULT_DB
#define IOSD_DEFAULT_DB "/var/lib/iosd/iosd.db"
#endif

/* The control socket: none unless -c or an install (make install sets
 * /run/iosd/control.sock), so test daemons never collide. */
#ifndef IOSD_DEFAULT_CONTROL
#define IOSD_DEFAULT_CONTROL ""
#define IOSD_DEFAULT_CONTROL_TEXT "none"
#else
#define IOSD_DEFAULT_CONTROL_TEXT IOSD_DEFAULT_CONTROL
#endif

/* The configuration file read when present: none unless installed
 * (make install: /etc/iosd/iosd.conf). */
#ifndef IOSD_DEFAULT_CONFIG
#define IOSD_DEFAULT_CONFIG ""
#define IOSD_DEFAULT_CONFIG_TEXT "none"
#else
#define IOSD_DEFAULT_CONFIG_TEXT IOSD_DEFAULT_CONFIG ", if there"
#endif

#endif
