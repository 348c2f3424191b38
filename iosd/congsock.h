/*
 * congsock.h - the CongSocket transport: length-framed messages on raw
 * TCP, decoded by libproto's cong decoder straight from the socket.
 */
#ifndef IOSD_CONGSOCK_H
#define IOSD_CONGSOCK_H

struct conn;

void congsock_init(struct conn *c);
void congsock_free(struct conn *c);
/* Closing: what was being received is given back at once. */
void congsock_drop_input(struct conn *c);
void congsock_on_readable(struct conn *c);

#endif
