/*
 * net_cong.h - the CongSocket transport (cong_transport, transport.h):
 * length-framed messages on raw TCP, cut from the loop's shared read
 * buffer by libproto's cong parser; a decoder of its own only while a
 * frame is partly received.
 */
#ifndef IOSD_NET_CONG_H
#define IOSD_NET_CONG_H

#include "transport.h"

#endif
