/*
 * view_trace.h - see view_trace.c.
 */
#ifndef IOSTUI_VIEW_TRACE_H
#define IOSTUI_VIEW_TRACE_H

#include "view.h"

extern struct view view_trace;

/* Show the live trace of one connection (from the Clients view). */
void view_trace_client(long long ssid, const char *cid);

#endif
