/*
 * view_clients.h - see view_clients.c.
 */
#ifndef IOSTUI_VIEW_CLIENTS_H
#define IOSTUI_VIEW_CLIENTS_H

#include "view.h"

extern struct view view_clients;

#endif
