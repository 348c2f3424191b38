/*
 * api_sudo.h - the reference's admin API (src/api/api_sudo.js), for level
 * 255 sessions only: online CIDs, clients, channels, subscribers, one
 * client, close, and device add/get/delete/list against the store.
 */
#ifndef IOSD_API_SUDO_H
#define IOSD_API_SUDO_H

struct conn;
struct ios_request;

void api_sudo(struct conn *c, const struct ios_request *r);

#endif
