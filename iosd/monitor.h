/*
 * monitor.h - io-server's -m: every --monitor-period, the reference's
 * console tables on standard output (1: memory and traffic, 2: clients
 * as "#ssid:cid(state)", 3: channel keys), drawn as Node's console.table
 * draws them, so that what an operator watched there reads the same.
 * The figures are the counters behind /metrics.
 */
#ifndef IOSD_MONITOR_H
#define IOSD_MONITOR_H

#include <stdio.h>

struct server;

/* Starts, restarts (reload) or stops the timer as srv->opt says. */
void monitor_apply(struct server *srv);
void monitor_stop(struct server *srv);
/* One print, as the timer does (for tests of the tables). */
void monitor_print(struct server *srv, FILE *f);

#endif
