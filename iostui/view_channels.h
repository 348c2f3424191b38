/*
 * view_channels.h - see view_channels.c.
 */
#ifndef IOSTUI_VIEW_CHANNELS_H
#define IOSTUI_VIEW_CHANNELS_H

#include "view.h"

extern struct view view_channels;

#endif
