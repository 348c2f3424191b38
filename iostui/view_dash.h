/*
 * view_dash.h - see view_dash.c.
 */
#ifndef IOSTUI_VIEW_DASH_H
#define IOSTUI_VIEW_DASH_H

#include "view.h"

extern struct view view_dash;

#endif
