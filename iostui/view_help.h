/*
 * view_help.h - see view_help.c.
 */
#ifndef IOSTUI_VIEW_HELP_H
#define IOSTUI_VIEW_HELP_H

#include "view.h"

extern struct view view_help;

#endif
