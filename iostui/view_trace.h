/*
 * view_trace.h - see view_trace.c.
 */
#ifndef IOSTUI_VIEW_TRACE_H
#define IOSTUI_VIEW_TRACE_H

#include "view.h"

extern struct view view_trace;

#endif
