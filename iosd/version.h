/*
 * version.h - iosd's version and compiled-in defaults.
 */
#ifndef IOSD_VERSION_H
#define IOSD_VERSION_H

#define IOSD_VERSION "0.1.0"

#ifndef IOSD_DEFAULT_DB
#define IOSD_DEFAULT_DB "/var/lib/iosd/iosd.db"
#endif

#endif
