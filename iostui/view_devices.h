/*
 * view_devices.h - see view_devices.c.
 */
#ifndef IOSTUI_VIEW_DEVICES_H
#define IOSTUI_VIEW_DEVICES_H

#include "view.h"

extern struct view view_devices;

#endif
